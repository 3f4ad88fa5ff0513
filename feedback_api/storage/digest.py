"""Owns the district digest's kept figures: counts per district and day (`digest_figures`: programme
part and kind, status, topic code, and days to first answer in tenths), the public answers per
district and day (`digest_answers`), the triggers that keep both in the same transaction as every
write to `submissions` and `answers`, the batched backfill of a database made before them, and
the reads that turn a district's period into the digest's figures (storage/feed.py's `digest`).

Why: read from the rows, the digest grew with the rows of the district's period (5,500 at a
million submissions, 2.8x its time at 10,000). From these it reads a few rows per day and value,
however many submissions there are. What it costs a submission: one upsert of two or three rows
(part, status, topic code once coded; the days once answered), and no index entry (the wide
`submissions_digest` index it replaces cost one).

The figures are exactly what counting the rows gives (`feed.digest_by_rows`, which readers use
until the backfill is done): sensitive and spam submissions left out, districts compared as
the queue does (NOCASE), a submission's day its HEARD_ON. The median days to answer: the
buckets are the tenths the page rounds to, so the bucket of the middle answer is the page's
figure; when the two middle answers of an even count fall in different buckets, the two
answers themselves are read from `submissions_answer_days` (an index only answered rows enter).
"""
from __future__ import annotations

from sqlite_utils import Database

from . import batches

# A submission's day in the digest: when it was gathered (offline), else when it arrived.
HEARD_ON = "COALESCE({r}.gathered_on, substr({r}.received_at, 1, 10))"
# Days to the first answer, as the digest has always computed them, and their tenth (rounded
# half up, as Python's round() rounds these values: they are never exactly half a tenth).
DAYS = "max(0.0, julianday({r}.first_answered_at) - julianday({r}.received_at))"
BUCKET = f"CAST({DAYS} * 10 + 0.5 AS INTEGER)"
STATE_BUCKET = f"CASE WHEN {{r}}.first_answered_at IS NOT NULL THEN {BUCKET} ELSE -1 END"
IN_DIGEST = "{r}.sensitive = 0 AND {r}.status != 'spam' AND {r}.district IS NOT NULL"
WATCHED = ("status", "sensitive", "district", "gathered_on", "received_at", "component", "kind",
           "topic_code", "first_answered_at")
BACKFILL_BATCH = 4000
BACKFILL_MOST = 50000


def for_row(template: str, r: str) -> str:
    """`template` for row `r` (old, new, an alias), or with bare column names for r = ''."""
    return template.replace("{r}.", f"{r}." if r else "")


# A district's period as the digest reads rows of `submissions s`: sensitive and spam left out,
# districts compared as the queue does (NOCASE).
PERIOD_ROWS = ("s.sensitive = 0 AND s.status != 'spam' AND s.district = :district COLLATE NOCASE"
               f" AND {for_row(HEARD_ON, 's')} BETWEEN :date_from AND :date_to")


def _counted(r: str) -> str:
    """SQL: row `r` (old/new) is kept by the triggers (not waiting for the backfill)."""
    return (f"({r}.id > (SELECT target FROM digest_progress) OR "
            f"{r}.id <= (SELECT done_to FROM digest_progress))")


def _figures(r: str, sign: str) -> str:
    """One upsert: row `r`'s part and kind, its status with its answer's tenth (-1: not
    answered), and its topic code once coded, each +-1. (A compound SELECT: a VALUES list in
    a trigger's subquery loses its column names in SQLite 3.40.)"""
    keep = f"{for_row(IN_DIGEST, r)} AND {_counted(r)}"
    day = f"{r}.district, {for_row(HEARD_ON, r)}"
    return (
        "INSERT INTO digest_figures (district, day, dim, a, b, n)"
        f" SELECT {day}, 'part', {r}.component, {r}.kind, {sign}1 WHERE {keep}"
        f" UNION ALL SELECT {day}, 'state', {r}.status, {for_row(STATE_BUCKET, r)}, {sign}1 WHERE {keep}"
        f" UNION ALL SELECT {day}, 'topic', {r}.topic_code, '', {sign}1 WHERE {keep} AND {r}.topic_code IS NOT NULL"
        " ON CONFLICT DO UPDATE SET n = n + excluded.n;")


# The public answers' list: every published, listed answer under its submission's district and
# day (whether the submission is sensitive or spam is checked as the list is read).
_LISTED = "{a}.published = 1 AND {a}.listed = 1"


def _answers_of(s: str, where: str) -> str:
    return ("INSERT OR IGNORE INTO digest_answers (district, day, answer_id)"
            f" SELECT {s}.district, {for_row(HEARD_ON, s)}, a.id FROM answers a"
            f" WHERE a.submission_id = {s}.id AND {_LISTED.format(a='a')}"
            f" AND {s}.district IS NOT NULL AND {where};")


def _drop_answers_of(s: str, where: str) -> str:
    return (f"DELETE FROM digest_answers WHERE district = {s}.district AND day = {for_row(HEARD_ON, s)}"
            f" AND answer_id IN (SELECT id FROM answers WHERE submission_id = {s}.id) AND {where};")


def _list_answer(a: str, where: str) -> str:
    """Answer row `a` in its submission's district and day (`where`: when)."""
    return ("INSERT OR IGNORE INTO digest_answers (district, day, answer_id)"
            f" SELECT s.district, {for_row(HEARD_ON, 's')}, {a}.id FROM submissions s"
            f" WHERE s.id = {a}.submission_id AND s.district IS NOT NULL AND {where};")


def _unlist_answer(a: str) -> str:
    return (f"DELETE FROM digest_answers WHERE answer_id = {a}.id AND (district, day) IN"
            f" (SELECT s.district, {for_row(HEARD_ON, 's')} FROM submissions s WHERE s.id = {a}.submission_id);")


def schema_sql() -> str:
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in WATCHED)
    moved = (f"(old.district IS NOT new.district OR {for_row(HEARD_ON, 'old')} IS NOT {for_row(HEARD_ON, 'new')})")
    return f"""
CREATE TABLE digest_figures (
    district TEXT NOT NULL COLLATE NOCASE,  -- as the digest compares districts
    day TEXT NOT NULL,                      -- HEARD_ON
    dim TEXT NOT NULL,                      -- part (a: component, b: kind), state (a: status,
                                            -- b: tenths of a day to answer, -1 none), topic (a: code)
    a NOT NULL,
    b NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (district, day, dim, a, b)
) WITHOUT ROWID;
CREATE TABLE digest_answers (
    district TEXT NOT NULL COLLATE NOCASE,
    day TEXT NOT NULL,
    answer_id INTEGER NOT NULL,
    PRIMARY KEY (district, day, answer_id)
) WITHOUT ROWID;
CREATE TABLE digest_progress (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    done_to INTEGER NOT NULL,             -- rows with id <= done_to are in the figures
    target INTEGER NOT NULL               -- rows with id > target are kept by the triggers
);
INSERT INTO digest_progress (id, done_to, target) SELECT 1, 0, COALESCE(max(id), 0) FROM submissions;
CREATE TRIGGER submissions_digest_insert AFTER INSERT ON submissions WHEN {for_row(IN_DIGEST, 'new')}
BEGIN {_figures('new', '')} END;
CREATE TRIGGER submissions_digest_delete AFTER DELETE ON submissions
BEGIN {_figures('old', '-')} {_drop_answers_of('old', '1')} END;
CREATE TRIGGER submissions_digest_update AFTER UPDATE ON submissions WHEN {changed}
BEGIN {_figures('old', '-')} {_figures('new', '')}
    {_drop_answers_of('old', moved)} {_answers_of('new', moved)} END;
CREATE TRIGGER answers_digest_insert AFTER INSERT ON answers WHEN {_LISTED.format(a='new')}
BEGIN {_list_answer('new', '1')} END;
CREATE TRIGGER answers_digest_delete AFTER DELETE ON answers WHEN {_LISTED.format(a='old')}
BEGIN {_unlist_answer('old')} END;
CREATE TRIGGER answers_digest_update AFTER UPDATE OF published, listed, submission_id ON answers
WHEN ({_LISTED.format(a='old')}) IS NOT ({_LISTED.format(a='new')}) OR old.submission_id IS NOT new.submission_id
BEGIN {_unlist_answer('old')} {_list_answer('new', _LISTED.format(a='new'))} END;
INSERT INTO digest_answers (district, day, answer_id)
    SELECT s.district, {for_row(HEARD_ON, 's')}, a.id FROM answers a JOIN submissions s ON s.id = a.submission_id
    WHERE {_LISTED.format(a='a')} AND s.district IS NOT NULL;
-- The two middle answers of an even count, when the figures' buckets cannot tell the median:
-- only answered rows enter (a new submission costs nothing here).
CREATE INDEX submissions_answer_days ON submissions (district COLLATE NOCASE, {for_row(BUCKET, '')},
    {for_row(HEARD_ON, '')})
    WHERE first_answered_at IS NOT NULL AND sensitive = 0 AND status != 'spam';
"""


# ---------------------------------------------------------------- backfill

def progress(db: Database) -> tuple[int, int]:
    return batches.progress(db, "digest_progress")


def complete(db: Database) -> bool:
    return batches.complete(db, "digest_progress")


def backfill(db: Database, batch: int | None = None, pause: float = batches.PAUSE, report=None) -> int:
    """Count the rows that existed before the triggers into the figures, in batches of ids each
    its own short transaction (storage/batches.py), as counts.backfill does. Safe to run again
    or concurrently: each batch moves `done_to` in the same transaction."""
    def step(size: int):
        done_to, target = progress(db)
        if done_to >= target:
            return None
        span = {"lo": done_to, "hi": min(target, done_to + size)}
        for dim, a, b in (("part", "s.component", "s.kind"), ("state", "s.status", for_row(STATE_BUCKET, "s")),
                          ("topic", "s.topic_code", "''")):
            db.conn.execute(
                "INSERT INTO digest_figures (district, day, dim, a, b, n)"
                f" SELECT s.district, {for_row(HEARD_ON, 's')}, '{dim}', {a}, {b}, count(*) FROM submissions s"
                # "+s.sensitive": by its range of ids, never by the sensitivity index (half the table)
                f" WHERE s.id > :lo AND s.id <= :hi AND +{for_row(IN_DIGEST, 's')} AND {a} IS NOT NULL"
                " GROUP BY s.district COLLATE NOCASE, 2, 4, 5 ON CONFLICT DO UPDATE SET n = n + excluded.n",
                span)
        db.conn.execute("UPDATE digest_progress SET done_to = :hi", span)
        return span["hi"] - span["lo"], (span["hi"], target)
    return batches.run(db, step, batch or BACKFILL_BATCH, BACKFILL_MOST, fixed=batch is not None,
                       pause=pause, report=report)


# ---------------------------------------------------------------- reads

def figures(db: Database, district: str, date_from: str, date_to: str) -> dict:
    """A district's period (dates inclusive) from the kept figures: {dim: {(a, b): n}}."""
    found: dict[str, dict] = {"part": {}, "state": {}, "topic": {}}
    for dim, a, b, n in db.conn.execute(
            "SELECT dim, a, b, sum(n) FROM digest_figures WHERE district = :district"
            " AND day BETWEEN :date_from AND :date_to GROUP BY dim, a, b HAVING sum(n) != 0",
            {"district": district, "date_from": date_from, "date_to": date_to}):
        found[dim][(a, b)] = n
    return found


def median_days(db: Database, district: str, date_from: str, date_to: str,
                buckets: dict[int, int]) -> float | None:
    """The median days to a first answer, rounded to a tenth (as round(statistics.median(...), 1)
    over every answer), from the period's (bucket: answers)."""
    total = sum(buckets.values())
    if not total:
        return None
    middle = [(total - 1) // 2, total // 2]   # the one or two middle positions
    found, seen = [], 0
    for bucket in sorted(buckets):
        n = buckets[bucket]
        while len(found) < 2 and middle[len(found)] < seen + n:
            found.append(bucket)
        seen += n
    low, high = found
    if low == high:
        return low / 10
    # Two middle answers in different tenths: the lower is the last of its bucket, the higher
    # the first of its own; read them (the period's answered rows of one bucket each).
    days = for_row(DAYS, "s")
    where = f"{PERIOD_ROWS} AND s.first_answered_at IS NOT NULL AND {for_row(BUCKET, 's')} = :bucket"
    params = {"district": district, "date_from": date_from, "date_to": date_to}
    a = db.conn.execute(f"SELECT max({days}) FROM submissions s WHERE {where}", {**params, "bucket": low}).fetchone()[0]
    b = db.conn.execute(f"SELECT min({days}) FROM submissions s WHERE {where}", {**params, "bucket": high}).fetchone()[0]
    return round((a + b) / 2, 1)
