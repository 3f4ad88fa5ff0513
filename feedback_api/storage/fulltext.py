"""Owns the full-text index of submissions' messages (`submissions_fts`): rows are indexed in
batches after they are stored, not one by one inside each submission's transaction.

Why: indexing a message by trigger cost each submission about 0.1 ms of SQLite CPU in the writer
(a few rows per FTS5 segment in a group commit); indexed 256 at a time, a row costs a tenth of
that (benchmarks/submission_path.md).

How it stays right (migration 0016):
- `fulltext_progress.indexed_to`: rows with id <= it are in the index, rows above it are not
  yet. Indexing a batch and moving it happen in one transaction, so a crash leaves neither half
  done: after a restart the rows above it are simply indexed by the next batch or search.
- The delete and message-edit triggers touch the index only for rows at or below it (a row not
  yet indexed is indexed later with its message as it is then); an insert at or below it (an id
  SQLite reused after the newest row was deleted) is indexed at once by its trigger.
- Freshness, the trade-off: the index may lack the newest rows, at most `BATCH_ROWS` - 1 of
  them while submissions arrive (a group commit that finds that many waiting indexes them in
  its own transaction), however long ago they came. Every search first indexes what is waiting
  (`catch_up`, a short write), so a search finds every submission stored before it. Only when
  the write lock cannot be had within the wait (another process holding it, a failing disk)
  does a search read the index as it is, without up to BATCH_ROWS - 1 of the newest rows.
"""
from __future__ import annotations

from sqlite_utils import Database

from .db import StorageError, immediate

BATCH_ROWS = 256      # rows waiting before a group commit indexes them
CATCH_UP_MOST = 5000  # rows per transaction when a search catches up (well under a second)
CATCH_UP_WAIT = 1.0   # seconds a search waits for the write lock before reading as it is


def schema_sql() -> str:
    """Migration 0016: the position, and the three triggers made to respect it."""
    indexed = "(SELECT indexed_to FROM fulltext_progress)"
    return f"""
CREATE TABLE fulltext_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_to INTEGER NOT NULL        -- rows with id <= indexed_to are in submissions_fts
);
INSERT INTO fulltext_progress (id, indexed_to) SELECT 1, COALESCE(max(id), 0) FROM submissions;
DROP TRIGGER submissions_ai;
DROP TRIGGER submissions_ad;
DROP TRIGGER submissions_au;
CREATE TRIGGER submissions_ai AFTER INSERT ON submissions WHEN new.id <= {indexed} BEGIN
  INSERT INTO submissions_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER submissions_ad AFTER DELETE ON submissions WHEN old.id <= {indexed} BEGIN
  INSERT INTO submissions_fts (submissions_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;
CREATE TRIGGER submissions_au AFTER UPDATE OF message ON submissions WHEN old.id <= {indexed} BEGIN
  INSERT INTO submissions_fts (submissions_fts, rowid, message) VALUES ('delete', old.id, old.message);
  INSERT INTO submissions_fts (rowid, message) VALUES (new.id, new.message);
END;
"""


def _waiting(db: Database) -> tuple[int, int]:
    """(indexed_to, the newest row's id)."""
    row = db.conn.execute("SELECT (SELECT indexed_to FROM fulltext_progress),"
                          " (SELECT COALESCE(max(id), 0) FROM submissions)").fetchone()
    return row[0], row[1]


def _index(db: Database, indexed_to: int, upto: int) -> None:
    """Index rows (indexed_to, upto] and move the position, in the caller's transaction."""
    db.conn.execute("INSERT INTO submissions_fts (rowid, message) SELECT id, message FROM submissions"
                    " WHERE id > :lo AND id <= :hi", {"lo": indexed_to, "hi": upto})
    db.conn.execute("UPDATE fulltext_progress SET indexed_to = :hi", {"hi": upto})


def index_waiting(db: Database) -> None:
    """In a group commit's transaction, after its writes: index the waiting rows once there are
    BATCH_ROWS of them (two one-row reads otherwise)."""
    indexed_to, newest = _waiting(db)
    if newest - indexed_to >= BATCH_ROWS:
        _index(db, indexed_to, newest)


def catch_up(db: Database) -> None:
    """Index every row waiting, in transactions of at most CATCH_UP_MOST rows (a search calls
    this first). If the write lock cannot be had soon, or the caller is inside a transaction
    already, the search reads the index as it is."""
    while not db.conn.in_transaction:
        indexed_to, newest = _waiting(db)
        if newest <= indexed_to:
            return
        try:
            with immediate(db, wait=CATCH_UP_WAIT):
                indexed_to, newest = _waiting(db)   # another writer may have indexed them
                if newest > indexed_to:
                    _index(db, indexed_to, min(newest, indexed_to + CATCH_UP_MOST))
        except StorageError:
            return
