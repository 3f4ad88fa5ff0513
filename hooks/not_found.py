"""MkDocs hook: the per-language 404 pages. The work is in ehsaas_site/not_found.py."""
from ehsaas_site.not_found import on_pre_build, on_post_template, on_post_build  # noqa: F401
