"""The full-text index of messages, filled in batches after the write (storage/fulltext.py):
moderation search finds a submission the moment it is stored, through edits, deletions, a
restart and the migration from a database whose index was kept by triggers."""
from __future__ import annotations

import sqlite3

from feedback_api import storage
from feedback_api.storage import fulltext, migrations
from feedback_api.storage import moderation as sm
from tests.test_moderation_queue import refs_in

STAMP = "2026-01-01T00:00:00Z"
MODERATOR = {"role": "moderator"}


def found(db, words: str) -> list[str]:
    rows, _newer, _older = sm.queue(db, {"q": words, "status": "all"}, MODERATOR, 50)
    return sorted(r["message"] for r in rows)


def index_agrees(db) -> None:
    """FTS5's own check: the index holds exactly the messages of the rows it covers."""
    fulltext.catch_up(db)
    with db.conn:   # raises if the index and the table disagree
        db.conn.execute("INSERT INTO submissions_fts (submissions_fts, rank) VALUES ('integrity-check', 1)")


def migrated(tmp_path):
    """(path, connection) of a new database at the latest schema."""
    path = str(tmp_path / "f.sqlite3")
    db = storage.connect(path)
    migrations._set.apply(db)
    return path, db


def insert(db, message: str) -> int:
    with db.conn:
        return db.conn.execute(
            "INSERT INTO submissions (reference, kind, component, language, message, message_hash, received_at,"
            " updated_at) VALUES (hex(randomblob(6)), 'question', 'general', 'ur', ?, 'h', ?, ?)",
            (message, STAMP, STAMP)).lastrowid


def test_search_finds_submissions_the_moment_they_are_stored(moderator, submit):
    english = submit("Nashonuma centre in Thatta is closed")
    urdu = submit("نشوونما مرکز بند ہے", language="ur")
    assert refs_in(moderator.get("/moderation/?q=thatta").get_data(as_text=True)) == [english]
    assert refs_in(moderator.get("/moderation/?q=مرکز").get_data(as_text=True)) == [urdu]
    later = submit("Thatta office asks for a fee")
    assert refs_in(moderator.get("/moderation/?q=thatta").get_data(as_text=True)) == [later, english]


def test_a_group_commit_indexes_the_rows_waiting_once_there_are_enough(mod_app):
    with mod_app.app_context():
        db = storage.get_db()
        row = {"kind": "question", "component": "general", "language": "en", "message_hash": "h"}
        for n in range(fulltext.BATCH_ROWS):
            storage.insert_submission(db, {**row, "message": f"waiting row {n}"}, None, STAMP, lambda n=n: f"REF{n:08d}")
        indexed_to = db.conn.execute("SELECT indexed_to FROM fulltext_progress").fetchone()[0]
        newest = db.conn.execute("SELECT max(id) FROM submissions").fetchone()[0]
        assert indexed_to == newest == fulltext.BATCH_ROWS   # indexed without a search asking
        hits = db.conn.execute("SELECT count(*) FROM submissions_fts WHERE submissions_fts MATCH 'waiting'").fetchone()[0]
        assert hits == fulltext.BATCH_ROWS


def test_edits_and_deletions_keep_the_index_right_whether_or_not_a_row_was_indexed(tmp_path):
    _path, db = migrated(tmp_path)
    try:
        indexed = [insert(db, f"indexed apple {n}") for n in range(3)]
        fulltext.catch_up(db)
        waiting = [insert(db, f"waiting pear {n}") for n in range(3)]
        with db.conn:
            db.conn.execute("UPDATE submissions SET message = 'indexed plum 0' WHERE id = ?", (indexed[0],))
            db.conn.execute("UPDATE submissions SET message = 'waiting plum 0' WHERE id = ?", (waiting[0],))
            db.conn.execute("DELETE FROM submissions WHERE id IN (?, ?)", (indexed[1], waiting[1]))
        assert found(db, "apple") == ["indexed apple 2"]
        assert found(db, "pear") == ["waiting pear 2"]
        assert found(db, "plum") == ["indexed plum 0", "waiting plum 0"]
        index_agrees(db)
        # The newest rows deleted, SQLite gives an indexed id to the next row: its trigger indexes it.
        with db.conn:
            db.conn.execute("DELETE FROM submissions WHERE id = ?", (waiting[2],))
        indexed_to = db.conn.execute("SELECT indexed_to FROM fulltext_progress").fetchone()[0]
        assert insert(db, "reused mango") <= indexed_to
        assert found(db, "mango") == ["reused mango"] and found(db, "pear") == []
        index_agrees(db)
    finally:
        db.close()


def test_rows_stored_before_a_crash_are_found_after_the_restart(tmp_path):
    path, db = migrated(tmp_path)
    insert(db, "stored before the crash")
    db.close()                                   # no batch ran: the row is not in the index
    db = storage.connect(path)
    try:
        assert db.conn.execute("SELECT indexed_to FROM fulltext_progress").fetchone()[0] == 0
        assert found(db, "crash") == ["stored before the crash"]
        index_agrees(db)
    finally:
        db.close()


def test_a_search_reads_the_index_as_it_is_while_another_process_holds_the_write_lock(tmp_path):
    path, db = migrated(tmp_path)
    insert(db, "indexed first")
    fulltext.catch_up(db)
    insert(db, "stored second")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        db.write_wait = 0.1
        assert found(db, "indexed") == ["indexed first"]      # answered, not an error
    finally:
        other.execute("ROLLBACK")
        other.close()
    try:
        assert found(db, "stored") == ["stored second"]
    finally:
        db.close()


def test_a_database_whose_index_was_kept_by_triggers_is_migrated_at_once(tmp_path):
    path = str(tmp_path / "old.sqlite3")
    db = storage.connect(path)
    migrations._set.apply(db, stop_before="0016_fulltext_in_batches")   # the previous version
    old = [insert(db, f"old message {n}") for n in range(3)]
    db.close()
    assert "0016_fulltext_in_batches" in migrations.migrate(path)
    db = storage.connect(path)
    try:
        assert db.conn.execute("SELECT indexed_to FROM fulltext_progress").fetchone()[0] == old[-1]
        with db.conn:
            db.conn.execute("UPDATE submissions SET message = 'edited message' WHERE id = ?", (old[0],))
        insert(db, "new message")
        assert found(db, "old") == ["old message 1", "old message 2"]
        assert found(db, "message") == ["edited message", "new message", "old message 1", "old message 2"]
        index_agrees(db)
    finally:
        db.close()
