"""MkDocs hook: {{ fact("key") }} in pages. The work is in ehsaas_site/facts.py."""
from ehsaas_site.facts import on_page_markdown  # noqa: F401
