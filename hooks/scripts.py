"""MkDocs hook: the published JavaScript, minified (inline loaders and assets/*.js). The work is
in ehsaas_site/scripts.py."""
from ehsaas_site.scripts import on_env, on_post_build  # noqa: F401
