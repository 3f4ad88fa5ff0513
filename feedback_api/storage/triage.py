"""Owns triage at volume: the published answers most like a submission (full-text search over
published answers, `answer_search`), duplicate groups (submissions whose messages fold to the
same words share `submissions.group_key`; `submission_groups` counts each group's members,
kept by triggers) with one answer for a whole group, and claims (a moderator holds a
submission or a group for a while so that two don't answer the same one). Its schema is the
triage migration (storage/migrations.py); its audit entries go through storage/audit.py.

Why triggers keep `submission_groups` and `answer_search`: every path that changes a
submission's status or an answer's publication (moderation, bulk actions, the SMS channel,
sqlite3 by hand) keeps them right without knowing about them.

Backfill: the migration adds the column and tables only (instant). Keys of rows stored before
it, and published answers written before it, are filled by `backfill()` in batches, each its
own short transaction, so that submissions never wait long; until then those rows are simply
in no group and those answers are not suggested.
"""
from __future__ import annotations

import re

from sqlite_utils import Database

from .. import folding
from . import audit, batches, moderation
from .db import ago, dicts, immediate, now, one

OPEN = "('new', 'in_review')"   # as in the triage migration's triggers
BACKFILL_BATCH = 500        # rows in the first write transaction (then sized by storage/batches.py)
BACKFILL_MOST = 20000       # ... and at most
SIMILAR_LIMIT = 5
# What the similar-answers search may rank: the newest answers only (advice changes; the
# newest is the likeliest still right), and of the message's words the rarest whose postings
# among them fit the budget (a few ms of bm25).
SIMILAR_WINDOW = 50000
SIMILAR_BUDGET = 4000
SIMILAR_COMMON = 1000   # a word in this many of the window's answers is common: never ranked
GROUP_ANSWER_MAX = 1000     # members answered per click
GROUP_ANSWER_CHUNK = 100    # ... in write transactions of this many (tens of ms each)
CLAIM_KINDS = ("submission", "group")
_WORD = re.compile(r"[^\W_]+")


# ---------------------------------------------------------------- backfill

def complete(db: Database) -> bool:
    """Every stored submission has its group key and every older answer is indexed (rows
    stored since the last backfill count as not done: a backfill walks them, quickly)."""
    progress = one(db.conn.execute("SELECT * FROM triage_progress"))
    top = db.conn.execute("SELECT COALESCE(max(id), 0) FROM submissions").fetchone()[0]
    return progress["groups_done_to"] >= top and progress["answers_done_to"] >= progress["answers_target"]


def backfill(db: Database, batch: int | None = None, pause: float = batches.PAUSE, report=None) -> int:
    """Give rows stored before the triage migration (or written by SQL without one) their group
    key, then index the answers published before it: one INSERT or UPDATE ... SELECT per batch
    of ids, each its own short transaction (storage/batches.py: sized to hold the lock about a
    quarter of a second, or `batch` ids each when given), pausing between them so that queued
    writers go first. Safe to repeat or to run beside the service. Returns how many rows it
    touched; `report(done, target)` after each batch."""
    # Up to the newest row now: rows stored from here on get their key from insert_submission
    # (chasing a growing table would never end while submissions arrive).
    top = db.conn.execute("SELECT COALESCE(max(id), 0) FROM submissions").fetchone()[0]
    db.conn.create_function("triage_group_key", 1, folding.group_key, deterministic=True)

    def keys(size: int):
        low = db.conn.execute("SELECT groups_done_to FROM triage_progress").fetchone()[0]
        if low >= top:
            return None
        upto = min(top, low + size)
        count = db.conn.execute(
            "UPDATE submissions SET group_key = triage_group_key(message)"
            " WHERE id > :low AND id <= :high AND group_key IS NULL", {"low": low, "high": upto}).rowcount
        db.conn.execute("UPDATE triage_progress SET groups_done_to = :upto", {"upto": upto})
        return count, (upto, top)

    def answers(size: int):
        progress = one(db.conn.execute("SELECT * FROM triage_progress"))
        low, target = progress["answers_done_to"], progress["answers_target"]
        if low >= target:
            return None
        upto = min(target, low + size)
        # answer_search_content's rows, by the answers' ids: through the view, SQLite would
        # walk every published answer (answers_public) for each batch.
        count = db.conn.execute(
            "INSERT INTO answer_search (rowid, question, body, language)"
            " SELECT a.id, COALESCE(NULLIF(trim(a.public_question), ''), s.message), a.body, a.language"
            " FROM answers a NOT INDEXED JOIN submissions s ON s.id = a.submission_id"
            " WHERE a.id > :low AND a.id <= :high AND a.published = 1", {"low": low, "high": upto}).rowcount
        db.conn.execute("UPDATE triage_progress SET answers_done_to = :upto", {"upto": upto})
        return count, (upto, target)

    return sum(batches.run(db, step, batch or BACKFILL_BATCH, BACKFILL_MOST, fixed=batch is not None, pause=pause, report=report)
               for step in (keys, answers))


# ---------------------------------------------------------------- similar published answers

def _terms(message: str) -> list[str]:
    """The message's distinct words as the search index holds them, each also in its folded
    letter variant (كفالت finds کفالت), at most 40."""
    found: list[str] = []
    for word in _WORD.findall(folding.light(message)):
        for form in (word, folding.vary(word)):
            if len(form) > 1 and len(form) <= 40 and form not in found:
                found.append(form)
    return found[:40]


def similar_answers(db: Database, submission: dict, limit: int = SIMILAR_LIMIT) -> list[dict]:
    """Published answers in the submission's language most like its message, best first,
    among the newest SIMILAR_WINDOW answers: ranked by bm25 on the message's rarest words (how
    many answers in that window hold each, counted up to SIMILAR_COMMON) while their postings
    fit SIMILAR_BUDGET; then, if that found too few, the newest answers holding all of the next
    three (common words: the walk stops at the first matches). So a message of common words
    costs what one of rare words does, however many answers there are. Never the
    submission's own answer, nor one of a sensitive or spam case."""
    terms = _terms(submission["message"])
    newest = db.conn.execute("SELECT COALESCE(max(id), 0) FROM answers").fetchone()[0]
    if not terms or not newest:
        return []
    floor = newest - SIMILAR_WINDOW
    # Counted in the window, each up to SIMILAR_COMMON: bounded work per word. (The index's
    # own vocabulary counts a word's every posting: seconds for a message at a million rows.)
    counts = sorted(((db.conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM answer_search WHERE answer_search MATCH :match"
        " AND rowid > :floor LIMIT :most)",
        {"match": f'{{question body}} : "{t}"', "floor": floor, "most": SIMILAR_COMMON}).fetchone()[0], t)
        for t in terms), key=lambda c: c)
    counts = [(n, t) for n, t in counts if n]
    ranked, spent = [], 0
    for n, term in counts[:8]:
        if n >= SIMILAR_COMMON or spent + n > SIMILAR_BUDGET:
            break
        ranked.append(term)
        spent += n
    common = [t for _, t in counts[len(ranked):len(ranked) + 3]]
    language = '"' + submission["language"].replace('"', "") + '"'
    found: list[dict] = []
    for words, order in ((" OR ".join(f'"{t}"' for t in ranked), "rank"),
                         (" ".join(f'"{t}"' for t in common), "rowid DESC")):
        if not words or len(found) >= limit:
            continue
        seen = {a["id"] for a in found}
        found += [a for a in dicts(db.conn.execute(
            "SELECT a.id, a.body, a.language, a.published_at, s.reference,"
            " COALESCE(NULLIF(trim(a.public_question), ''), s.message) AS question"
            " FROM (SELECT rowid AS id FROM answer_search WHERE answer_search MATCH :match AND rowid > :floor"
            f" ORDER BY {order} LIMIT :candidates) f"
            " JOIN answers a ON a.id = f.id JOIN submissions s ON s.id = a.submission_id"
            " WHERE a.published = 1 AND s.sensitive = 0 AND s.status != 'spam' AND s.id != :me",
            {"match": f"language : {language} AND {{question body}} : ({words})", "floor": floor,
             "candidates": limit * 3, "me": submission["id"]})) if a["id"] not in seen]
    return found[:limit]


def published_answer(db: Database, answer_id: int) -> dict | None:
    """A published answer a moderator may reuse (not a sensitive or spam case's)."""
    return one(db.conn.execute(
        "SELECT a.id, a.body, a.language FROM answers a JOIN submissions s ON s.id = a.submission_id"
        " WHERE a.id = :id AND a.published = 1 AND s.sensitive = 0 AND s.status != 'spam'",
        {"id": answer_id}))


# ---------------------------------------------------------------- duplicate groups

def group_of(db: Database, submission: dict) -> dict | None:
    """The submission's group ({key, open_count, total}) when it has other members."""
    if submission.get("group_key") is None:
        return None
    group = one(db.conn.execute(
        "SELECT group_key AS key, open_count, total FROM submission_groups"
        " WHERE group_key = :key AND sensitive = :sensitive",
        {"key": submission["group_key"], "sensitive": submission["sensitive"]}))
    return group if group and group["total"] > 1 else None


def group(db: Database, key: int, sensitive: int) -> dict | None:
    return one(db.conn.execute(
        "SELECT group_key AS key, open_count, total FROM submission_groups"
        " WHERE group_key = :key AND sensitive = :sensitive AND total > 0", {"key": key, "sensitive": sensitive}))


def members(db: Database, key: int, sensitive: int, limit: int) -> list[dict]:
    """A group's members, open ones first, newest first within each."""
    rows = []
    for where in (f"status IN {OPEN}", f"status NOT IN {OPEN}"):
        if len(rows) >= limit:
            break
        rows += dicts(db.conn.execute(
            "SELECT id, reference, message, language, status, channel, district, received_at FROM submissions"
            f" WHERE group_key = :key AND sensitive = :sensitive AND {where}"
            " ORDER BY received_at DESC, id DESC LIMIT :limit",
            {"key": key, "sensitive": sensitive, "limit": limit - len(rows)}))
    return rows


def groups(db: Database, sensitive: int, limit: int, after: tuple[int, int] | None = None) -> tuple[list[dict], bool]:
    """Groups with two or more open members, largest first (then by key), one page after
    `after` = (open_count, key) of the previous page's last group; with the newest open
    member of each (its words stand for the group). Returns (groups, more follow)."""
    params = {"sensitive": sensitive, "limit": limit + 1}
    where = ""
    if after:
        where = " AND (open_count < :n OR (open_count = :n AND group_key < :key))"
        params.update(n=after[0], key=after[1])
    rows = dicts(db.conn.execute(
        "SELECT group_key AS key, open_count, total FROM submission_groups"
        f" WHERE sensitive = :sensitive AND open_count >= 2{where}"
        " ORDER BY open_count DESC, group_key DESC LIMIT :limit", params))
    more = len(rows) > limit
    rows = rows[:limit]
    for row in rows:
        row["sample"] = one(db.conn.execute(
            "SELECT reference, message, language, received_at FROM submissions"
            f" WHERE group_key = :key AND sensitive = :sensitive AND status IN {OPEN}"
            " ORDER BY received_at DESC LIMIT 1", {"key": row["key"], "sensitive": sensitive}))
        oldest = db.conn.execute(
            "SELECT received_at FROM submissions"
            f" WHERE group_key = :key AND sensitive = :sensitive AND status IN {OPEN}"
            " ORDER BY received_at LIMIT 1", {"key": row["key"], "sensitive": sensitive}).fetchone()
        row["oldest"] = oldest[0] if oldest else None
    return rows, more


def answer_group(db: Database, key: int, user_id: int, body: str, language: str,
                 chunk: int = GROUP_ANSWER_CHUNK, most: int = GROUP_ANSWER_MAX) -> dict:
    """Publish one answer to every open member of a (non-sensitive) group, oldest first, at
    most `most` per call in transactions of `chunk` (submissions arriving meanwhile wait for
    one chunk, not the whole group); each member gets its own audit entries as if answered
    alone, and each chunk one `group_answer` entry. Members another moderator holds are left
    to them. Releases the group's claim once no open member is left but theirs. Returns
    {answered, held, remaining}, or {"held_by": claim} when another moderator holds the group."""
    answered = 0
    while answered < most:
        with immediate(db):
            held = holder(db, "group", key)
            if held and held["user_id"] != user_id:
                if answered:
                    break
                return {"held_by": held}
            ids = [r["id"] for r in db.conn.execute(
                f"SELECT id FROM submissions WHERE group_key = :key AND sensitive = 0 AND status IN {OPEN}"
                " AND id NOT IN (SELECT subject FROM claims WHERE kind = 'submission' AND user_id != :user"
                " AND expires_at > :now) ORDER BY received_at, id LIMIT :limit",
                {"key": key, "user": user_id, "now": now(), "limit": min(chunk, most - answered)})]
            for submission_id in ids:
                moderation.write_answer(db, submission_id, user_id, body, language, None, True, False)
            if ids:
                audit.record(db, user_id, "group_answer", ids[0], None,
                             {"answered": len(ids), "language": language}, detail=f"group {key}")
        answered += len(ids)
        if len(ids) < chunk:
            break
    with immediate(db):
        remaining = db.conn.execute(
            f"SELECT count(*) FROM submissions WHERE group_key = :key AND sensitive = 0 AND status IN {OPEN}",
            {"key": key}).fetchone()[0]
        others = db.conn.execute(
            f"SELECT count(*) FROM claims c JOIN submissions s ON s.id = c.subject WHERE c.kind = 'submission'"
            f" AND c.user_id != :user AND c.expires_at > :now AND s.group_key = :key AND s.sensitive = 0"
            f" AND s.status IN {OPEN}", {"key": key, "user": user_id, "now": now()}).fetchone()[0]
        if remaining == others:
            _release(db, "group", key, None, None, "answered")
    return {"answered": answered, "held": others, "remaining": remaining}


# ---------------------------------------------------------------- claims

def holder(db: Database, kind: str, subject: int) -> dict | None:
    """The live claim on a submission (its id) or a group (its key), with the holder's name."""
    return one(db.conn.execute(
        "SELECT c.kind, c.subject, c.user_id, u.username, c.claimed_at, c.expires_at FROM claims c"
        " JOIN users u ON u.id = c.user_id WHERE c.kind = :kind AND c.subject = :subject"
        " AND c.expires_at > :now", {"kind": kind, "subject": subject, "now": now()}))


def holders(db: Database, submission: dict) -> dict:
    """Live claims touching a submission: {"submission": claim or None, "group": claim or None}."""
    group_key = submission.get("group_key")
    return {"submission": holder(db, "submission", submission["id"]),
            "group": holder(db, "group", group_key) if group_key is not None else None}


def blocker(db: Database, submission: dict, user_id: int) -> dict | None:
    """The claim of another moderator on this submission or its group, if any."""
    for claim in holders(db, submission).values():
        if claim and claim["user_id"] != user_id:
            return claim
    return None


def claims_on(db: Database, ids: list[int], keys: list[int]) -> dict:
    """Live claims on these submissions and groups (a queue page): {(kind, subject): username}."""
    marks = {f"i{n}": i for n, i in enumerate(ids)}
    keymarks = {f"k{n}": k for n, k in enumerate(k for k in keys if k is not None)}
    if not marks and not keymarks:
        return {}
    clauses = []
    if marks:
        clauses.append(f"(c.kind = 'submission' AND c.subject IN ({', '.join(':' + m for m in marks)}))")
    if keymarks:
        clauses.append(f"(c.kind = 'group' AND c.subject IN ({', '.join(':' + m for m in keymarks)}))")
    return {(r["kind"], r["subject"]): r["username"] for r in db.conn.execute(
        "SELECT c.kind, c.subject, u.username FROM claims c JOIN users u ON u.id = c.user_id"
        f" WHERE ({' OR '.join(clauses)}) AND c.expires_at > :now", {**marks, **keymarks, "now": now()})}


def queue_marks(db: Database, rows: list[dict]) -> dict[int, dict]:
    """For a queue page: per submission id, its group ({key, open_count}) when two or more of
    the group are open, and who holds it or its group. Look-ups by key: a page costs a page."""
    ids = {f"i{n}": r["id"] for n, r in enumerate(rows)}
    if not ids:
        return {}
    marks = ", ".join(":" + m for m in ids)
    keyed = db.conn.execute(f"SELECT id, group_key, sensitive FROM submissions WHERE id IN ({marks})", ids).fetchall()
    keys = {f"k{n}": r["group_key"] for n, r in enumerate(keyed) if r["group_key"] is not None}
    sizes = {}
    if keys:
        sizes = {(r["group_key"], r["sensitive"]): r["open_count"] for r in db.conn.execute(
            "SELECT group_key, sensitive, open_count FROM submission_groups"
            f" WHERE group_key IN ({', '.join(':' + k for k in keys)}) AND open_count >= 2", keys)}
    held = claims_on(db, list(ids.values()), list(keys.values()))
    found = {}
    for r in keyed:
        size = sizes.get((r["group_key"], r["sensitive"])) if not r["sensitive"] else None
        found[r["id"]] = {"group": {"key": r["group_key"], "open_count": size} if size else None,
                          "held_by": held.get(("submission", r["id"])) or held.get(("group", r["group_key"]))}
    return found


def claim(db: Database, kind: str, subject: int, user_id: int, minutes: int, submission_id: int,
          group_key: int | None = None) -> dict:
    """Hold a submission (or a group) for `minutes`; claiming again renews. Refused when
    another moderator holds it, or holds the group of the submission. Returns {"claim": ...}
    or {"held_by": the other's claim}."""
    assert kind in CLAIM_KINDS
    with immediate(db):
        for other in (holder(db, kind, subject),
                      holder(db, "group", group_key) if kind == "submission" and group_key is not None else None):
            if other and other["user_id"] != user_id:
                return {"held_by": other}
        stamp, until = now(), ago(-60 * minutes)
        # Lapsed claims go here, so the table stays as small as the claims held now.
        db.conn.execute("DELETE FROM claims WHERE expires_at <= :now", {"now": stamp})
        db.conn.execute(
            "INSERT INTO claims (kind, subject, user_id, claimed_at, expires_at)"
            " VALUES (:kind, :subject, :user, :at, :until) ON CONFLICT DO UPDATE SET user_id = excluded.user_id,"
            " claimed_at = excluded.claimed_at, expires_at = excluded.expires_at",
            {"kind": kind, "subject": subject, "user": user_id, "at": stamp, "until": until})
        audit.record(db, user_id, "claim", submission_id, None, {"until": until},
                     detail=f"group {subject}" if kind == "group" else None)
        return {"claim": holder(db, kind, subject)}


def release(db: Database, kind: str, subject: int, user_id: int, submission_id: int) -> bool:
    """Let go of one's own claim (audited). False when this user held nothing there."""
    with immediate(db):
        return _release(db, kind, subject, user_id, submission_id, None)


def _release(db, kind, subject, user_id, submission_id, why) -> bool:
    held = holder(db, kind, subject)
    if held is None or (user_id is not None and held["user_id"] != user_id):
        return False
    db.conn.execute("DELETE FROM claims WHERE kind = :kind AND subject = :subject",
                    {"kind": kind, "subject": subject})
    audit.record(db, user_id, "claim_release", submission_id,
                 {"holder": held["username"]}, None,
                 detail=" ".join(filter(None, (f"group {subject}" if kind == "group" else None, why))) or None)
    return True


def _release_on_answer(db: Database, submission_id: int, body: str, language: str) -> None:
    """ANSWER_PUBLISHED hook: a published answer ends the claim on that submission."""
    _release(db, "submission", submission_id, None, submission_id, "answered")


moderation.ANSWER_PUBLISHED.append(_release_on_answer)
