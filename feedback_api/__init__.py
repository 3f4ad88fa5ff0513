"""The feedback service: `create_app` builds it (config, storage, blueprints); nothing else
happens at import. Run with `flask --app feedback_api run` or gunicorn (deploy/gunicorn.conf.py)."""
from __future__ import annotations

import os
import sqlite3

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    from . import bodies, config, errors, forms, maintenance, moderation, ops, public, site, storage, urls
    from . import feed, site_rebuild, sms
    from . import limits

    instance = (test_config or {}).get("INSTANCE_PATH") or config.from_environment("INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance or None, instance_relative_config=True)
    config.load(app, test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    if int(app.config["TRUSTED_PROXIES"]) > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.wsgi_app = bodies.ChunkedBodyLimit(app.wsgi_app, app.config)
    if app.config["MIGRATE_ON_START"]:
        try:
            if storage.pending(app.config["DATABASE"]):
                storage.migrate(app.config["DATABASE"])
        except (OSError, sqlite3.Error) as exc:
            if storage.fault(exc) is None:
                raise
            # Start anyway: /livez answers, /healthz and writes say the database cannot be
            # written, and the service works by itself once it can (storage/db.py).
            app.logger.error("database %s cannot be opened or migrated now: %s",
                             app.config["DATABASE"], exc)

    urls.init_app(app)  # before the blueprints: their <int:...> rules are row ids
    app.jinja_env.globals.update(forms.template_globals(), site_home=public.site_home, site_url=public.site_url)
    limits.init_app(app)
    if app.config["CORS_ORIGINS"]:
        from flask_cors import CORS
        CORS(app, resources={r"/api/v1/*": {"origins": app.config["CORS_ORIGINS"]}},
             methods=["GET", "POST", "OPTIONS"], allow_headers=["Content-Type"], max_age=600)
    app.register_blueprint(public.bp)
    feed.init_app(app)  # GET /api/v1/feed.json (no CSRF needed: it only reads)
    moderation.init_app(app)  # also CSRF for the whole app, public.bp exempt
    sms.init_app(app)  # Kannel's routes (CSRF-exempt, secret-guarded), sms-sender
    ops.init_app(app)
    maintenance.init_app(app)  # backup-rotate, restore, retention commands
    errors.init_app(app)
    site.init_app(app)
    site_rebuild.init_app(app)  # answers reach the site: background rebuilds, `rebuild-site`
    return app
