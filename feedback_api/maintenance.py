"""Owns data safety: scheduled backups with rotation, restore, and retention of personal data.

    flask --app feedback_api backup-rotate [--dir DIR] [--keep N]   (systemd timer: deploy/systemd/)
    flask --app feedback_api restore BACKUP_FILE [--yes]
    flask --app feedback_api retention [--days N] [--dry-run]        (systemd timer: deploy/systemd/)

Settings (FEEDBACK_* environment variables, like every other):
- BACKUP_DIR: where backup-rotate writes (default <instance>/backups). Copy it off the machine
  too: a backup on the same disk does not survive the disk.
- BACKUP_KEEP: how many backups rotation keeps (default 14: two weeks of daily backups).
- RETENTION_DAYS: contact details (name, phone/e-mail) and the keyed hash of the sender's
  address are erased this many days after a submission arrived (default 365). The submission
  itself, its answer and every statistic stay. Backups hold personal data until rotation
  deletes them: the longest anyone's details survive is RETENTION_DAYS + BACKUP_KEEP days.
Every SQL statement is in the storage package (storage/safety.py); this module decides what runs when and says what it did.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import storage

# The names backup-rotate writes, and the only files rotation ever deletes.
BACKUP_NAME = re.compile(r"^feedback-(\d{8}T\d{6}Z)(?:-(\d+))?\.sqlite3$")


def _utc_stamp() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def backup_dir(app: Flask) -> Path:
    return Path(app.config["BACKUP_DIR"] or os.path.join(app.instance_path, "backups"))


def _positive_int(value, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise click.ClickException(f"{name} must be a whole number of at least 1, not {value!r}")
    return number


def _fsync(path: Path) -> None:
    """The backup's bytes and its directory entry on disk before we delete any older one."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backups(directory: Path) -> list[Path]:
    """Our backups in `directory`, oldest first (names sort by their UTC time)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file():
            found.append((match.group(1), int(match.group(2) or 0), path))
    return [path for *_key, path in sorted(found)]


def backup_and_rotate(database: str, directory: Path, keep: int) -> dict:
    """One online backup (checked) into `directory`, then delete all but the newest `keep`.
    Nothing is deleted unless the new backup was written, checked and synced."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # personal data: only the service account reads it
    stamp = _utc_stamp()
    target = directory / f"feedback-{stamp}.sqlite3"
    n = 0
    while target.exists():  # two runs within one second: never overwrite a backup
        n += 1
        target = directory / f"feedback-{stamp}-{n}.sqlite3"
    try:
        result = storage.backup(database, str(target))
    except (sqlite3.Error, RuntimeError, OSError) as exc:
        partial = target.with_name(target.name + ".partial")
        if partial.exists():
            partial.unlink()
        raise click.ClickException(f"backup of {database} failed, no older backup was deleted: {exc}")
    os.chmod(target, 0o600)
    _fsync(target)
    existing = backups(directory)
    removed = existing[:-keep] if len(existing) > keep else []
    for old in removed:
        old.unlink()
    return {**result, "kept": len(existing) - len(removed), "removed": [p.name for p in removed]}


def restore_from(database: str, backup_file: Path, safety_dir: Path) -> dict:
    """Put the backup in place of the database: check it first, keep a copy of the current
    database (so a wrong restore can be undone), copy, migrate forward, audit."""
    problem = storage.backup_problem(str(backup_file))
    if problem:
        raise click.ClickException(problem)
    safety = None
    if Path(database).exists() and storage.backup_problem(database) is None:
        safety_dir.mkdir(parents=True, exist_ok=True)
        safety = safety_dir / f"pre-restore-{_utc_stamp()}.sqlite3"
        storage.backup(database, str(safety))
        os.chmod(safety, 0o600)
    result = storage.restore(str(backup_file), database)
    if result["integrity"] != "ok":
        raise click.ClickException(f"restored database fails integrity_check: {result['integrity']}")
    applied = storage.migrate(database)  # a backup from older code gets today's schema
    storage.audit.append(storage.get_db(), None, "restore", detail=json.dumps(
        {"from": backup_file.name, "submissions": result["submissions"],
         "previous_saved_as": safety.name if safety else None, "migrations": applied}))
    return {**result, "previous_saved_as": str(safety) if safety else None, "migrations_applied": applied}


def run_retention(db, days: int, dry_run: bool = False) -> dict:
    cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if dry_run:
        return {"cutoff": cutoff, "days": days, "dry_run": True,
                "would_remove": storage.personal_data_older_than(db, cutoff)}
    detail = f"retention: received more than {days} days ago (before {cutoff})"
    erased = storage.erase_old_contacts(db, cutoff, detail)
    hashes = storage.clear_old_client_hashes(db, cutoff, detail)
    from .sms import store as sms_store
    numbers = sms_store.forget_numbers(db, cutoff)   # a silent number's language; STOP stays
    return {"cutoff": cutoff, "days": days, "contacts_erased": erased, "client_hashes_cleared": hashes,
            "sms_numbers_forgotten": numbers}


# ---------------------------------------------------------------- the commands

@click.command("backup-rotate")
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write (default FEEDBACK_BACKUP_DIR or <instance>/backups).")
@click.option("--keep", type=int, help="How many backups to keep (default FEEDBACK_BACKUP_KEEP).")
@with_appcontext
def backup_rotate_command(directory, keep):
    """Write a checked online backup, then delete all but the newest N (for a daily timer)."""
    app = current_app
    keep = _positive_int(keep if keep is not None else app.config["BACKUP_KEEP"], "--keep/FEEDBACK_BACKUP_KEEP")
    result = backup_and_rotate(app.config["DATABASE"], directory or backup_dir(app), keep)
    click.echo(json.dumps(result))


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(backup_file, yes):
    """Replace the database with BACKUP_FILE (stop the service first). The current database is
    saved next to the backups as pre-restore-<time>.sqlite3."""
    app = current_app
    problem = storage.backup_problem(str(backup_file))
    if problem:
        raise click.ClickException(problem)
    if not yes:
        click.confirm(f"Replace {app.config['DATABASE']} with {backup_file}? Submissions received "
                      "after that backup will be gone (the current file is kept as pre-restore-*)",
                      abort=True)
    click.echo(json.dumps(restore_from(app.config["DATABASE"], backup_file, backup_dir(app))))


@click.command("retention")
@click.option("--days", type=int, help="Erase personal data older than this (default FEEDBACK_RETENTION_DAYS).")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
@with_appcontext
def retention_command(days, dry_run):
    """Erase contact details and address hashes of old submissions; keep the submissions."""
    days = _positive_int(days if days is not None else current_app.config["RETENTION_DAYS"],
                         "--days/FEEDBACK_RETENTION_DAYS")
    click.echo(json.dumps(run_retention(storage.get_db(), days, dry_run)))


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_rotate_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(retention_command)
