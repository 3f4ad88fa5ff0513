"""MkDocs hook: the forms at the foot of pages. The work is in ehsaas_site/forms.py."""
from ehsaas_site.forms import on_page_context, on_post_build  # noqa: F401
