"""MkDocs hook: {{ fact("key") }}, {{ facts_checked() }}, {{ operator() }} in pages. The work is in ehsaas_site/facts.py."""
from ehsaas_site.facts import on_config, on_env, on_page_markdown  # noqa: F401
