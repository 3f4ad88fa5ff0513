"""MkDocs hook: the per-language search indexes. The work is in ehsaas_site/search.py."""
from ehsaas_site.search import on_post_build  # noqa: F401
