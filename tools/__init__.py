"""Editors' tools: translation status, new pages, content checks (run as `python -m tools.<name>`)."""
