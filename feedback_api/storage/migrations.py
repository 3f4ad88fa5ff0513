"""Owns the database schema: every migration, in order, and applying them.

Importing this module registers all of them, so `migrate()` always brings a database to the
latest schema, whichever other modules were imported. Add a schema change as a new function at
the end, decorated `@migration("NNNN_what")` with the next free number; never edit one that
has been applied anywhere (docs/dev/ has the decision record).

Migrations run once, under a file lock, from `flask init-db`, gunicorn's on_starting hook, or
the first app start that finds one pending; never concurrently in every worker.
PRAGMA user_version holds the number applied (what /healthz reports).
"""
from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from sqlite_utils import Database, Migrations

from .db import connect, immediate, now

_set = Migrations("feedback_api")
NAMES: list[str] = []   # every migration, in the order they apply


def migration(name: str):
    """Register the decorated function as the next migration."""
    def register(func):
        NAMES.append(name)
        return _set(name=name)(func)
    return register


def latest() -> int:
    """The schema version this code migrates to (the number of migrations)."""
    return len(NAMES)


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
        return [m.name for m in _set.pending(db)]
    finally:
        db.close()


def migrate(path: str) -> list[str]:
    """Apply pending migrations (once, under a lock); returns the names applied."""
    with _migration_lock(path):
        db = connect(path)
        try:
            # WAL is a property of the file: set once here, every later connection uses it.
            db.conn.execute("PRAGMA journal_mode = WAL")
            todo = [m.name for m in _set.pending(db)]
            _set.apply(db)
            db.conn.execute(f"PRAGMA user_version = {len(_set.applied(db))}")
            return todo
        finally:
            db.close()


def schema_version(db: Database) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def pending_in(db: Database) -> list[str]:
    return [m.name for m in _set.pending(db)]


def check(db: Database) -> dict:
    """For /healthz: the database answers, and its schema is fully migrated."""
    db.execute("SELECT count(*) FROM submissions WHERE id = 0").fetchone()
    return {"schema_version": schema_version(db), "pending_migrations": len(pending_in(db))}


def probe_write(db: Database, wait: float) -> None:
    """For /healthz: a real, small write (one row, committed): a read, or BEGIN IMMEDIATE then
    ROLLBACK, succeeds on a disk that can no longer take a write. Raises StorageBusy or
    StorageError."""
    with immediate(db, wait=wait):
        db.conn.execute("UPDATE health_probe SET checked_at = ? WHERE id = 1", [now()])


# ---------------------------------------------------------------- the migrations, in order

@migration("0001_initial")
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


@migration("0002_moderation")
def _m0002_moderation(db: Database) -> None:
    # ALTER TABLE ... ADD COLUMN keeps the FTS triggers on submissions (transform() would not).
    db.executescript("""
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,              -- SHA-256 of the random token in the signed cookie
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
ALTER TABLE users ADD COLUMN last_sign_in_at TEXT;
CREATE INDEX submissions_received ON submissions (received_at);
CREATE INDEX submissions_sensitive ON submissions (sensitive, status, received_at);
CREATE INDEX audit_log_at ON audit_log (at);
""")


@migration("0003_you_said_we_did")
def _m0003_you_said_we_did(db: Database) -> None:
    db.executescript("""
-- A change made because of feedback. Its words live per language in change_texts.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    component TEXT NOT NULL,
    district TEXT,
    happened_on TEXT,                  -- YYYY-MM-DD, or NULL when not known
    published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    created_by INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX changes_published ON changes (published, happened_on);
CREATE TABLE change_texts (
    change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    said TEXT NOT NULL,                -- what people said
    done TEXT NOT NULL,                -- what was done
    place TEXT,                        -- where, in words (a village, a centre), optional
    PRIMARY KEY (change_id, language)
);
-- Which submissions a change answers (shown to staff; the public sees only how many).
CREATE TABLE change_submissions (
    change_id INTEGER NOT NULL REFERENCES changes(id) ON DELETE CASCADE,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    PRIMARY KEY (change_id, submission_id)
);
CREATE INDEX answers_public ON answers (published, listed, published_at);
""")


@migration("0004_sms")
def _m0004_sms(db: Database) -> None:
    db.executescript("""
-- One row per phone number that has texted: a keyed hash of the number, never the number.
CREATE TABLE sms_numbers (
    number_hash TEXT PRIMARY KEY,
    language TEXT,                          -- the language it last used or chose
    stopped INTEGER NOT NULL DEFAULT 0 CHECK (stopped IN (0, 1)),
    updated_at TEXT NOT NULL
);
CREATE TABLE sms_outbox (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    body TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    language TEXT NOT NULL,
    encoding TEXT NOT NULL,
    parts INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN
        ('queued', 'sending', 'sent', 'delivered', 'failed', 'gave_up', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_at TEXT,
    last_error TEXT,
    dlr_status INTEGER,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    delivered_at TEXT,
    UNIQUE (submission_id, body_hash)       -- the same answer is queued once
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
""")


@migration("0005_resubmit_hash")
def _m0005_resubmit_hash(db: Database) -> None:
    # A resend is told apart by resubmit_hash (feedback_api/resubmits.py), no longer by the
    # address and the text, which merged different people behind one carrier address; the old
    # index served only that check.
    db.executescript("""
ALTER TABLE submissions ADD COLUMN resubmit_hash TEXT;
CREATE INDEX submissions_resubmit ON submissions (resubmit_hash, received_at) WHERE resubmit_hash IS NOT NULL;
DROP INDEX submissions_duplicates;
""")


@migration("0006_health_probe")
def _m0006_health_probe(db: Database) -> None:
    # One row that /healthz rewrites (probe_write): proof that the database takes a write.
    db.executescript("""
CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at TEXT NOT NULL
);
INSERT INTO health_probe (id, checked_at) VALUES (1, '');
""")


@migration("0007_moderator_language_ratings_time")
def _m0007_moderator_language_ratings_time(db: Database) -> None:
    # Each member of staff reads moderation in their own language (English or Urdu today);
    # the ratings view filters by time over every page.
    db.executescript("""
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
CREATE INDEX ratings_created ON ratings (created_at);
-- A listed answer is shown with its question in the public list; one without a question was
-- reported as listed and never appeared. Say the truth about old rows, refuse new ones.
UPDATE answers SET listed = 0 WHERE listed = 1 AND trim(COALESCE(public_question, '')) = '';
CREATE TRIGGER answers_listed_needs_question_insert BEFORE INSERT ON answers
WHEN NEW.listed = 1 AND trim(COALESCE(NEW.public_question, '')) = ''
BEGIN SELECT RAISE(ABORT, 'a listed answer needs its public question'); END;
CREATE TRIGGER answers_listed_needs_question_update BEFORE UPDATE ON answers
WHEN NEW.listed = 1 AND trim(COALESCE(NEW.public_question, '')) = ''
BEGIN SELECT RAISE(ABORT, 'a listed answer needs its public question'); END;
""")


@migration("0008_moderation_scale")
def _m0008_moderation_scale(db: Database) -> None:
    """Two queue indexes (built here: a few seconds per million rows), the moderation figures'
    tables and the triggers that keep them; rows that existed already are counted afterwards,
    in batches, by `counts.backfill()` (storage/counts.py says why)."""
    from . import counts
    db.executescript(counts.INDEXES + counts.schema_sql())


@migration("0009_audit_log_indexes")
def _m0009_audit_log_indexes(db: Database) -> None:
    """The audit log filtered by action or by user walks an index newest first."""
    db.executescript("""
CREATE INDEX audit_log_action ON audit_log (action);
CREATE INDEX audit_log_user ON audit_log (user_id);
""")


@migration("0010_masked_text_digest_index")
def _m0010_masked_text_digest_index(db: Database) -> None:
    """Masked copies of free text for exports (storage/masks.py; earlier rows get theirs from
    `masks.backfill()`, in batches); the full-text index rewritten only when the message
    changes, not on every status change; and the district digest's covering index."""
    from . import masks
    db.executescript(masks.schema_sql() + """
DROP TRIGGER submissions_au;
CREATE TRIGGER submissions_au AFTER UPDATE OF message ON submissions BEGIN
  INSERT INTO submissions_fts (submissions_fts, rowid, message) VALUES ('delete', old.rowid, old.message);
  INSERT INTO submissions_fts (rowid, message) VALUES (new.rowid, new.message);
END;
-- One district and period (its second column is storage/feed.py's HEARD_ON, word for word, so
-- that the digest's queries find it): every figure the digest shows read from the index alone.
CREATE INDEX submissions_digest ON submissions (district COLLATE NOCASE,
    COALESCE(gathered_on, substr(received_at, 1, 10)), component, kind, status, topic_code,
    received_at, first_answered_at, gathered_on, sensitive) WHERE sensitive = 0 AND status != 'spam';
""")


@migration("0011_triage")
def _m0011_triage(db: Database) -> None:
    """Duplicate groups, the search over published answers and claims (storage/triage.py):
    tables, indexes and triggers only (instant); existing rows get their group key and
    existing answers their index from `triage.backfill()`, in batches, beside the service."""
    db.executescript("""
ALTER TABLE submissions ADD COLUMN group_key INTEGER;
CREATE INDEX submissions_group ON submissions (group_key, received_at) WHERE group_key IS NOT NULL;
CREATE TABLE submission_groups (
    group_key INTEGER NOT NULL,
    sensitive INTEGER NOT NULL,
    open_count INTEGER NOT NULL,          -- members new or in review
    total INTEGER NOT NULL,
    PRIMARY KEY (group_key, sensitive)
) WITHOUT ROWID;
CREATE INDEX submission_groups_largest ON submission_groups (sensitive, open_count DESC, group_key DESC)
    WHERE open_count >= 2;
CREATE TRIGGER submissions_group_insert AFTER INSERT ON submissions WHEN new.group_key IS NOT NULL
BEGIN
    INSERT INTO submission_groups (group_key, sensitive, open_count, total)
        VALUES (new.group_key, new.sensitive, new.status IN ('new', 'in_review'), 1)
        ON CONFLICT DO UPDATE SET open_count = open_count + excluded.open_count, total = total + 1;
END;
CREATE TRIGGER submissions_group_delete AFTER DELETE ON submissions WHEN old.group_key IS NOT NULL
BEGIN
    UPDATE submission_groups SET open_count = open_count - (old.status IN ('new', 'in_review')), total = total - 1
        WHERE group_key = old.group_key AND sensitive = old.sensitive;
END;
CREATE TRIGGER submissions_group_update AFTER UPDATE OF status, sensitive, group_key ON submissions
WHEN old.status IS NOT new.status OR old.sensitive IS NOT new.sensitive OR old.group_key IS NOT new.group_key
BEGIN
    UPDATE submission_groups SET open_count = open_count - (old.status IN ('new', 'in_review')), total = total - 1
        WHERE old.group_key IS NOT NULL AND group_key = old.group_key AND sensitive = old.sensitive;
    INSERT INTO submission_groups (group_key, sensitive, open_count, total)
        SELECT new.group_key, new.sensitive, new.status IN ('new', 'in_review'), 1 WHERE new.group_key IS NOT NULL
        ON CONFLICT DO UPDATE SET open_count = open_count + excluded.open_count, total = total + 1;
END;

-- The batched backfill's position: submissions with id <= groups_done_to have their key;
-- answers with id <= answers_done_to, or > answers_target (written since), are searchable.
CREATE TABLE triage_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    groups_done_to INTEGER NOT NULL,
    answers_done_to INTEGER NOT NULL,
    answers_target INTEGER NOT NULL
);
INSERT INTO triage_progress SELECT 1, 0, 0, COALESCE(max(id), 0) FROM answers;

-- Published answers, searchable by their question (as edited for the public, else the
-- message answered), their words and their language. External content: the index only.
CREATE VIEW answer_search_content AS
    SELECT a.id, COALESCE(NULLIF(trim(a.public_question), ''), s.message) AS question, a.body,
           a.language
    FROM answers a JOIN submissions s ON s.id = a.submission_id WHERE a.published = 1;
CREATE VIRTUAL TABLE answer_search USING fts5(question, body, language,
    content='answer_search_content', content_rowid='id');
CREATE VIRTUAL TABLE answer_search_vocab USING fts5vocab(answer_search, 'row');
CREATE TRIGGER answers_search_insert AFTER INSERT ON answers WHEN new.published = 1
    AND (new.id <= (SELECT answers_done_to FROM triage_progress) OR new.id > (SELECT answers_target FROM triage_progress))
BEGIN
    INSERT INTO answer_search (rowid, question, body, language)
        SELECT new.id, COALESCE(NULLIF(trim(new.public_question), ''), s.message), new.body, new.language
        FROM submissions s WHERE s.id = new.submission_id;
END;
CREATE TRIGGER answers_search_delete AFTER DELETE ON answers WHEN old.published = 1
    AND (old.id <= (SELECT answers_done_to FROM triage_progress) OR old.id > (SELECT answers_target FROM triage_progress))
BEGIN
    INSERT INTO answer_search (answer_search, rowid, question, body, language)
        SELECT 'delete', old.id, COALESCE(NULLIF(trim(old.public_question), ''), s.message), old.body, old.language
        FROM submissions s WHERE s.id = old.submission_id;
END;
CREATE TRIGGER answers_search_update AFTER UPDATE OF published, body, public_question, language ON answers
WHEN (old.published = 1 OR new.published = 1)
    AND (old.id <= (SELECT answers_done_to FROM triage_progress) OR old.id > (SELECT answers_target FROM triage_progress))
BEGIN
    INSERT INTO answer_search (answer_search, rowid, question, body, language)
        SELECT 'delete', old.id, COALESCE(NULLIF(trim(old.public_question), ''), s.message), old.body, old.language
        FROM submissions s WHERE s.id = old.submission_id AND old.published = 1;
    INSERT INTO answer_search (rowid, question, body, language)
        SELECT new.id, COALESCE(NULLIF(trim(new.public_question), ''), s.message), new.body, new.language
        FROM submissions s WHERE s.id = new.submission_id AND new.published = 1;
END;

-- Who holds what, until when. A lapsed claim is as good as none (swept when one is taken).
CREATE TABLE claims (
    kind TEXT NOT NULL CHECK (kind IN ('submission', 'group')),
    subject INTEGER NOT NULL,             -- a submission's id or a group key
    user_id INTEGER NOT NULL REFERENCES users(id),
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (kind, subject)
) WITHOUT ROWID;
""")


@migration("0012_district_component_index")
def _m0012_district_component_index(db: Database) -> None:
    """The queue filtered by district and programme part, newest first: its page and its
    capped counts walk this index, instead of the district's rows one by one for their part
    (about 6,000 row reads for 1,000 counted at a million rows). Districts are the filter that
    narrows most, and the part the one most often added to it."""
    db.executescript("""
CREATE INDEX submissions_district_component ON submissions (district COLLATE NOCASE, component, received_at);
""")


@migration("0013_sms_texts_counted")
def _m0013_sms_texts_counted(db: Database) -> None:
    """The per-number SMS limits counted in the database (sms/store.py count_text), in the
    transaction of what the text stores: shared by every gunicorn worker without Redis."""
    db.executescript("""
-- One row per text taken from a number in the longest limit's window (older rows are
-- deleted by the number's next text and by retention): its keyed hash and when.
CREATE TABLE sms_texts (
    number_hash TEXT NOT NULL,
    at REAL NOT NULL                       -- Unix time, seconds
);
CREATE INDEX sms_texts_number ON sms_texts (number_hash, at);
""")


@migration("0014_group_keys_one_letter_table")
def _m0014_group_keys_one_letter_table(db: Database) -> None:
    """folding.LETTERS, now the one letter table of the group key and the sensitive check, folds
    Sindhi and Pashto letters the group key used to keep as they were: a message holding one
    gets its group key again from `triage.backfill()` (beside the service, in batches; until
    then it is in no group). One pass over the table; the letters are written out here
    because a migration must not change when folding.py does."""
    changed = db.conn.execute(
        "UPDATE submissions SET group_key = NULL WHERE group_key IS NOT NULL"
        " AND message GLOB '*[ڃٻڄڏږښځڅڀٺٿڌڇڦڍ]*' RETURNING id").fetchall()
    if changed:
        db.conn.execute("UPDATE triage_progress SET groups_done_to = min(groups_done_to, :first)",
                        {"first": min(row[0] for row in changed) - 1})


@migration("0015_drop_answer_search_vocab")
def _m0015_drop_answer_search_vocab(db: Database) -> None:
    """The word list over the answer search (fts5vocab) that migration 0011 made: nothing reads
    it (similar answers count each word's postings among the newest answers instead: the
    vocabulary counts every posting, seconds a message at a million rows)."""
    db.executescript("DROP TABLE answer_search_vocab;")


@migration("0016_fulltext_in_batches")
def _m0016_fulltext_in_batches(db: Database) -> None:
    """The full-text index of messages filled in batches after the write, not by a trigger in
    each submission's transaction (storage/fulltext.py says how it stays right). Every row
    there is now is indexed already: the position starts at the newest (instant)."""
    from . import fulltext
    db.executescript(fulltext.schema_sql())


@migration("0017_digest_figures")
def _m0017_digest_figures(db: Database) -> None:
    """The district digest from figures kept per district and day, and its public answers from
    a list kept per district and day (storage/digest.py): tables, triggers, the list filled
    and the index of answered rows built here (seconds at a million rows); the figures of
    existing rows come from `digest.backfill()`, in batches, beside the service. The wide
    covering index the digest read its period from (0010's submissions_digest) goes: no query
    needs it now, and every submission paid an entry in it."""
    from . import digest
    db.executescript(digest.schema_sql() + "DROP INDEX submissions_digest;\n")
