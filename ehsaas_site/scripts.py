"""Owns the JavaScript the site publishes: every script is written readable in docs/assets/ and
minified at build time by rjsmin. The small loaders inlined into pages live in
docs/assets/inline/ (not published as files; `inline_script(name)` in templates), and the
scripts they load (search.js, forms.js) are minified in place after the build.
"""
from __future__ import annotations

import functools
from pathlib import Path

import rjsmin
from markupsafe import Markup
from mkdocs.plugins import event_priority

from . import build

INLINE = Path("assets") / "inline"      # under docs/; mkdocs.yml's exclude_docs keeps it unpublished
PUBLISHED = ("assets/search.js", "assets/forms.js")


def minify(source: str) -> str:
    return rjsmin.jsmin(source).strip() + "\n"


@functools.cache
def _inline(path: Path) -> str:
    return rjsmin.jsmin(path.read_text(encoding="utf-8")).strip()


def on_env(env, config, files):
    docs = Path(config.docs_dir)

    def inline_script(name: str) -> Markup:
        """docs/assets/inline/<name>, minified, for a <script> element's body. A file that is
        missing stops the build (Jinja raises), rather than publishing an empty script."""
        return Markup(_inline(docs / INLINE / name))
    env.globals["inline_script"] = inline_script
    return env


@event_priority(-260)  # after forms.py filled forms.js's strings (-250), before assets.py (-300)
def on_post_build(config):
    if not build.is_final_post_build(config):
        return
    site = Path(config.site_dir)
    for name in PUBLISHED:
        path = site / name
        if path.is_file():
            path.write_text(minify(path.read_text(encoding="utf-8")), encoding="utf-8")
