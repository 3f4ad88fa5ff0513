"""Owns every SQL statement of moderation: accounts, sessions, the queue, changes to a
submission (each with its audit entry, in one transaction), notes, answers,
exports and the dashboard's figures. Its schema is migration 0002 (storage/migrations.py);
its audit entries are written through storage/audit.py. No view or template runs SQL.

Visibility: `viewer` dicts carry `role`; only an admin sees `sensitive` submissions, and they
see them only in their own queue (`sensitive=True` filter), never mixed into the main one.
"""
from __future__ import annotations

import datetime as dt
import re

from sqlite_utils import Database

from .. import text
from . import audit, counts, fulltext, masks
from .db import dicts as _dicts, immediate, now, one as _one

QUEUE_ORDER = "s.received_at DESC, s.id DESC"
# Called as hook(db, submission_id, body, language) inside the transaction that publishes an
# answer. The SMS channel registers its own (feedback_api/sms), so storage imports no service part.
ANSWER_PUBLISHED: list = []
OLDEST_FIRST = "s.received_at, s.id"
OPEN_STATUSES = ("new", "in_review")


# ---------------------------------------------------------------- accounts

USER_COLUMNS = "id, username, password_hash, role, active, created_at, last_sign_in_at, language"


def create_user(db: Database, username: str, password_hash: str, role: str, by_user=None,
                language: str = "en") -> int:
    with immediate(db):
        cursor = db.conn.execute(
            "INSERT INTO users (username, password_hash, role, active, created_at, language)"
            " VALUES (:username, :password_hash, :role, 1, :now, :language)",
            {"username": username, "password_hash": password_hash, "role": role, "now": now(), "language": language})
        audit.record(db, by_user, "user_create", after={"username": username, "role": role, "language": language})
        return cursor.lastrowid


def set_user_language(db: Database, user_id: int, language: str) -> None:
    """The language moderation pages are shown in for this user (not audited: it changes
    nothing anyone else sees)."""
    with immediate(db):
        db.conn.execute("UPDATE users SET language = :language WHERE id = :id", {"language": language, "id": user_id})


def user_by_name(db: Database, username: str) -> dict | None:
    return _one(db.conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE username = :username",
                                {"username": username}))


def user_by_id(db: Database, user_id: int) -> dict | None:
    return _one(db.conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = :id", {"id": user_id}))


def list_users(db: Database) -> list[dict]:
    return _dicts(db.conn.execute(
        "SELECT id, username, role, active, created_at, last_sign_in_at, language FROM users ORDER BY username"))


def active_admins(db: Database) -> int:
    return db.conn.execute("SELECT count(*) AS n FROM users WHERE role = 'admin' AND active = 1").fetchone()["n"]


def update_user(db: Database, user_id: int, by_user, **changes) -> dict | None:
    """Change active/role/password_hash; disabling or a new password ends their sessions.
    Returns the user as it was, or None if there is no such user."""
    allowed = {"active", "role", "password_hash"}
    assert set(changes) <= allowed, changes
    with immediate(db):
        user = _one(db.conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = :id", {"id": user_id}))
        if user is None:
            return None
        sets = ", ".join(f"{k} = :{k}" for k in changes)  # keys: the allowed column names
        db.conn.execute(f"UPDATE users SET {sets} WHERE id = :id", {**changes, "id": user_id})
        if changes.get("active") == 0 or "password_hash" in changes:
            db.conn.execute("DELETE FROM sessions WHERE user_id = :id", {"id": user_id})
        shown = {k: v for k, v in changes.items() if k != "password_hash"}
        if "password_hash" in changes:
            shown["password"] = "changed"
        audit.record(db, by_user, "user_update", before={k: user[k] for k in shown if k in user},
                     after=shown, detail=user["username"])
        return user


# ---------------------------------------------------------------- sessions

def create_session(db: Database, session_hash: str, user_id: int) -> None:
    stamp = now()
    with immediate(db):
        params = {"id": session_hash, "user_id": user_id, "now": stamp}
        db.conn.execute("INSERT INTO sessions (id, user_id, created_at, last_seen_at)"
                        " VALUES (:id, :user_id, :now, :now)", params)
        db.conn.execute("UPDATE users SET last_sign_in_at = :now WHERE id = :user_id", params)
        audit.record(db, user_id, "sign_in")


def session_user(db: Database, session_hash: str) -> dict | None:
    """The session and its user, if both exist and the user is active."""
    return _one(db.conn.execute(
        "SELECT s.id AS session_id, s.created_at AS session_created_at, s.last_seen_at,"
        " u.id, u.username, u.role, u.language FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.id = :id AND u.active = 1", {"id": session_hash}))


def touch_session(db: Database, session_hash: str) -> None:
    with immediate(db):
        db.conn.execute("UPDATE sessions SET last_seen_at = :now WHERE id = :id", {"now": now(), "id": session_hash})


def end_session(db: Database, session_hash: str, user_id=None, reason: str = "sign_out") -> None:
    with immediate(db):
        deleted = db.conn.execute("DELETE FROM sessions WHERE id = :id", {"id": session_hash}).rowcount
        if deleted:
            audit.record(db, user_id, reason)


def purge_sessions(db: Database, idle_before: str, created_before: str) -> int:
    with immediate(db):
        return db.conn.execute("DELETE FROM sessions WHERE last_seen_at < :idle OR created_at < :created",
                               {"idle": idle_before, "created": created_before}).rowcount


# ---------------------------------------------------------------- the queue

def fts_query(db: Database, text: str) -> str | None:
    """The search box as an FTS5 query: sqlite-utils' own quoting (`db.quote_fts`, what
    `table.search(q, quote=True)` uses: every word or "phrase" double-quoted, an unbalanced
    quote closed, so NOT, OR, * or a stray quote are never FTS syntax), then each quoted term
    made a prefix ("word"*), so that an Urdu stem finds its inflections. Words are AND-ed."""
    quoted = re.findall(r'"[^"]*"', db.quote_fts(text[:200]))
    terms = [t for t in quoted if t.strip('"').strip()][:20]
    return " ".join(f"{t}*" for t in terms) or None


def search_match(db: Database, text: str) -> str | None:
    """`fts_query(text)`, once the submissions waiting for the full-text index are in it
    (storage/fulltext.py): a search finds every submission stored before it."""
    match = fts_query(db, text)
    if match:
        fulltext.catch_up(db)
    return match


def _where(db: Database, filters: dict, viewer: dict) -> tuple[str, dict]:
    """WHERE clause for the queue, exports and counts. Known keys only; values were checked by
    the view (choices) or are bound as parameters. A unary + keeps SQLite from using an index
    for a term that matches most rows (open, not sensitive): it then walks the index of the
    filter that narrows, or received_at's, in the queue's order, and stops after one page."""
    clauses, params = [], {}
    if viewer.get("role") == "admin" and filters.get("sensitive"):
        clauses.append("+s.sensitive = 1")
    else:
        clauses.append("+s.sensitive = 0")  # sensitive cases live only in the admins' queue
    status = filters.get("status")
    if status == "open":
        clauses.append("+s.status IN ('new', 'in_review')")
    elif status and status != "all":
        clauses.append("s.status = :status")
        params["status"] = status
    for key in ("kind", "component", "language", "channel", "topic_code"):
        if filters.get(key):
            clauses.append(f"s.{key} = :{key}")
            params[key] = filters[key]
    if filters.get("district"):
        clauses.append("s.district = :district COLLATE NOCASE")
        params["district"] = filters["district"]
    if filters.get("date_from"):
        clauses.append("s.received_at >= :date_from")
        params["date_from"] = filters["date_from"] + "T00:00:00Z"
    if filters.get("date_to"):
        clauses.append("s.received_at <= :date_to")
        params["date_to"] = filters["date_to"] + "T23:59:59Z"
    if filters.get("q"):
        match = search_match(db, filters["q"])
        if match:
            clauses.append("s.id IN (SELECT rowid FROM submissions_fts WHERE submissions_fts MATCH :match)")
            params["match"] = match
    return " AND ".join(clauses), params


QUEUE_COLUMNS = ("s.id, s.reference, s.kind, s.component, s.language, s.message, s.page, s.district,"
                 " s.channel, s.status, s.sensitive, s.topic_code, s.duplicate_of, s.received_at,"
                 " s.gathered_on, s.first_answered_at, s.spam_reason")
QUEUE_ROW = f"{QUEUE_COLUMNS}, (SELECT published FROM answers a WHERE a.submission_id = s.id) AS published"


# Counting further is not worth a slow page: "1,000+". (10,000 cost a view with two filters half
# a second at a million rows: benchmarks/scale.md.)
COUNT_CAP = 1000


def _source(db: Database, filters: dict, viewer: dict, descending: bool) -> tuple[str, str, dict, str]:
    """(FROM, WHERE, params, ORDER BY) for the queue's rows in its order or the reverse. A
    search walks the full-text index newest match first (rowid order, which is arrival order:
    received_at is the time of the insert) and stops after one page; anything else walks an
    index in (received_at, id) order."""
    match = search_match(db, filters["q"]) if filters.get("q") else None
    where, params = _where(db, {**filters, "q": None}, viewer)
    direction = "DESC" if descending else "ASC"
    if match:
        # CROSS JOIN: the search drives, whatever index a filter offers.
        return ("submissions_fts f CROSS JOIN submissions s ON s.id = f.rowid",
                f"submissions_fts MATCH :match AND {where}", {**params, "match": match}, f"f.rowid {direction}")
    return "submissions s", where, params, f"s.received_at {direction}, s.id {direction}"


def queue(db: Database, filters: dict, viewer: dict, limit: int, after: int | None = None,
          before: int | None = None, last: bool = False) -> tuple[list[dict], bool, bool]:
    """One page of the queue, newest first (or oldest first: filters["order"] == "oldest"):
    the first page, the page after the row with id `after`, the page before `before`, or the
    last page. Keyset paging: no OFFSET, so page 200 costs what page 1 does, and rows with the
    same received_at are ordered by id, never shown twice or skipped.
    Returns (rows, newer rows exist, older rows exist) - "newer"/"older" in the page's order."""
    newest_first = filters.get("order") != "oldest"
    forward = not (before or last)                 # fetching in the order shown
    descending = newest_first == forward
    source, where, params, order = _source(db, filters, viewer, descending)
    cursor = after or before
    if cursor:
        key = db.conn.execute("SELECT received_at, id FROM submissions WHERE id = :id", {"id": cursor}).fetchone()
        if key is None:
            cursor = None
        elif source.startswith("submissions_fts"):
            where += f" AND f.rowid {'<' if descending else '>'} :edge_id"
            params["edge_id"] = key["id"]
        else:
            where += f" AND (s.received_at, s.id) {'<' if descending else '>'} (:edge_at, :edge_id)"
            params.update(edge_at=key["received_at"], edge_id=key["id"])
    rows = _dicts(db.conn.execute(
        f"SELECT {QUEUE_ROW} FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit", {**params, "limit": limit + 1}))
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    if last:
        return rows, more, False
    if before and cursor:
        return rows, more, True
    return rows, bool(after and cursor), more


def queue_and_counts(db: Database, filters: dict, viewer: dict, limit: int, after: int | None = None,
                     before: int | None = None, last: bool = False) -> tuple[list[dict], bool, bool, dict, bool]:
    """`queue()` and `status_counts()` of one queue view: (rows, newer, older, counts, capped).
    A search's first page, newest first, reads the full-text index once for both: its newest
    COUNT_CAP + 1 matches under the other filters give the counts, and the page is the first
    of them in the status asked for. (A word searched as a prefix makes SQLite merge every
    matching word's entries before the first row comes: tens of ms at a million rows, so
    once a page, not twice.) Elsewhere the two are read apart."""
    first_search_page = filters.get("q") and filters.get("order") != "oldest" and not (after or before or last)
    head = _search_head(db, filters, viewer) if first_search_page else None
    if head is None:   # not a search's first page, or nothing searchable in the words
        rows, newer, older = queue(db, filters, viewer, limit, after=after, before=before, last=last)
        return (rows, newer, older, *status_counts(db, filters, viewer))
    capped = len(head) > COUNT_CAP
    counted = head[:COUNT_CAP]
    wanted = _status_test(filters.get("status"))
    ids = [i for i, status in head if wanted(status)][:limit + 1]
    if len(ids) <= limit and capped:   # the page goes past the matches counted: read it apart
        rows, newer, older = queue(db, filters, viewer, limit)
    else:
        marks = {f"i{n}": i for n, i in enumerate(ids)}
        rows = _dicts(db.conn.execute(
            f"SELECT {QUEUE_ROW} FROM submissions s WHERE s.id IN ({', '.join(':' + m for m in marks) or 'NULL'}) ORDER BY s.id DESC",
            marks))
        rows, newer, older = rows[:limit], False, len(rows) > limit
    tally: dict[str, int] = {}
    for _, status in counted:
        tally[status] = tally.get(status, 0) + 1
    return rows, newer, older, _tallied(tally), capped


def _status_test(status: str | None):
    if status == "open":
        return lambda s: s in OPEN_STATUSES
    if status and status != "all":
        return lambda s: s == status
    return lambda s: True


def _search_head(db: Database, filters: dict, viewer: dict) -> list[tuple[int, str]] | None:
    """(id, status) of a search's newest COUNT_CAP + 1 matches under every filter but status."""
    source, where, params, order = _source(db, {**filters, "status": None}, viewer, True)
    if not source.startswith("submissions_fts"):
        return None
    return [tuple(r) for r in db.conn.execute(
        f"SELECT s.id, s.status FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit",
        {**params, "limit": COUNT_CAP + 1})]


def matching_ids(db: Database, filters: dict, viewer: dict, limit: int) -> list[int]:
    """Ids of every row under the queue's filters (for "apply to all matching")."""
    where, params = _where(db, filters, viewer)
    return [r["id"] for r in db.conn.execute(
        f"SELECT s.id FROM submissions s WHERE {where} ORDER BY {QUEUE_ORDER} LIMIT :limit", {**params, "limit": limit})]


def status_counts(db: Database, filters: dict, viewer: dict) -> tuple[dict, bool]:
    """Rows per status under the current filters (the status filter itself left out), and
    whether they are capped. Exact, from the counts kept per week and dimension, when the
    filters are at most one dimension and no dates or search; otherwise counted among the newest
    COUNT_CAP + 1 matching rows (capped: each figure is then "at least")."""
    sensitive = 1 if viewer.get("role") == "admin" and filters.get("sensitive") else 0
    dims = [d for d in counts.DIMENSIONS if filters.get(d)]
    capped = False
    plain = not (filters.get("q") or filters.get("date_from") or filters.get("date_to"))
    if plain and len(dims) <= 1 and counts.complete(db):
        dim, value = (dims[0], filters[dims[0]]) if dims else ("all", "")
        tally = counts.status_counts(db, dim, value, sensitive)
    else:
        source, where, params, order = _source(db, {**filters, "status": None}, viewer, True)
        statuses = [r["status"] for r in db.conn.execute(
            f"SELECT s.status FROM {source} WHERE {where} ORDER BY {order} LIMIT :limit",
            {**params, "limit": COUNT_CAP + 1})]
        capped = len(statuses) > COUNT_CAP
        tally = {}
        for status in statuses[:COUNT_CAP]:
            tally[status] = tally.get(status, 0) + 1
    return _tallied(tally), capped


def _tallied(tally: dict) -> dict:
    """Rows per status, with "open" and "all" added."""
    tally = {k: v for k, v in tally.items() if v}
    tally["open"] = tally.get("new", 0) + tally.get("in_review", 0)
    tally["all"] = sum(v for k, v in tally.items() if k != "open")
    return tally


def sensitive_waiting(db: Database) -> int:
    if counts.complete(db):
        return counts.sensitive_waiting(db)
    return db.conn.execute("SELECT count(*) AS n FROM submissions WHERE sensitive = 1 AND status IN"
                           " ('new', 'in_review')").fetchone()["n"]


def districts(db: Database) -> list[str]:
    return counts.districts(db)


# ---------------------------------------------------------------- one submission

def submission(db: Database, reference: str, include_sensitive: bool) -> dict | None:
    """A submission with its answer, notes and duplicate links (contacts: `contact()`). Without
    `include_sensitive` (a moderator), the references of linked submissions that are sensitive
    are left out: listing them would tell the moderator which cases are in the restricted queue."""
    hidden = "" if include_sensitive else " AND d.sensitive = 0"
    row = _one(db.conn.execute(
        f"SELECT {QUEUE_COLUMNS}, s.updated_at, s.group_key, (SELECT reference FROM submissions d"
        f" WHERE d.id = s.duplicate_of{hidden}) AS duplicate_of_reference FROM submissions s WHERE s.reference = :reference",
        {"reference": reference}))
    if row is None:
        return None
    row["answer"] = _one(db.conn.execute(
        "SELECT a.*, u.username AS author FROM answers a LEFT JOIN users u ON u.id = a.author_id"
        " WHERE a.submission_id = :id", row))
    row["notes"] = _dicts(db.conn.execute(
        "SELECT n.body, n.created_at, u.username AS author FROM notes n LEFT JOIN users u"
        " ON u.id = n.author_id WHERE n.submission_id = :id ORDER BY n.id", row))
    row["duplicates"] = [r["reference"] for r in db.conn.execute(
        f"SELECT reference FROM submissions d WHERE duplicate_of = :id{hidden} ORDER BY id", row)]
    return row


def neighbours(db: Database, row: dict) -> dict:
    """The open submissions just newer and just older than `row`, in the same queue (sensitive
    or not): "next" links, so that working through the queue needs no trip back to it."""
    same = "status IN ('new', 'in_review') AND sensitive = :sensitive AND id != :id"
    params = {key: row[key] for key in ("sensitive", "id", "received_at")}
    older = db.conn.execute(
        f"SELECT reference FROM submissions WHERE {same} AND (received_at, id) < (:received_at, :id)"
        " ORDER BY received_at DESC, id DESC LIMIT 1", params).fetchone()
    newer = db.conn.execute(
        f"SELECT reference FROM submissions WHERE {same} AND (received_at, id) > (:received_at, :id)"
        " ORDER BY received_at, id LIMIT 1", params).fetchone()
    return {"older": older["reference"] if older else None, "newer": newer["reference"] if newer else None}


def contact(db: Database, submission_id: int) -> dict | None:
    """Personal data: only admin views call this."""
    return _one(db.conn.execute("SELECT name, contact, consent_to_contact FROM contacts"
                                " WHERE submission_id = :id", {"id": submission_id}))


def history(db: Database, submission_id: int) -> list[dict]:
    return _dicts(db.conn.execute(
        "SELECT l.at, l.action, l.before, l.after, l.detail, u.username FROM audit_log l"
        " LEFT JOIN users u ON u.id = l.user_id WHERE l.submission_id = :id ORDER BY l.id",
        {"id": submission_id}))


SUBMISSION_FIELDS = {"status", "kind", "topic_code", "sensitive", "duplicate_of"}


def change(db: Database, submission_id: int, user_id: int, action: str, changes: dict,
           allow_sensitive: bool, detail: str | None = None) -> bool:
    """Apply `changes` to one submission and audit them (with `detail`, e.g. why), in one
    transaction. Refuses (False) a sensitive submission unless `allow_sensitive`. Flagging as
    sensitive unpublishes."""
    assert set(changes) <= SUBMISSION_FIELDS, changes
    with immediate(db):
        return _change(db, submission_id, user_id, action, changes, allow_sensitive, detail)


def _change(db, submission_id, user_id, action, changes, allow_sensitive, detail=None) -> bool:
    cols = ", ".join(sorted(SUBMISSION_FIELDS))
    row = _one(db.conn.execute(f"SELECT id, {cols} FROM submissions WHERE id = :id", {"id": submission_id}))
    if row is None or (row["sensitive"] and not allow_sensitive):
        return False
    diff = {k: v for k, v in changes.items() if row[k] != v}
    if not diff:
        return True
    if diff.get("sensitive") == 1:
        # A sensitive case is never public: withdraw its answer, and it is no longer answered.
        withdrawn = db.conn.execute("UPDATE answers SET published = 0, listed = 0"
                                    " WHERE submission_id = :id AND published = 1", {"id": submission_id}).rowcount
        if withdrawn and row["status"] == "answered":
            diff["status"] = "in_review"
    sets = ", ".join(f"{k} = :{k}" for k in diff)  # keys: SUBMISSION_FIELDS
    db.conn.execute(f"UPDATE submissions SET {sets}, updated_at = :now WHERE id = :id",
                    {**diff, "now": now(), "id": submission_id})
    audit.record(db, user_id, action, submission_id, {k: row[k] for k in diff}, diff, detail)
    return True


def bulk_change(db: Database, ids: list[int], user_id: int, action: str, changes: dict,
                allow_sensitive: bool) -> int:
    """The same change to many submissions; one audit entry each. Returns how many changed."""
    done = 0
    with immediate(db):
        for submission_id in ids:
            done += _change(db, submission_id, user_id, action, changes, allow_sensitive)
    return done


def add_note(db: Database, submission_id: int, user_id: int, body: str) -> None:
    with immediate(db):
        db.conn.execute("INSERT INTO notes (submission_id, author_id, body, body_masked, created_at)"
                        " VALUES (:submission_id, :author_id, :body, :body_masked, :now)",
                        {"submission_id": submission_id, "author_id": user_id, "body": body,
                         "body_masked": masks.masked(body), "now": now()})
        audit.record(db, user_id, "note", submission_id, None, {"note": body})


def submission_id(db: Database, reference: str) -> int | None:
    row = db.conn.execute("SELECT id FROM submissions WHERE reference = :reference", {"reference": reference}).fetchone()
    return row["id"] if row else None


def save_answer(db: Database, submission_id: int, user_id: int, body: str, language: str,
                public_question: str | None, publish: bool, listed: bool) -> str:
    """Write (or rewrite) the answer; `publish` makes it public and the submission answered.
    Returns "saved", "published", or "refused" (a sensitive case is never published)."""
    if listed and not (public_question or "").strip():
        # Listed means "shown with its question in the public list": without one it would be
        # reported as listed and never appear (the feed needs the question).
        raise ValueError("a listed answer needs its public question")
    with immediate(db):
        return write_answer(db, submission_id, user_id, body, language, public_question, publish, listed)


def write_answer(db: Database, submission_id: int, user_id: int, body: str, language: str,
                 public_question: str | None, publish: bool, listed: bool) -> str:
    """save_answer inside the caller's transaction (a group's answer writes many in one)."""
    stamp = now()
    sub = _one(db.conn.execute("SELECT id, status, sensitive, first_answered_at FROM submissions"
                               " WHERE id = :id", {"id": submission_id}))
    if publish and sub["sensitive"]:
        return "refused"
    before = _one(db.conn.execute("SELECT body, language, public_question, published, listed"
                                  " FROM answers WHERE submission_id = :id", {"id": submission_id}))
    published = 1 if publish else 0  # saving a draft over a published answer unpublishes it
    # `listed` is kept on a draft too (the feed shows only published AND listed answers),
    # so the choice survives "save draft" and the page shows it ticked.
    listed_value = 1 if listed else 0
    db.conn.execute(
        "INSERT INTO answers (submission_id, body, body_masked, language, public_question, published, listed,"
        " author_id, created_at, updated_at, published_at) VALUES (:submission_id, :body, :body_masked,"
        " :language, :public_question, :published, :listed, :author_id, :now, :now, :published_at)"
        " ON CONFLICT (submission_id) DO UPDATE SET body = excluded.body, body_masked = excluded.body_masked,"
        " language = excluded.language,"
        " public_question = excluded.public_question, published = excluded.published,"
        " listed = excluded.listed, author_id = excluded.author_id, updated_at = excluded.updated_at,"
        " published_at = COALESCE(excluded.published_at, answers.published_at)",
        {"submission_id": submission_id, "body": body, "body_masked": masks.masked(body),
         "language": language, "public_question": public_question,
         "published": published, "listed": listed_value, "author_id": user_id, "now": stamp,
         "published_at": stamp if publish else None})
    after = {"body": body, "language": language, "public_question": public_question,
             "published": published, "listed": listed_value}
    audit.record(db, user_id, "answer_publish" if publish else "answer_save", submission_id, before, after)
    if publish:
        for hook in ANSWER_PUBLISHED:  # e.g. the SMS to the submitter, in this same transaction
            hook(db, submission_id, body, language)
        changes = {"status": "answered"}
        if sub["status"] != "answered":
            db.conn.execute("UPDATE submissions SET status = 'answered', updated_at = :now,"
                            " first_answered_at = COALESCE(first_answered_at, :now) WHERE id = :id",
                            {"now": stamp, "id": submission_id})
            audit.record(db, user_id, "status", submission_id, {"status": sub["status"]}, changes)
        elif sub["first_answered_at"] is None:
            db.conn.execute("UPDATE submissions SET first_answered_at = :now WHERE id = :id",
                            {"now": stamp, "id": submission_id})
    return "published" if publish else "saved"


def unpublish_answer(db: Database, submission_id: int, user_id: int) -> bool:
    with immediate(db):
        changed = db.conn.execute("UPDATE answers SET published = 0, listed = 0, updated_at = :now"
                                  " WHERE submission_id = :id AND published = 1",
                                  {"now": now(), "id": submission_id}).rowcount
        if changed:
            audit.record(db, user_id, "answer_unpublish", submission_id, {"published": 1}, {"published": 0})
        return bool(changed)


# ---------------------------------------------------------------- export

def _neutral(expr: str) -> str:
    """SQL for text.neutral_cell(expr): the same OWASP rule (text.FORMULA_STARTS), applied by
    SQLite as it writes each row, so the export's Python touches no cell. One GLOB class per
    cell: a list of char() calls cost the export a fifth of its time."""
    return f"CASE WHEN {expr} GLOB '{_FORMULA_CLASS}*' THEN '''' || {expr} ELSE {expr} END"


# text.FORMULA_STARTS as a GLOB character class ("-" last: itself, not a range).
_FORMULA_CLASS = "[" + "".join(sorted(text.FORMULA_STARTS, key=lambda c: c == "-")) + "]"
assert "'" not in _FORMULA_CLASS and "]" not in _FORMULA_CLASS[1:-1]
# Cells the service writes itself, or a CHECK constraint holds to a few words: never a formula.
_NEVER_FORMULA = {"reference", "received_at", "channel", "status", "answer_published", "first_answered_at",
                  "duplicate_of", "notes"}


def export_rows(db: Database, filters: dict, viewer: dict, personal: bool, neutral: bool, lines: bool = False,
                batch: int = 2000):
    """Every row of the current filter (no paging), in the queue's order: the column names,
    then lists of up to `batch` row tuples. Free text comes masked (storage/masks.py); with
    `neutral` (CSV), every cell a spreadsheet could run as a formula is neutralised. Contact
    columns only when `personal` (an admin asked for them). With `lines` (CSV), SQLite writes each
    row as its CSV line and each batch is their text (`csv_line`). A generator over one cursor:
    memory stays flat however many rows, and Python does nothing per cell."""
    where, params = _where(db, filters, viewer)
    hidden = "" if viewer.get("role") == "admin" else " AND d.sensitive = 0"
    columns = [
        ("reference", "s.reference"), ("received_at", "s.received_at"), ("gathered_on", "s.gathered_on"),
        ("channel", "s.channel"), ("status", "s.status"), ("kind", "s.kind"), ("topic_code", "s.topic_code"),
        ("component", "s.component"), ("language", "s.language"),
        ("district", masks.expression(db, "s", "district")), ("page", masks.expression(db, "s", "page")),
        ("message", masks.expression(db, "s", "message")),
        # A reference, and notes that start with their time: never a formula (_NEVER_FORMULA).
        ("duplicate_of", f"(SELECT reference FROM submissions d WHERE d.id = s.duplicate_of{hidden})"),
        ("answer", masks.expression(db, "a", "body")), ("answer_language", "a.language"),
        ("answer_published", "a.published"), ("first_answered_at", "s.first_answered_at"),
        ("notes", "(SELECT group_concat(n.created_at || ' ' || COALESCE(u.username, '?') || ': ' || "
                  f"{masks.expression(db, 'n', 'body')}, char(10)) FROM notes n LEFT JOIN users u"
                  " ON u.id = n.author_id WHERE n.submission_id = s.id)"),
    ]
    if personal:
        columns += [("name", "c.name"), ("contact", "c.contact"), ("consent_to_contact", "c.consent_to_contact")]
    cells = [(name, _neutral(expr) if neutral and name not in _NEVER_FORMULA else expr) for name, expr in columns]
    select = csv_line([cell for _, cell in cells]) if lines else ", ".join(f"{cell} AS {name}" for name, cell in cells)
    cursor = db.conn.cursor()
    cursor.row_factory = None  # plain tuples: the csv module writes them without a Python loop
    cursor.execute(
        f"SELECT {select} FROM submissions s LEFT JOIN answers a ON a.submission_id = s.id"
        + (" LEFT JOIN contacts c ON c.submission_id = s.id" if personal else "")
        + f" WHERE {where} ORDER BY {OLDEST_FIRST if filters.get('order') == 'oldest' else QUEUE_ORDER}",
        params)
    yield [name for name, _ in columns]
    while rows := cursor.fetchmany(batch):
        yield "".join([row[0] for row in rows]) if lines else rows


def csv_line(cells: list[str]) -> str:
    """SQL for one CSV line of `cells` as the csv module writes it with QUOTE_ALL and CRLF: each
    cell quoted, its quotes doubled (printf's %w), NULL an empty cell. SQLite building the line
    in one printf halves the export's CPU against the csv module writing each row's tuple
    (benchmarks/scale.md); a chain of replace() and || was slower than the csv module."""
    form = ",".join(['"%w"'] * len(cells)) + "\r\n"
    return f"printf('{form}', " + ", ".join(f"COALESCE({cell}, '')" for cell in cells) + ")"


# ---------------------------------------------------------------- dashboard

def dashboard(db: Database, since: str, include_sensitive: bool) -> dict:
    """Figures for the dashboard since `since` (a date): per week and dimension, open versus
    answered, median hours to first answer, the oldest waiting. Spam is left out. Read from
    the counts kept as submissions change (storage/counts.py), never from every row."""
    dims = ("component", "kind", "language", "district", "channel")
    weeks: dict[str, int] = {}
    by_dim: dict[str, dict] = {d: {} for d in dims}
    states = {"open": 0, "answered": 0, "closed": 0}
    open_by_week: dict[str, int] = {}
    answered_by_week: dict[str, int] = {}
    for dim, value, week, status, n in counts.week_counts(db, since, dims, include_sensitive):
        if dim != "all":
            per = by_dim[dim].setdefault(value, {})
            per[week] = per.get(week, 0) + n
            continue
        weeks[week] = weeks.get(week, 0) + n
        if status in OPEN_STATUSES:
            states["open"] += n
            open_by_week[week] = open_by_week.get(week, 0) + n
        elif status == "answered":
            states["answered"] += n
            answered_by_week[week] = answered_by_week.get(week, 0) + n
        else:
            states["closed"] += n
    hours = counts.answer_hours(db, since, include_sensitive)
    sens = "" if include_sensitive else " AND sensitive = 0"
    # One short walk of (status, received_at) per open status, merged here: never a sort of
    # every open row.
    oldest = sorted((row for status in OPEN_STATUSES for row in _dicts(db.conn.execute(
        "SELECT reference, received_at, status, sensitive, id FROM submissions"
        f" WHERE status = :status{sens} ORDER BY received_at, id LIMIT 5", {"status": status}))),
        key=lambda r: (r["received_at"], r["id"]))[:5]
    done_to, target = counts.progress(db)
    return {"weeks": weeks, "by_dim": by_dim, "states": states, "open_by_week": open_by_week,
            "answered_by_week": answered_by_week,
            "median_hours_to_answer": counts.median_hours(hours),
            "answered_count": sum(n for _, n in hours), "oldest": oldest, "total": sum(weeks.values()),
            "counted_share": 1.0 if done_to >= target else done_to / target}
