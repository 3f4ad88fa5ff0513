"""MkDocs hook: the public feed (answered questions, "you said, we did"). The work is in
ehsaas_site/feed.py."""
from ehsaas_site.feed import on_config, on_page_content  # noqa: F401
