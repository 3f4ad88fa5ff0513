"""Owns data safety in the database: online backups checked for integrity, restoring one,
and erasing personal data past its retention period (feedback_api/maintenance.py decides
when these run)."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from . import audit, migrations
from .db import immediate, writer_queue


def backup(source_path: str, dest_path: str) -> dict:
    """An online, consistent copy (SQLite's backup API) checked with integrity_check.
    Writes to a temporary name first, so a failed backup never leaves a half file."""
    dest = Path(dest_path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial")
    if tmp.exists():
        tmp.unlink()
    src = sqlite3.connect(source_path, timeout=15)
    try:
        out = sqlite3.connect(tmp)
        try:
            src.backup(out)
            out.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            result = out.execute("PRAGMA integrity_check").fetchone()[0]
            count = out.execute("SELECT count(*) FROM submissions").fetchone()[0]
        finally:
            out.close()
    finally:
        src.close()
    if result != "ok":
        tmp.unlink()
        raise RuntimeError(f"backup failed integrity_check: {result}")
    os.replace(tmp, dest)
    return {"path": str(dest), "submissions": count, "integrity": result}


def integrity(path: str) -> str:
    conn = sqlite3.connect(path, timeout=15)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def restore(backup_path: str, dest_path: str) -> dict:
    """Replace the database at `dest_path` with the backup, through SQLite's backup API (so a
    WAL file left by the old database cannot be replayed over the restored one), while holding
    this database's writer queue: a running server's writers wait rather than interleave.
    The caller checks the backup first (`backup_problem`) and migrates afterwards."""
    src = sqlite3.connect(f"file:{backup_path}?mode=ro", uri=True, timeout=15)
    try:
        Path(dest_path).parent.mkdir(parents=True, exist_ok=True)
        out = sqlite3.connect(dest_path, timeout=15)
        try:
            with writer_queue(os.path.abspath(dest_path)).turn():
                src.backup(out)
            out.execute("PRAGMA journal_mode = WAL")
            result = out.execute("PRAGMA integrity_check").fetchone()[0]
            count = out.execute("SELECT count(*) FROM submissions").fetchone()[0]
        finally:
            out.close()
    finally:
        src.close()
    return {"path": dest_path, "submissions": count, "integrity": result}


def backup_problem(path: str) -> str | None:
    """Why this file cannot be restored (None: it can): not SQLite, damaged, not ours, or
    written by a newer schema than this code knows."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=15)
    except sqlite3.Error as exc:
        return f"cannot open {path}: {exc}"
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            return f"{path} fails integrity_check: {result}"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"submissions", "contacts", "audit_log"} <= tables:
            return f"{path} is not a feedback database (no submissions/contacts/audit_log tables)"
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        known = migrations.latest()
        if version > known:
            return f"{path} has schema version {version}; this code knows {known}: upgrade the code first"
        return None
    except sqlite3.DatabaseError as exc:
        return f"{path} is not a usable SQLite database: {exc}"
    finally:
        conn.close()


def erase_old_contacts(db: Database, before: str, detail: str, batch: int = 200) -> int:
    """Delete the contact details (name, contact, consent) of submissions received before
    `before`; the submission itself stays, anonymous. One audit entry per deletion, written in
    the same transaction, naming which fields were held (never their values). Small batches:
    public writes wait behind each transaction, not behind the whole run."""
    erased = 0
    while True:
        with immediate(db):
            rows = db.conn.execute(
                "SELECT c.submission_id, c.name IS NOT NULL AND c.name != '' AS had_name,"
                " c.contact IS NOT NULL AND c.contact != '' AS had_contact, c.consent_to_contact"
                " FROM contacts c JOIN submissions s ON s.id = c.submission_id"
                " WHERE s.received_at < :before ORDER BY c.submission_id LIMIT :batch",
                {"before": before, "batch": batch}).fetchall()
            for row in rows:
                db.conn.execute("DELETE FROM contacts WHERE submission_id = :id", {"id": row["submission_id"]})
                audit.record(db, None, "retention_erase_contact", row["submission_id"],
                             before={"name": bool(row["had_name"]), "contact": bool(row["had_contact"]),
                                     "consent_to_contact": bool(row["consent_to_contact"])},
                             after=None, detail=detail)
        erased += len(rows)
        if len(rows) < batch:
            return erased


def clear_old_client_hashes(db: Database, before: str, detail: str) -> dict:
    """Forget the keyed hash of the sender's address on submissions and ratings older than
    `before`: with the secret key an IPv4 hash can be matched to its address by trying them
    all, so it is personal data too; it only serves duplicate detection (minutes) and rate
    limits. One audit entry with the counts (no per-row values to record)."""
    with immediate(db):
        # resubmit_hash (only web submissions, which all have a client hash) goes with it.
        subs = db.conn.execute("UPDATE submissions SET client_hash = NULL, resubmit_hash = NULL"
                               " WHERE client_hash IS NOT NULL AND received_at < :before",
                               {"before": before}).rowcount
        ratings = db.conn.execute("UPDATE ratings SET client_hash = NULL"
                                  " WHERE client_hash IS NOT NULL AND created_at < :before",
                                  {"before": before}).rowcount
        if subs or ratings:
            audit.record(db, None, "retention_clear_client_hash", None, None,
                         {"submissions": subs, "ratings": ratings}, detail)
    return {"submissions": subs, "ratings": ratings}


def personal_data_older_than(db: Database, before: str) -> dict:
    """What a retention run would remove (for --dry-run)."""
    return dict(db.execute(
        "SELECT (SELECT count(*) FROM contacts c JOIN submissions s ON s.id = c.submission_id"
        "        WHERE s.received_at < :before) AS contacts,"
        " (SELECT count(*) FROM submissions WHERE client_hash IS NOT NULL AND received_at < :before)"
        "   AS submission_client_hashes,"
        " (SELECT count(*) FROM ratings WHERE client_hash IS NOT NULL AND created_at < :before)"
        "   AS rating_client_hashes", {"before": before}).fetchone())
