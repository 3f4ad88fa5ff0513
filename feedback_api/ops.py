"""Owns operations: the health check and the Flask CLI (`flask --app feedback_api init-db|backup`)."""
from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3

import click
from flask import Blueprint, Flask, current_app, jsonify
from flask.cli import with_appcontext

from . import storage
from .storage import counts, digest, masks, triage

bp = Blueprint("ops", __name__)


@bp.get("/livez")
def livez():
    """The process answers (no database): for a supervisor's liveness probe, and the trivial
    route the load benchmark compares the submission route with."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}


# How long the health check's write may wait for the lock: well inside a probe's timeout.
HEALTH_WRITE_WAIT_SECONDS = 2


@bp.get("/healthz")
def healthz():
    """Whether the service can do its job: the database reads, is migrated, has room, and takes
    a real write. 503 (so a load balancer stops sending) with `database` saying what is wrong:
    busy (another process holds the write lock), disk full, not writable, migrations pending,
    error."""
    body = {"status": "error"}
    try:
        db = storage.get_db()
        state = storage.check(db)
        body["schema_version"] = state["schema_version"]
        stat = os.statvfs(os.path.dirname(db.path))
        if state["pending_migrations"]:
            body["database"] = "migrations pending"
        elif stat.f_bavail * stat.f_frsize < current_app.config["HEALTH_MIN_FREE_BYTES"]:
            body["database"] = "disk full"
        else:
            storage.probe_write(db, HEALTH_WRITE_WAIT_SECONDS)
            body.update(status="ok", database="ok")
    except (sqlite3.Error, OSError, storage.StorageError) as exc:
        problem = storage.fault(exc)
        if isinstance(problem, storage.StorageBusy):
            body["database"] = "busy"
        elif problem is not None:
            storage.note_fault()
            body["database"] = "not writable"
        else:
            body["database"] = "error"
        current_app.logger.error("health check: database %s: %s", body["database"], exc)
    response = jsonify(body)
    response.status_code = 200 if body["status"] == "ok" else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@click.command("init-db")
@with_appcontext
def init_db_command():
    """Create the database or apply pending migrations (safe to run again)."""
    path = current_app.config["DATABASE"]
    applied = storage.migrate(path)
    click.echo(f"{path}: applied {', '.join(applied)}" if applied else f"{path}: up to date")
    count_earlier(path)


def count_earlier(path: str) -> None:
    """Count submissions stored before the moderation figures existed, mask the free text of
    rows stored before the export masks did, give older rows their duplicate group and older
    answers their place in the answer search, and count older rows into the district digest's
    figures (batched: the service may run meanwhile; see storage/counts.py, masks.py, triage.py
    and digest.py)."""
    db = storage.connect(path)
    try:
        counted = counts.backfill(db)
        masked = masks.backfill(db)
        grouped = triage.backfill(db)
        digested = digest.backfill(db)
    finally:
        db.close()
    if counted:
        click.echo(f"{path}: counted {counted} earlier submissions into the moderation figures")
    if masked:
        click.echo(f"{path}: masked the free text of {masked} earlier rows for exports")
    if grouped:
        click.echo(f"{path}: grouped or indexed {grouped} earlier submissions and answers for triage")
    if digested:
        click.echo(f"{path}: counted {digested} earlier submissions into the district digest's figures")


@click.command("count-earlier")
@with_appcontext
def count_earlier_command():
    """Build the moderation figures, export masks, duplicate groups, answer search and district
    digest figures of what was stored before they existed (init-db and gunicorn's start run
    this; safe to run again or alongside the service)."""
    count_earlier(current_app.config["DATABASE"])


@click.command("backup")
@click.argument("destination", required=False)
@with_appcontext
def backup_command(destination):
    """Write an online, consistent copy of the database (default: instance/backups/<UTC time>.sqlite3)."""
    if not destination:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        destination = f"{current_app.instance_path}/backups/feedback-{stamp}.sqlite3"
    result = storage.backup(current_app.config["DATABASE"], destination)
    click.echo(json.dumps(result))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(init_db_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(count_earlier_command)
