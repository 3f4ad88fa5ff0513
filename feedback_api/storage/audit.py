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
        " VALUES (:at, :user_id, :action, :submission_id, :before, :after, :detail)",
        {"at": now(), "user_id": user_id, "action": action, "submission_id": submission_id,
         "before": json.dumps(before, ensure_ascii=False, sort_keys=True) if before is not None else None,
         "after": json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else None,
         "detail": detail})


def append(db: Database, user_id, action: str, submission_id=None, before=None, after=None,
           detail: str | None = None) -> None:
    """An audit entry in its own transaction, for something that happened outside a storage
    write (a restore, an offline submission stored by submissions.insert_submission)."""
    with immediate(db):
        record(db, user_id, action, submission_id, before, after, detail)


COUNT_CAP = 10000

# Each filter a term one index serves (action, user, submission, time).
_FILTERS = {"user": "l.user_id = (SELECT id FROM users WHERE username = :user)",
            "action": "l.action = :action",
            "reference": "l.submission_id = (SELECT id FROM submissions WHERE reference = :reference)",
            "date_from": "l.at >= :date_from", "date_to": "l.at <= :date_to"}


def _where(filters: dict) -> tuple[str, dict]:
    params = {key: filters[key] for key in _FILTERS if filters.get(key)}
    if "date_from" in params:
        params["date_from"] += "T00:00:00Z"
    if "date_to" in params:
        params["date_to"] += "T23:59:59Z"
    return " AND ".join(["1 = 1", *(_FILTERS[key] for key in params)]), params


def entries(db: Database, filters: dict, limit: int, after: int | None = None,
            before: int | None = None) -> tuple[list[dict], bool, bool]:
    """One page, newest first: the first, the one after entry `after` or before `before`
    (keyset paging: no OFFSET). Returns (rows, newer entries exist, older entries exist)."""
    where, params = _where(filters)
    if after:
        where, params["edge"] = where + " AND l.id < :edge", after
    elif before:
        where, params["edge"] = where + " AND l.id > :edge", before
    rows = dicts(db.conn.execute(
        "SELECT l.id, l.at, l.action, l.before, l.after, l.detail, u.username, s.reference"
        " FROM audit_log l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN submissions s ON s.id = l.submission_id"
        f" WHERE {where} ORDER BY l.id {'ASC' if before else 'DESC'} LIMIT :limit", {**params, "limit": limit + 1}))
    more = len(rows) > limit
    rows = rows[:limit]
    if before:
        rows.reverse()
        return rows, more, True
    return rows, bool(after), more


def count(db: Database, filters: dict) -> tuple[int, bool]:
    """Entries matching, counted up to COUNT_CAP (then capped: "10,000+")."""
    where, params = _where(filters)
    n = db.conn.execute(f"SELECT count(*) AS n FROM (SELECT 1 FROM audit_log l WHERE {where} LIMIT :cap)",
                        {**params, "cap": COUNT_CAP + 1}).fetchone()["n"]
    return min(n, COUNT_CAP), n > COUNT_CAP


def actions(db: Database) -> list[str]:
    """The actions in the log, one index step each (a loose scan of audit_log_action), not a
    read of every entry."""
    return [r["action"] for r in db.conn.execute(
        "WITH RECURSIVE seen(action) AS (SELECT min(action) FROM audit_log UNION ALL"
        " SELECT (SELECT min(action) FROM audit_log WHERE action > seen.action) FROM seen"
        " WHERE seen.action IS NOT NULL) SELECT action FROM seen WHERE action IS NOT NULL")]
