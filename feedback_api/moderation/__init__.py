"""Owns moderation under /moderation/: staff sign in, read, code, answer, publish and export
submissions. One blueprint (`bp`) whose views live in this package's modules, one per task:
auth (sign-in/out), queue (the list and bulk actions), submission (one submission and its
actions), intake (feedback gathered offline), export, dashboard, admin (users, audit log).
Templates: feedback_api/templates/moderation/; the stylesheet: moderation/static/.

`init_app(app)` adds the config defaults, CSRF protection for every state-changing request
of the app (the public API blueprint is exempt: it takes the static site's posts, which carry
no session), the CLI commands and the blueprint.
"""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("moderation", __name__, url_prefix="/moderation", static_folder="static",
               static_url_path="/static")


def _load_views() -> None:
    """Import the view modules, which registers their routes on `bp`. Done here, not at the
    package's import: digest imports the public feed, and an eager import of the views here
    once made a cycle that left `bp` with two routes in a fresh process."""
    from . import admin, auth, dashboard, export, intake, queue, submission  # noqa: F401
    from . import changes, digest  # noqa: F401  (you said, we did; district digest)
    from . import account, ratings, site_updates  # noqa: F401  (language, page ratings, rebuilds)
    from . import triage  # noqa: F401  (similar answers, duplicate groups, claims)
    from ..sms import moderation_views  # noqa: F401  (the SMS outbox list, the answer's SMS preview)


def init_app(app: Flask) -> None:
    from .. import ops, public
    from . import cli, security, views
    _load_views()
    security.configure(app)
    security.csrf.init_app(app)
    security.csrf.exempt(public.bp)
    security.csrf.exempt(ops.bp)
    views.init_jinja(app)
    cli.init_app(app)
    app.register_blueprint(bp)
