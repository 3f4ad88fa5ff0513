"""Owns the SQLite database: connections, schema migrations and every SQL statement.

Rules this module keeps (see FINDINGS.md):
- One persistent connection per thread (and per process: a forked worker opens its own).
  Opening and closing per request checkpoints the WAL each time and is several times slower.
- WAL, foreign keys on, a busy timeout of at least 10 s, synchronous from config (FULL by
  default: an acknowledged submission survives a power cut, not only a crash).
- A write that reads first runs in BEGIN IMMEDIATE (`immediate(db)`): a deferred BEGIN fails
  with SQLITE_BUSY_SNAPSHOT under concurrent writers, which no busy timeout retries. Writers
  queue first (a thread lock, then an flock shared by the workers): SQLite's busy handler
  sleeps up to 100 ms between tries, which was the whole p99 under load.
- Migrations run once, under a file lock, from `flask init-db`, gunicorn's on_starting hook,
  or the first app start that finds one pending; never concurrently in every worker.
Other parts (moderation) add their statements here and their schema changes as new
migrations at the end of this file, never by editing an applied one.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import threading
from pathlib import Path

from flask import current_app
from sqlite_utils import Database, Migrations

migrations = Migrations("feedback_api")
_local = threading.local()

STATUSES = ("new", "in_review", "answered", "closed", "spam")
CHANNELS = ("web", "town_hall", "feedback_session", "helpline", "sms", "field_visit")
# What the public sees of each internal status: spam looks like any new submission, so a
# bot learns nothing from looking up the reference it was given.
PUBLIC_STATUS = {"new": "received", "spam": "received", "in_review": "in_review",
                 "answered": "answered", "closed": "closed"}


def now() -> str:
    """UTC time as ISO 8601 with a Z, to the second: sorts and compares as text."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: int) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- connections

def connect(path: str, synchronous: str = "FULL", busy_timeout: float = 15) -> Database:
    """A new connection with our pragmas. The caller owns it (one thread only)."""
    if str(synchronous).upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=float(busy_timeout))
    db = Database(conn, execute_plugins=False)
    db.path = os.path.abspath(path)  # names this database's in-process write lock
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {str(synchronous).upper()}")
    conn.execute(f"PRAGMA busy_timeout = {int(float(busy_timeout) * 1000)}")
    return db


def get_db() -> Database:
    """This thread's connection to the app's database, opened on first use and kept."""
    cfg = current_app.config
    key = (os.getpid(), cfg["DATABASE"])
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    db = cache.get(key)
    if db is None:
        db = cache[key] = connect(cfg["DATABASE"], cfg["SQLITE_SYNCHRONOUS"],
                                  cfg["SQLITE_BUSY_TIMEOUT_SECONDS"])
    return db


def close_thread_connections() -> None:
    """Close this thread's connections (tests and CLI commands call it)."""
    for db in getattr(_local, "dbs", {}).values():
        db.close()
    _local.dbs = {}


class _WriterQueue:
    """Orders the writers of one database: threads of this process on a Python lock, then
    processes (gunicorn workers) on an flock of <database>.write-lock.

    Why: SQLite's busy handler polls with sleeps of up to 100 ms, which put a 300 ms tail on
    p99 latency with 8 writing threads, and halved throughput with 2 worker processes. Both
    locks wake the next writer the moment the last one lets go. BEGIN IMMEDIATE and the busy
    timeout stay as the safety net for anything that writes without this queue (the CLI,
    sqlite3 by hand). A killed process's flock is released by the kernel."""

    def __init__(self, path: str):
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd = None
        self.pid = None

    @contextlib.contextmanager
    def turn(self):
        with self.thread_lock:
            if self.pid != os.getpid():  # first use, or first use after a fork
                self.fd = os.open(f"{self.path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
                self.pid = os.getpid()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_queues: dict[str, _WriterQueue] = {}
_queues_guard = threading.Lock()


def _queue(path: str) -> _WriterQueue:
    with _queues_guard:
        if path not in _queues:
            _queues[path] = _WriterQueue(path)
        return _queues[path]


@contextlib.contextmanager
def immediate(db: Database):
    """A write transaction that takes the write lock before its first read, after waiting
    its turn in this database's writer queue."""
    with _queue(db.path).turn():
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")


# ---------------------------------------------------------------- migrations

@contextlib.contextmanager
def _migration_lock(path: str):
    lock_path = f"{path}.migrate-lock"
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def pending(path: str) -> list[str]:
    db = connect(path)
    try:
        return [m.name for m in migrations.pending(db)]
    finally:
        db.close()


def migrate(path: str) -> list[str]:
    """Apply pending migrations (once, under a lock); returns the names applied."""
    with _migration_lock(path):
        db = connect(path)
        try:
            # WAL is a property of the file: set once here, every later connection uses it.
            db.conn.execute("PRAGMA journal_mode = WAL")
            todo = [m.name for m in migrations.pending(db)]
            migrations.apply(db)
            db.conn.execute(f"PRAGMA user_version = {len(migrations.applied(db))}")
            return todo
        finally:
            db.close()


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


@migrations(name="0001_initial")
def _m0001_initial(db: Database) -> None:
    db.executescript("""
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('moderator', 'admin')),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL
);
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    component TEXT NOT NULL,
    language TEXT NOT NULL,
    message TEXT NOT NULL,
    page TEXT,
    district TEXT,
    channel TEXT NOT NULL DEFAULT 'web'
        CHECK (channel IN ('web', 'town_hall', 'feedback_session', 'helpline', 'sms', 'field_visit')),
    status TEXT NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'in_review', 'answered', 'closed', 'spam')),
    spam_reason TEXT,
    sensitive INTEGER NOT NULL DEFAULT 0 CHECK (sensitive IN (0, 1)),
    topic_code TEXT,
    duplicate_of INTEGER REFERENCES submissions(id),
    client_hash TEXT,
    message_hash TEXT NOT NULL,
    received_at TEXT NOT NULL,
    gathered_on TEXT,
    updated_at TEXT NOT NULL,
    first_answered_at TEXT
);
CREATE INDEX submissions_duplicates ON submissions (client_hash, message_hash, received_at);
CREATE INDEX submissions_queue ON submissions (status, received_at);
CREATE INDEX submissions_duplicate_of ON submissions (duplicate_of);
-- Personal data, apart so that it can be restricted, exported and erased on its own.
CREATE TABLE contacts (
    submission_id INTEGER PRIMARY KEY REFERENCES submissions(id) ON DELETE CASCADE,
    name TEXT,
    contact TEXT,
    consent_to_contact INTEGER NOT NULL DEFAULT 0 CHECK (consent_to_contact IN (0, 1))
);
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    page TEXT NOT NULL,
    language TEXT NOT NULL,
    helpful INTEGER NOT NULL CHECK (helpful IN (0, 1)),
    comment TEXT,
    client_hash TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ratings_page ON ratings (page, created_at);
CREATE TABLE answers (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL UNIQUE REFERENCES submissions(id),
    body TEXT NOT NULL,
    language TEXT NOT NULL,
    public_question TEXT,
    published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    listed INTEGER NOT NULL DEFAULT 0 CHECK (listed IN (0, 1)),
    author_id INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT
);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    author_id INTEGER REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notes_submission ON notes (submission_id);
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    user_id INTEGER REFERENCES users(id),
    action TEXT NOT NULL,
    submission_id INTEGER REFERENCES submissions(id),
    before TEXT,
    after TEXT,
    detail TEXT
);
CREATE INDEX audit_log_submission ON audit_log (submission_id, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
""")
    # FTS5 over the message, kept in step by triggers. table.transform() drops these
    # triggers (sqlite-utils #611): a later migration that transforms submissions must
    # call enable_fts(..., create_triggers=True, replace=True) again.
    db["submissions"].enable_fts(["message"], fts_version="FTS5", create_triggers=True)


# ---------------------------------------------------------------- public writes and reads

def insert_submission(db: Database, row: dict, contact: dict | None, duplicate_since: str,
                      make_reference, also=None) -> tuple[str, bool]:
    """Store one submission (and its contact details) unless the same client sent the same
    message since `duplicate_since`. Returns (reference, created). `also(db)`, if given, runs
    in the same transaction (the SMS channel records the sender's language: one commit)."""
    with immediate(db):
        if also is not None:
            also(db)
        if row.get("client_hash"):
            earlier = db.execute(
                "SELECT reference FROM submissions WHERE client_hash = ? AND message_hash = ?"
                " AND received_at >= ? ORDER BY id LIMIT 1",
                [row["client_hash"], row["message_hash"], duplicate_since]).fetchone()
            if earlier:
                return earlier[0], False
        stamp = now()
        for _attempt in range(5):
            reference = make_reference()
            try:
                cursor = db.conn.execute(
                    "INSERT INTO submissions (reference, kind, component, language, message, page,"
                    " district, channel, status, spam_reason, sensitive, client_hash, message_hash,"
                    " received_at, gathered_on, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [reference, row["kind"], row["component"], row["language"], row["message"],
                     row.get("page"), row.get("district"), row.get("channel", "web"),
                     row.get("status", "new"), row.get("spam_reason"), int(row.get("sensitive", 0)),
                     row.get("client_hash"), row["message_hash"], stamp, row.get("gathered_on"),
                     stamp])
                break
            except sqlite3.IntegrityError as exc:  # a reference collision: 50 bits, but be sure
                if "reference" not in str(exc):
                    raise
        else:
            raise RuntimeError("could not allocate a unique reference")
        if contact:
            db.conn.execute(
                "INSERT INTO contacts (submission_id, name, contact, consent_to_contact)"
                " VALUES (?, ?, ?, ?)",
                [cursor.lastrowid, contact.get("name"), contact.get("contact"),
                 int(contact.get("consent_to_contact", 0))])
        return reference, True


def public_status(db: Database, reference: str) -> dict | None:
    """What the public may see of a submission: never the message, contact or flags. A
    submission marked as a duplicate shows the answer published for the original."""
    row = db.execute(
        "SELECT s.reference, s.kind, s.component, s.language, s.status, s.received_at,"
        " a.body, a.language, a.published_at"
        " FROM submissions s"
        " LEFT JOIN answers a ON a.submission_id = COALESCE(s.duplicate_of, s.id) AND a.published = 1"
        " WHERE s.reference = ?", [reference]).fetchone()
    if row is None:
        return None
    answer = None
    if row[6] is not None:
        answer = {"body": row[6], "language": row[7], "published_at": row[8]}
    return {"reference": row[0], "kind": row[1], "component": row[2], "language": row[3],
            "status": PUBLIC_STATUS[row[4]], "received_at": row[5], "answer": answer}


def submission_language(db: Database, reference: str) -> str | None:
    row = db.execute("SELECT language FROM submissions WHERE reference = ?", [reference]).fetchone()
    return row[0] if row else None


def insert_rating(db: Database, row: dict) -> int:
    with immediate(db):
        cursor = db.conn.execute(
            "INSERT INTO ratings (page, language, helpful, comment, client_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [row["page"], row["language"], int(row["helpful"]), row.get("comment"),
             row.get("client_hash"), now()])
        return cursor.lastrowid


def check(db: Database) -> dict:
    """For /healthz: the database answers, and its schema is fully migrated."""
    db.execute("SELECT count(*) FROM submissions WHERE id = 0").fetchone()
    return {"schema_version": schema_version(db), "pending_migrations": len(migrations.pending(db))}


# ---------------------------------------------------------------- maintenance

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


# ---------------------------------------------------------------- data safety (feedback_api/maintenance.py)

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
            with _queue(os.path.abspath(dest_path)).turn():
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
        known = len(migrations._migrations)   # every migration this code registers
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
    from .storage_moderation import _audit   # its module imports this one
    erased = 0
    while True:
        with immediate(db):
            rows = db.conn.execute(
                "SELECT c.submission_id, c.name IS NOT NULL AND c.name != '',"
                " c.contact IS NOT NULL AND c.contact != '', c.consent_to_contact"
                " FROM contacts c JOIN submissions s ON s.id = c.submission_id"
                " WHERE s.received_at < ? ORDER BY c.submission_id LIMIT ?", [before, batch]).fetchall()
            for submission_id, had_name, had_contact, consent in rows:
                db.conn.execute("DELETE FROM contacts WHERE submission_id = ?", [submission_id])
                _audit(db, None, "retention_erase_contact", submission_id,
                       before={"name": bool(had_name), "contact": bool(had_contact),
                               "consent_to_contact": bool(consent)},
                       after=None, detail=detail)
        erased += len(rows)
        if len(rows) < batch:
            return erased


def clear_old_client_hashes(db: Database, before: str, detail: str) -> dict:
    """Forget the keyed hash of the sender's address on submissions and ratings older than
    `before`: with the secret key an IPv4 hash can be matched to its address by trying them
    all, so it is personal data too; it only serves duplicate detection (minutes) and rate
    limits. One audit entry with the counts (no per-row values to record)."""
    from .storage_moderation import _audit
    with immediate(db):
        subs = db.conn.execute("UPDATE submissions SET client_hash = NULL"
                               " WHERE client_hash IS NOT NULL AND received_at < ?", [before]).rowcount
        ratings = db.conn.execute("UPDATE ratings SET client_hash = NULL"
                                  " WHERE client_hash IS NOT NULL AND created_at < ?", [before]).rowcount
        if subs or ratings:
            _audit(db, None, "retention_clear_client_hash", None, None,
                   {"submissions": subs, "ratings": ratings}, detail)
    return {"submissions": subs, "ratings": ratings}


def personal_data_older_than(db: Database, before: str) -> dict:
    """What a retention run would remove (for --dry-run)."""
    contacts = db.execute("SELECT count(*) FROM contacts c JOIN submissions s ON s.id = c.submission_id"
                          " WHERE s.received_at < ?", [before]).fetchone()[0]
    subs = db.execute("SELECT count(*) FROM submissions WHERE client_hash IS NOT NULL AND received_at < ?",
                      [before]).fetchone()[0]
    ratings = db.execute("SELECT count(*) FROM ratings WHERE client_hash IS NOT NULL AND created_at < ?",
                         [before]).fetchone()[0]
    return {"contacts": contacts, "submission_client_hashes": subs, "rating_client_hashes": ratings}
