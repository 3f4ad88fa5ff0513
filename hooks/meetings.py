"""MkDocs hook: the community meetings list and calendar files. The work is in ehsaas_site/meetings.py."""
from ehsaas_site.meetings import on_page_markdown, on_post_build  # noqa: F401
