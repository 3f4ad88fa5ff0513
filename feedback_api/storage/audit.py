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


COUNT_CAP = 10000


def _where(filters: dict) -> tuple[str, list]:
    """Each filter a term one index serves (action, user, submission, time), newest id first."""
    clauses, params = ["1 = 1"], []
    if filters.get("user"):
        clauses.append("l.user_id = (SELECT id FROM users WHERE username = ?)")
        params.append(filters["user"])
    if filters.get("action"):
        clauses.append("l.action = ?")
        params.append(filters["action"])
    if filters.get("reference"):
        clauses.append("l.submission_id = (SELECT id FROM submissions WHERE reference = ?)")
        params.append(filters["reference"])
    if filters.get("date_from"):
        clauses.append("l.at >= ?")
        params.append(filters["date_from"] + "T00:00:00Z")
    if filters.get("date_to"):
        clauses.append("l.at <= ?")
        params.append(filters["date_to"] + "T23:59:59Z")
    return " AND ".join(clauses), params


def entries(db: Database, filters: dict, limit: int, after: int | None = None,
            before: int | None = None) -> tuple[list[dict], bool, bool]:
    """One page, newest first: the first, the one after entry `after` or before `before`
    (keyset paging: no OFFSET). Returns (rows, newer entries exist, older entries exist)."""
    where, params = _where(filters)
    if after:
        where, params = where + " AND l.id < ?", [*params, after]
    elif before:
        where, params = where + " AND l.id > ?", [*params, before]
    rows = dicts(db.conn.execute(
        "SELECT l.id, l.at, l.action, l.before, l.after, l.detail, u.username, s.reference"
        " FROM audit_log l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN submissions s ON s.id = l.submission_id"
        f" WHERE {where} ORDER BY l.id {'ASC' if before else 'DESC'} LIMIT ?", [*params, limit + 1]))
    more = len(rows) > limit
    rows = rows[:limit]
    if before:
        rows.reverse()
        return rows, more, True
    return rows, bool(after), more


def count(db: Database, filters: dict) -> tuple[int, bool]:
    """Entries matching, counted up to COUNT_CAP (then capped: "10,000+")."""
    where, params = _where(filters)
    n = db.conn.execute(f"SELECT count(*) FROM (SELECT 1 FROM audit_log l WHERE {where} LIMIT ?)",
                        [*params, COUNT_CAP + 1]).fetchone()[0]
    return min(n, COUNT_CAP), n > COUNT_CAP


def actions(db: Database) -> list[str]:
    """The actions in the log, one index step each (a loose scan of audit_log_action), not a
    read of every entry."""
    return [r[0] for r in db.conn.execute(
        "WITH RECURSIVE seen(action) AS (SELECT min(action) FROM audit_log UNION ALL"
        " SELECT (SELECT min(action) FROM audit_log WHERE action > seen.action) FROM seen"
        " WHERE seen.action IS NOT NULL) SELECT action FROM seen WHERE action IS NOT NULL")]
