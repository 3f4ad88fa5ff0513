"""MkDocs hook: the build's project and data folders. The work is in ehsaas_site/build.py."""
from ehsaas_site.build import on_config  # noqa: F401
