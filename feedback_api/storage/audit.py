"""Owns the audit log (table audit_log, append-only by trigger): writing an entry, inside the
caller's transaction (`record`) or in its own (`append`), and reading the log for admins."""
from __future__ import annotations

import json

from sqlite_utils import Database

from .db import dicts, immediate, now


def record(db: Database, user_id, action: str, submission_id=None, before=None, after=None,
           detail: str | None = None) -> None:
    """Append one audit entry; callers are inside `immediate(db)` with the change itself."""
    db.conn.execute(
        "INSERT INTO audit_log (at, user_id, action, submission_id, before, after, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [now(), user_id, action, submission_id,
         json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
         json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None,
         detail])


def append(db: Database, user_id, action: str, submission_id=None, before=None, after=None,
           detail: str | None = None) -> None:
    """An audit entry in its own transaction, for something that happened outside a storage
    write (a restore, an offline submission stored by submissions.insert_submission)."""
    with immediate(db):
        record(db, user_id, action, submission_id, before, after, detail)


def entries(db: Database, filters: dict, limit: int, offset: int) -> tuple[list[dict], int]:
    clauses, params = ["1 = 1"], []
    if filters.get("user"):
        clauses.append("u.username = ?")
        params.append(filters["user"])
    if filters.get("action"):
        clauses.append("l.action = ?")
        params.append(filters["action"])
    if filters.get("reference"):
        clauses.append("s.reference = ?")
        params.append(filters["reference"])
    if filters.get("date_from"):
        clauses.append("l.at >= ?")
        params.append(filters["date_from"] + "T00:00:00Z")
    if filters.get("date_to"):
        clauses.append("l.at <= ?")
        params.append(filters["date_to"] + "T23:59:59Z")
    where = " AND ".join(clauses)
    joins = " FROM audit_log l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN submissions s ON s.id = l.submission_id"
    total = db.conn.execute(f"SELECT count(*){joins} WHERE {where}", params).fetchone()[0]
    rows = dicts(db.conn.execute(
        f"SELECT l.id, l.at, l.action, l.before, l.after, l.detail, u.username, s.reference{joins}"
        f" WHERE {where} ORDER BY l.id DESC LIMIT ? OFFSET ?", [*params, limit, offset]))
    return rows, total


def actions(db: Database) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT DISTINCT action FROM audit_log ORDER BY action")]
