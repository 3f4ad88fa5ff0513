"""Owns one-box mode: the built static site (FEEDBACK_SITE_DIR) served at /, with a 404 page
in the language of the path (site/<lang>/404.html), because site/404.html is whichever
language the build wrote last (docs/dev/0003-per-language-404.md). FEEDBACK_SITE_DIR may be a
symlink that site_rebuild swaps to each new build: each request resolves it once, so it reads one build."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, g, send_from_directory
from werkzeug.security import safe_join

from . import i18n

bp = Blueprint("site", __name__)


def _root() -> Path:
    return Path(current_app.config["SITE_DIR"]).resolve()


def _not_found(path: str):
    root = _root()
    first = path.split("/", 1)[0]
    lang = first if first in i18n.languages() else i18n.DEFAULT_LANGUAGE
    for candidate in (f"{lang}/404.html", "404.html"):
        if (root / candidate).is_file():
            g.site_file = True
            response = send_from_directory(root, candidate, max_age=0)
            response.status_code = 404
            return response
    abort(404)


@bp.get("/", defaults={"path": ""})
@bp.get("/<path:path>")
def static_site(path: str):
    if path == "api" or path.startswith("api/"):
        abort(404)  # the API's own 404 (JSON or a page in the reader's language), not the site's
    root = _root()
    target = safe_join(str(root), path) if path else str(root)
    if target is None:
        return _not_found(path)
    target_path = Path(target)
    if target_path.is_dir():
        if path and not path.endswith("/"):
            from flask import redirect
            return redirect("/" + path + "/", 301)
        target_path = target_path / "index.html"
    if not target_path.is_file():
        return _not_found(path)
    g.site_file = True
    # HTML changes with each rebuild (a published answer must show within minutes): browsers
    # ask again each time and get a 304 while it is unchanged. Other files: a short cache.
    name = str(target_path.relative_to(root))
    return send_from_directory(root, name, max_age=0 if name.endswith(".html") else 300)


def init_app(app: Flask) -> None:
    if app.config.get("SITE_DIR"):
        app.register_blueprint(bp)
