"""MkDocs hook: the published CSS. The work is in ehsaas_site/assets.py."""
from ehsaas_site.assets import on_post_build  # noqa: F401
