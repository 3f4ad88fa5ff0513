"""MkDocs hook: what each page knows of its language (template context, Material's strings,
<html dir>). The work is in ehsaas_site/theme.py."""
from ehsaas_site.theme import (on_env, on_files, on_page_context, on_post_page,  # noqa: F401
                               on_post_template, on_template_context)
