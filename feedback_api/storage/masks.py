"""Owns the masked copies of free text that exports read: each free-text column that may hold a
CNIC or phone number has a `<column>_masked` twin, written with the text by text.mask_numbers
(the one masking path), NULL where masking changes nothing (most rows: the copy costs no space).

Why: masking on every read made the CSV export CPU-bound at about 5,000 rows a second; read
from these columns, the export only streams (benchmarks/scale.md). A database made before them
gets them from `backfill()` in batches, each its own short transaction, like the moderation
figures (storage/counts.py); until it is done, readers mask as they read (`expression`).
The masks follow the masking rules of the day they were written: a change to text.py's rules
needs a migration that clears `mask_progress` (done_to = 0) so that `backfill()` rewrites them.
"""
from __future__ import annotations

import re

from sqlite_utils import Database

from .. import text
from . import batches

# table -> its free-text columns; each row keyed by `id`.
COLUMNS = {"submissions": ("message", "district", "page"), "notes": ("body",), "answers": ("body",)}
BACKFILL_BATCH = 2000   # ids in the first transaction: about 0.5 s under a load of 13 on 2 cores
BACKFILL_MOST = 20000   # ... and at most, however quick
_DIGIT = re.compile(r"\d")  # text.mask_numbers changes only runs of digits: none, nothing to do


def masked(value: str | None) -> str | None:
    """What a `_masked` column holds for `value`: its masked text, or NULL where that is `value`."""
    if value is None or not _DIGIT.search(value):
        return None
    shown = text.mask_numbers(value)
    return None if shown == value else shown


def schema_sql() -> str:
    columns = "".join(f"ALTER TABLE {table} ADD COLUMN {column}_masked TEXT;\n"
                      for table, names in COLUMNS.items() for column in names)
    targets = " UNION ALL ".join(f"SELECT '{table}', 0, COALESCE(max(id), 0) FROM {table}" for table in COLUMNS)
    return columns + f"""
CREATE TABLE mask_progress (
    tbl TEXT PRIMARY KEY,
    done_to INTEGER NOT NULL,   -- rows with id <= done_to have their masks
    target INTEGER NOT NULL     -- rows with id > target got them when written
);
INSERT INTO mask_progress (tbl, done_to, target) {targets};
"""


def complete(db: Database) -> bool:
    return db.conn.execute("SELECT count(*) AS n FROM mask_progress WHERE done_to < target").fetchone()["n"] == 0


def expression(db: Database, alias: str, column: str) -> str:
    """SQL for `alias.column` as exports show it: its stored mask, or (while the backfill has not
    reached every row) text.mask_numbers applied as it is read."""
    if complete(db):
        return f"COALESCE({alias}.{column}_masked, {alias}.{column})"
    db.conn.create_function("mask_numbers", 1, text.mask_numbers, deterministic=True)
    return f"mask_numbers({alias}.{column})"


def backfill(db: Database, batch: int | None = None, pause: float = batches.PAUSE, report=None) -> int:
    """Mask the rows written before the `_masked` columns existed, in batches of ids each its
    own short transaction (storage/batches.py: sized to hold the lock about a quarter of a
    second, or `batch` ids each when given), pausing between them so that queued writers go
    first. Safe to run again or concurrently: each batch moves `done_to` in its own transaction."""
    done = 0
    for table, columns in COLUMNS.items():
        def step(size: int, table=table, columns=columns):
            row = db.conn.execute("SELECT done_to, target FROM mask_progress WHERE tbl = :tbl",
                                  {"tbl": table}).fetchone()
            if row["done_to"] >= row["target"]:
                return None
            span = {"tbl": table, "lo": row["done_to"], "hi": min(row["target"], row["done_to"] + size)}
            updates = []
            for found in db.conn.execute(
                    f"SELECT id, {', '.join(columns)} FROM {table} WHERE id > :lo AND id <= :hi", span):
                masks = {f"{c}_masked": masked(found[c]) for c in columns}
                if any(masks.values()):
                    updates.append({**masks, "id": found["id"]})
            if updates:
                sets = ", ".join(f"{c}_masked = :{c}_masked" for c in columns)
                db.conn.executemany(f"UPDATE {table} SET {sets} WHERE id = :id", updates)
            db.conn.execute("UPDATE mask_progress SET done_to = :hi WHERE tbl = :tbl", span)
            return span["hi"] - span["lo"], (table, span["hi"], row["target"])
        done += batches.run(db, step, batch or BACKFILL_BATCH, BACKFILL_MOST, fixed=batch is not None,
                            pause=pause, report=report)
    return done
