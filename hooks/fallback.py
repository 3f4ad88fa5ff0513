"""MkDocs hook: the text shown while a page is not yet translated, and outdated-translation
notices. The work is in ehsaas_site/fallback.py."""
from ehsaas_site.fallback import on_files, on_page_content  # noqa: F401
