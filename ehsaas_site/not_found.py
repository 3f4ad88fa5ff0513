"""Owns the per-language 404 pages: site/404.html (default language) and site/<lang>/404.html.

MkDocs renders 404.html once per language build into the same path, so the last language
built would win (mkdocs-static-i18n #284, #326). We keep each language's rendering and write
them all once every language is built. A static host serves the one under the path prefix
(nginx: `location /ur/ { error_page 404 /ur/404.html; }`); GitHub Pages serves site/404.html.
"""
from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority

from . import build

_rendered: dict[str, str] = {}


def on_pre_build(config):
    if build.current_language(config) == build.default_language(config):
        _rendered.clear()


def on_post_template(output, template_name, config):
    if template_name == "404.html":
        _rendered[build.current_language(config)] = output
    return output


@event_priority(-200)
def on_post_build(config):
    if not build.is_final_post_build(config):
        return
    site = Path(config.site_dir)
    for lang, output in _rendered.items():
        path = site / build.language_root(config, lang) / "404.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(output, encoding="utf-8")
