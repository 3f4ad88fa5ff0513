"""Owns the moderation figures kept as submissions arrive and change: counts per week, dimension
value, status and sensitivity (`submission_counts`), hours to first answer (`answer_hours`),
the triggers that keep both in the same transaction as every write to `submissions`, the
batched backfill of a database made before they existed, and the reads that use them (the
queue's counts per status, the dashboard, the district list).

Why triggers: every path that writes a submission (the public API, intake, moderation, bulk
actions, retention, sqlite3 by hand) keeps the figures right without knowing about them, and a
rolled-back change rolls its counts back with it. What it costs a submission: 7 small upserts.

Backfill: the migration only creates the tables and triggers (instant). Rows that existed then
(ids up to `counts_progress.target`) are counted by `backfill()` in batches, each its own short
transaction, so writers never wait long; until it is done, the triggers leave those rows alone
(a change to one would otherwise be counted twice) and readers fall back to counting (capped).
"""
from __future__ import annotations

from sqlite_utils import Database

from . import batches

# Dimensions counted per value; "all" has the single value ''.
DIMENSIONS = ("component", "kind", "language", "district", "channel", "topic_code")
_VALUE = {"component": "{r}.component", "kind": "{r}.kind", "language": "{r}.language",
          "district": "COALESCE({r}.district, '')", "channel": "{r}.channel",
          "topic_code": "COALESCE({r}.topic_code, '')"}
# Hours to first answer, in buckets fine enough for what the dashboard shows (0.1 h up to
# two days, 0.1 day after): bucket = nearest tenth of an hour below 48 h, then 480 + tenths
# of a day beyond 48 h.
_HOURS = "((julianday({r}.first_answered_at) - julianday({r}.received_at)) * 24)"
_BUCKET = (f"CASE WHEN {_HOURS} < 48 THEN CAST(max({_HOURS}, 0) * 10 + 0.5 AS INTEGER)"
           f" ELSE 480 + CAST(({_HOURS} - 48) / 2.4 + 0.5 AS INTEGER) END")
BACKFILL_BATCH = 4000   # ids in the first transaction: under 1 s even under a load of 13 on 2 cores
BACKFILL_MOST = 50000   # ... and at most, however quick (20,000 took 4.8 s at that load)
# The Monday of received_at's week: weeks are what the dashboard shows, and a week per row
# keeps the table small (a few hundred rows a week) so that reading it whole is quick.
WEEK = "date({r}.received_at, '-6 days', 'weekday 1')"


def bucket_hours(bucket: int) -> float:
    """A bucket's hours."""
    return bucket / 10 if bucket < 480 else 48 + (bucket - 480) * 2.4


def _counted(r: str) -> str:
    """SQL: row `r` (old/new) is counted by the triggers (not waiting for the backfill)."""
    return (f"({r}.id > (SELECT target FROM counts_progress) OR "
            f"{r}.id <= (SELECT done_to FROM counts_progress))")


def _count_rows(r: str, sign: str) -> str:
    day = WEEK.format(r=r)
    values = [f"('all', '', {r}.sensitive, {day}, {r}.status, {sign}1)"]
    values += [f"('{dim}', {_VALUE[dim].format(r=r)}, {r}.sensitive, {day}, {r}.status, {sign}1)"
               for dim in DIMENSIONS]
    return ("INSERT INTO submission_counts (dim, value, sensitive, week, status, n) VALUES "
            + ", ".join(values) + " ON CONFLICT DO UPDATE SET n = n + excluded.n;")


def _hours_row(r: str, sign: str) -> str:
    return ("INSERT INTO answer_hours (week, sensitive, bucket, n)"
            f" SELECT {WEEK.format(r=r)}, {r}.sensitive, {_BUCKET.format(r=r)}, {sign}1"
            f" WHERE {r}.first_answered_at IS NOT NULL AND {r}.status != 'spam'"
            " ON CONFLICT DO UPDATE SET n = n + excluded.n;")


WATCHED = ("status", "sensitive", "received_at", "first_answered_at", *DIMENSIONS)


def schema_sql() -> str:
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)
    return f"""
CREATE TABLE submission_counts (
    dim TEXT NOT NULL,
    value TEXT NOT NULL COLLATE NOCASE,   -- as the queue's district filter compares
    sensitive INTEGER NOT NULL,
    week TEXT NOT NULL,                   -- Monday of received_at's week (UTC)
    status TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (dim, value, sensitive, week, status)
) WITHOUT ROWID;
CREATE TABLE answer_hours (
    week TEXT NOT NULL,
    sensitive INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (week, sensitive, bucket)
) WITHOUT ROWID;
CREATE TABLE counts_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done_to INTEGER NOT NULL,             -- rows with id <= done_to are counted
    target INTEGER NOT NULL               -- rows with id > target are counted by the triggers
);
INSERT INTO counts_progress (id, done_to, target)
    SELECT 1, 0, COALESCE(max(id), 0) FROM submissions;
CREATE TRIGGER submissions_counts_insert AFTER INSERT ON submissions WHEN {_counted('new')}
BEGIN {_count_rows('new', '')} {_hours_row('new', '')} END;
CREATE TRIGGER submissions_counts_delete AFTER DELETE ON submissions WHEN {_counted('old')}
BEGIN {_count_rows('old', '-')} {_hours_row('old', '-')} END;
CREATE TRIGGER submissions_counts_update AFTER UPDATE ON submissions
WHEN ({changed}) AND {_counted('old')}
BEGIN {_count_rows('old', '-')} {_hours_row('old', '-')} {_count_rows('new', '')} {_hours_row('new', '')} END;
"""


# Filters that leave at least about one row in a hundred need no index of their own: the
# queue walks received_at's index newest first and stops after a page (50 rows of kind,
# component, language or channel cost at most a few thousand index steps). Districts (free
# text, hundreds of values) and topic codes (dozens) can be rarer, so they get one. Each index
# costs every submission a B-tree insert (about 35 us here, benchmarks/submission_path.md).
INDEXES = """
CREATE INDEX submissions_district ON submissions (district COLLATE NOCASE, received_at);
CREATE INDEX submissions_topic_code ON submissions (topic_code, received_at);
"""


# ---------------------------------------------------------------- backfill

def progress(db: Database) -> tuple[int, int]:
    return batches.progress(db, "counts_progress")


def complete(db: Database) -> bool:
    return batches.complete(db, "counts_progress")


def backfill(db: Database, batch: int | None = None, pause: float = batches.PAUSE, report=None) -> int:
    """Count the rows that existed before the triggers, in batches of ids each its own short
    transaction (storage/batches.py: sized to hold the lock about a quarter of a second, or
    `batch` ids each when given), pausing between them so that queued writers go first. Safe
    to run again or concurrently: each batch moves `done_to` in the same transaction."""
    def step(size: int):
        done_to, target = progress(db)
        if done_to >= target:
            return None
        upto = min(target, done_to + size)
        _backfill_counts(db, done_to, upto)
        db.conn.execute(
            "INSERT INTO answer_hours (week, sensitive, bucket, n)"
            f" SELECT {WEEK.format(r='s')}, s.sensitive, {_BUCKET.format(r='s')}, count(*)"
            " FROM submissions s WHERE s.id > :lo AND s.id <= :hi AND s.first_answered_at IS NOT NULL"
            " AND s.status != 'spam' GROUP BY 1, 2, 3 ON CONFLICT DO UPDATE SET n = n + excluded.n",
            {"lo": done_to, "hi": upto})
        db.conn.execute("UPDATE counts_progress SET done_to = :hi", {"hi": upto})
        return upto - done_to, (upto, target)
    return batches.run(db, step, batch or BACKFILL_BATCH, BACKFILL_MOST, fixed=batch is not None,
                       pause=pause, report=report)


def _backfill_counts(db: Database, lo: int, hi: int) -> None:
    day = WEEK.format(r="s")
    for dim in ("all", *DIMENSIONS):
        value = "''" if dim == "all" else _VALUE[dim].format(r="s")
        db.conn.execute(
            "INSERT INTO submission_counts (dim, value, sensitive, week, status, n)"
            f" SELECT '{dim}', {value}, s.sensitive, {day}, s.status, count(*) FROM submissions s"
            " WHERE s.id > :lo AND s.id <= :hi GROUP BY 2, 3, 4, 5"
            " ON CONFLICT DO UPDATE SET n = n + excluded.n", {"lo": lo, "hi": hi})


# ---------------------------------------------------------------- reads

def status_counts(db: Database, dim: str, value: str, sensitive: int) -> dict[str, int]:
    """Rows per status of one dimension value ("all", "" for everything)."""
    return {r["status"]: r["n"] for r in db.conn.execute(
        "SELECT status, sum(n) AS n FROM submission_counts WHERE dim = :dim AND value = :value"
        " AND sensitive = :sensitive GROUP BY status", {"dim": dim, "value": value, "sensitive": sensitive})}


def sensitive_waiting(db: Database) -> int:
    return db.conn.execute(
        "SELECT COALESCE(sum(n), 0) AS n FROM submission_counts WHERE dim = 'all' AND value = ''"
        " AND sensitive = 1 AND status IN ('new', 'in_review')").fetchone()["n"]


def districts(db: Database, limit: int = 300) -> list[str]:
    """Districts named in non-sensitive submissions, most frequent first."""
    return [r["value"] for r in db.conn.execute(
        "SELECT value FROM submission_counts WHERE dim = 'district' AND value != '' AND sensitive = 0"
        " GROUP BY value ORDER BY sum(n) DESC, value LIMIT :limit", {"limit": limit})]


def week_counts(db: Database, since: str, dims: tuple, include_sensitive: bool) -> list[tuple]:
    """(dim, value, week's Monday, status, n) since a Monday for "all" and `dims`, spam left out."""
    sens = "" if include_sensitive else " AND sensitive = 0"
    names = {f"dim{i}": dim for i, dim in enumerate(dims)}
    marks = "".join(f", :{name}" for name in names)
    return db.conn.execute(
        "SELECT dim, value, week, status, sum(n) FROM submission_counts"
        f" WHERE dim IN ('all'{marks}) AND week >= :since AND status != 'spam'{sens}"
        " GROUP BY dim, value, week, status HAVING sum(n) != 0", {**names, "since": since}).fetchall()


def answer_hours(db: Database, since: str, include_sensitive: bool) -> list[tuple[int, int]]:
    """(bucket, n) of hours to first answer since a Monday, spam left out, in bucket order."""
    sens = "" if include_sensitive else " AND sensitive = 0"
    return db.conn.execute(
        f"SELECT bucket, sum(n) FROM answer_hours WHERE week >= :since{sens} GROUP BY bucket"
        " HAVING sum(n) > 0 ORDER BY bucket", {"since": since}).fetchall()


def median_hours(buckets: list[tuple[int, int]]) -> float | None:
    total = sum(n for _, n in buckets)
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]  # the one or two middle positions
    found, seen = [], 0
    for bucket, n in buckets:
        while len(found) < 2 and middle[len(found)] < seen + n:
            found.append(bucket_hours(bucket))
        seen += n
    return sum(found) / 2
