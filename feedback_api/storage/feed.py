"""Owns every SQL statement of closing the loop in public: the public feed (published, listed
answers and aggregate figures), "you said, we did" changes and the district
digest's figures. Its schema is migration 0003 (storage/migrations.py).

What may leave this module for the public (`feed_*`): never a name, contact, reference,
message, note or anything from a sensitive or spam submission. Free text that does leave it
(a question as edited for publication, an answer) is masked again by the caller.
"""
from __future__ import annotations

import datetime as dt
import statistics

from sqlite_utils import Database

from . import audit, digest as digest_figures
from .db import dicts as _dicts, immediate, now


def _days(start: str, end: str) -> float:
    a = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
    b = dt.datetime.fromisoformat(end.replace("Z", "+00:00"))
    return max(0.0, (b - a).total_seconds() / 86400)


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


# ---------------------------------------------------------------- the public feed

# Public means: published, listed by the moderator with a question edited for publication,
# and from a submission that is neither sensitive nor spam.
PUBLIC_ANSWER = ("a.published = 1 AND a.listed = 1 AND s.sensitive = 0 AND s.status != 'spam'"
                 " AND a.public_question IS NOT NULL AND trim(a.public_question) != ''")


def feed_answers(db: Database, per_language: int) -> list[dict]:
    """Public answers, newest first, at most `per_language` per language. `name` and `contact`
    (the submitter's, if given) come along only so that the caller can strip them from the
    text: they never leave feed.py."""
    return _dicts(db.conn.execute(
        "SELECT id, language, component, question, answer, published_at, name, contact FROM ("
        " SELECT a.id, a.language, s.component, a.public_question AS question, a.body AS answer,"
        " a.published_at, c.name, c.contact, row_number() OVER (PARTITION BY a.language"
        "  ORDER BY a.published_at DESC, a.id DESC) AS n"
        " FROM answers a JOIN submissions s ON s.id = a.submission_id"
        " LEFT JOIN contacts c ON c.submission_id = s.id"
        f" WHERE {PUBLIC_ANSWER}) WHERE n <= :per_language ORDER BY published_at DESC, id DESC",
        {"per_language": per_language}))


def _change_rows(db: Database, where: str, params: dict) -> list[dict]:
    rows = _dicts(db.conn.execute(
        "SELECT c.id, c.component, c.district, c.happened_on, c.published, c.published_at,"
        " c.created_at, c.updated_at,"
        " (SELECT count(*) FROM change_submissions cs JOIN submissions s ON s.id = cs.submission_id"
        "  WHERE cs.change_id = c.id AND s.status != 'spam') AS submissions"
        f" FROM changes c WHERE {where}"
        " ORDER BY COALESCE(c.happened_on, substr(c.created_at, 1, 10)) DESC, c.id DESC", params))
    if not rows:
        return rows
    ids = {f"id{i}": r["id"] for i, r in enumerate(rows)}
    marks = ", ".join(f":{name}" for name in ids)
    texts: dict[int, dict] = {}
    for text in db.conn.execute(
            f"SELECT change_id, language, said, done, place FROM change_texts WHERE change_id IN ({marks})",
            ids):
        texts.setdefault(text["change_id"], {})[text["language"]] = {
            "said": text["said"], "done": text["done"], "place": text["place"]}
    for row in rows:
        row["texts"] = texts.get(row["id"], {})
    return rows


def feed_changes(db: Database) -> list[dict]:
    """Published "you said, we did" changes, newest first, with their text in each language."""
    return _change_rows(db, "c.published = 1", {})


def feed_stats(db: Database) -> dict:
    """Received, answered and median days to a first answer: overall, per component, per month
    and per component and month. Spam and sensitive submissions are left out."""
    rows = db.conn.execute(
        "SELECT component, substr(received_at, 1, 7) AS month, received_at, first_answered_at"
        " FROM submissions WHERE sensitive = 0 AND status != 'spam'").fetchall()
    groups: dict[tuple, dict] = {}

    def add(key, answered_days):
        group = groups.setdefault(key, {"received": 0, "days": []})
        group["received"] += 1
        if answered_days is not None:
            group["days"].append(answered_days)

    for row in rows:
        component, month, answered = row["component"], row["month"], row["first_answered_at"]
        days = _days(row["received_at"], answered) if answered else None
        for key in (("all",), ("component", component), ("month", month), ("both", component, month)):
            add(key, days)

    def figures(group):
        return {"received": group["received"], "answered": len(group["days"]),
                "median_days_to_answer": _median(group["days"])}

    empty = {"received": 0, "days": []}
    return {
        "totals": figures(groups.get(("all",), empty)),
        "by_component": [{"component": k[1], **figures(v)} for k, v in sorted(groups.items())
                         if k[0] == "component"],
        "by_month": [{"month": k[1], **figures(v)} for k, v in sorted(groups.items()) if k[0] == "month"],
        "by_component_month": [{"component": k[1], "month": k[2], **figures(v)}
                               for k, v in sorted(groups.items()) if k[0] == "both"],
    }


def feed_last_modified(db: Database) -> str | None:
    """The latest moment anything in the feed may have changed (for Last-Modified)."""
    row = db.conn.execute(
        "SELECT max(m) AS latest FROM (SELECT max(updated_at) AS m FROM answers"
        " UNION ALL SELECT max(updated_at) FROM changes"
        " UNION ALL SELECT max(updated_at) FROM submissions)").fetchone()
    return row["latest"]


# ---------------------------------------------------------------- "you said, we did" (staff)

def changes_list(db: Database) -> list[dict]:
    return _change_rows(db, "1 = 1", {})


def change(db: Database, change_id: int) -> dict | None:
    rows = _change_rows(db, "c.id = :id", {"id": change_id})
    if not rows:
        return None
    row = rows[0]
    row["references"] = [r["reference"] for r in db.conn.execute(
        "SELECT s.reference FROM change_submissions cs JOIN submissions s ON s.id = cs.submission_id"
        " WHERE cs.change_id = :id ORDER BY s.id", {"id": change_id})]
    return row


def submission_ids(db: Database, references: list[str]) -> dict[str, int | None]:
    """reference -> id (None when there is no such submission, or it is sensitive: a public
    change must not point at the restricted queue)."""
    found = {}
    for ref in references:
        row = db.conn.execute("SELECT id, sensitive FROM submissions WHERE reference = :reference",
                              {"reference": ref}).fetchone()
        found[ref] = row["id"] if row and not row["sensitive"] else None
    return found


def save_change(db: Database, user_id: int, change_id: int | None, fields: dict,
                texts: dict[str, dict], submission_ids_: list[int]) -> int:
    """Create (change_id None) or rewrite a change, its texts and its linked submissions,
    with an audit entry, in one transaction. Returns the change's id."""
    stamp = now()
    publish = 1 if fields.get("published") else 0
    values = {"component": fields["component"], "district": fields.get("district"),
              "happened_on": fields.get("happened_on"), "published": publish, "user_id": user_id,
              "stamp": stamp, "id": change_id}
    with immediate(db):
        before = None
        if change_id is None:
            cursor = db.conn.execute(
                "INSERT INTO changes (component, district, happened_on, published, created_by,"
                " created_at, updated_at, published_at) VALUES (:component, :district, :happened_on,"
                " :published, :user_id, :stamp, :stamp, CASE WHEN :published = 1 THEN :stamp END)", values)
            change_id = values["id"] = cursor.lastrowid
        else:
            old = db.conn.execute("SELECT component, district, happened_on, published FROM changes"
                                  " WHERE id = :id", values).fetchone()
            if old is None:
                raise KeyError(change_id)
            before = dict(old)
            db.conn.execute(
                "UPDATE changes SET component = :component, district = :district,"
                " happened_on = :happened_on, published = :published, updated_at = :stamp,"
                " published_at = CASE WHEN :published = 1 THEN COALESCE(published_at, :stamp)"
                " ELSE NULL END WHERE id = :id", values)
            db.conn.execute("DELETE FROM change_texts WHERE change_id = :id", values)
            db.conn.execute("DELETE FROM change_submissions WHERE change_id = :id", values)
        for language, text in texts.items():
            db.conn.execute("INSERT INTO change_texts (change_id, language, said, done, place)"
                            " VALUES (:id, :language, :said, :done, :place)",
                            {"id": change_id, "language": language, "said": text["said"],
                             "done": text["done"], "place": text.get("place")})
        for sid in sorted(set(submission_ids_)):
            db.conn.execute("INSERT INTO change_submissions (change_id, submission_id) VALUES (:id, :sid)",
                            {"id": change_id, "sid": sid})
        after = {"component": fields["component"], "district": fields.get("district"),
                 "happened_on": fields.get("happened_on"), "published": publish,
                 "languages": sorted(texts), "submissions": len(set(submission_ids_))}
        audit.record(db, user_id, "change_create" if before is None else "change_update", None,
                     before, after, detail=f"change {change_id}")
    return change_id


def set_change_published(db: Database, user_id: int, change_id: int, published: bool) -> bool:
    stamp = now()
    with immediate(db):
        done = db.conn.execute(
            "UPDATE changes SET published = :published, updated_at = :stamp, published_at = CASE"
            " WHEN :published = 1 THEN COALESCE(published_at, :stamp) ELSE NULL END"
            " WHERE id = :id AND published != :published",
            {"published": int(published), "stamp": stamp, "id": change_id}).rowcount
        if done:
            audit.record(db, user_id, "change_publish" if published else "change_unpublish", None,
                         {"published": int(not published)}, {"published": int(published)},
                         detail=f"change {change_id}")
        return bool(done)


# ---------------------------------------------------------------- the district digest

HEARD_ON = digest_figures.for_row(digest_figures.HEARD_ON, "s")
_DIGEST_ROWS = digest_figures.PERIOD_ROWS


def digest(db: Database, district: str, date_from: str, date_to: str, top: int = 5) -> dict:
    """One district and period (dates inclusive): what was heard (counts by component and
    kind, by status, top topic codes), what was answered (publicly listed answers, and how
    many answered at all), what was done (published changes there). Sensitive and spam left out.
    Each answer carries its submitter's `name` and `contact`, only for the caller to cut them out.
    The figures come from those kept per district and day (storage/digest.py), or, until their
    backfill is done, from the rows (`digest_by_rows`): the same either way."""
    where = _DIGEST_ROWS
    params = {"district": district, "date_from": date_from, "date_to": date_to}
    figures = (_digest_kept(db, district, date_from, date_to, top) if digest_figures.complete(db)
               else digest_by_rows(db, district, date_from, date_to, top))
    # The period's public answers from the list kept per district and day (a few a day at most),
    # each checked again here; CROSS JOIN keeps SQLite from starting at the district's rows.
    answers = _dicts(db.conn.execute(
        "SELECT a.language, s.component, a.public_question AS question, a.body AS answer,"
        " a.published_at, c.name, c.contact FROM digest_answers d CROSS JOIN answers a ON a.id = d.answer_id"
        " CROSS JOIN submissions s ON s.id = a.submission_id LEFT JOIN contacts c ON c.submission_id = s.id"
        " WHERE d.district = :district AND d.day BETWEEN :date_from AND :date_to"
        f" AND {PUBLIC_ANSWER} AND {where} ORDER BY a.published_at DESC, a.id DESC LIMIT 20", params))
    changes = _change_rows(
        db, "c.published = 1 AND c.district = :district COLLATE NOCASE"
            " AND COALESCE(c.happened_on, substr(c.created_at, 1, 10)) BETWEEN :date_from AND :date_to",
        params)
    return {**figures, "answers": answers, "changes": changes}


def _digest_kept(db: Database, district: str, date_from: str, date_to: str, top: int) -> dict:
    kept = digest_figures.figures(db, district, date_from, date_to)
    table: dict[str, dict[str, int]] = {}
    for (component, kind), n in sorted(kept["part"].items()):
        table.setdefault(component, {})[kind] = n
    by_status: dict[str, int] = {}
    buckets: dict[int, int] = {}
    for (status, bucket), n in sorted(kept["state"].items()):
        by_status[status] = by_status.get(status, 0) + n
        if bucket >= 0:
            buckets[bucket] = buckets.get(bucket, 0) + n
    by_status = {status: n for status, n in by_status.items() if n}
    topics = sorted(((code, n) for (code, _), n in kept["topic"].items()), key=lambda t: (-t[1], t[0]))[:top]
    return {"by_component_kind": table, "by_status": by_status, "topics": topics,
            "received": sum(by_status.values()), "answered": sum(buckets.values()),
            "median_days_to_answer": digest_figures.median_days(db, district, date_from, date_to, buckets)}


def digest_by_rows(db: Database, district: str, date_from: str, date_to: str, top: int = 5) -> dict:
    """The digest's figures counted from the period's rows: what the kept figures replace, read
    until their backfill is done (then every row of the district's history is walked)."""
    where = _DIGEST_ROWS
    params = {"district": district, "date_from": date_from, "date_to": date_to}
    by_component_kind = db.conn.execute(
        f"SELECT s.component, s.kind, count(*) AS n FROM submissions s WHERE {where}"
        " GROUP BY s.component, s.kind", params).fetchall()
    by_status = {r["status"]: r["n"] for r in db.conn.execute(
        f"SELECT s.status, count(*) AS n FROM submissions s WHERE {where} GROUP BY s.status", params)}
    topics = [(r["topic_code"], r["n"]) for r in db.conn.execute(
        f"SELECT s.topic_code, count(*) AS n FROM submissions s WHERE {where} AND s.topic_code IS NOT NULL"
        " GROUP BY s.topic_code ORDER BY n DESC, s.topic_code LIMIT :top", {**params, "top": top})]
    answered_days = [r["days"] for r in db.conn.execute(
        f"SELECT {digest_figures.for_row(digest_figures.DAYS, 's')} AS days FROM submissions s"
        f" WHERE {where} AND s.first_answered_at IS NOT NULL", params)]
    table: dict[str, dict[str, int]] = {}
    for row in by_component_kind:
        table.setdefault(row["component"], {})[row["kind"]] = row["n"]
    return {"by_component_kind": table, "by_status": by_status, "topics": topics,
            "received": sum(by_status.values()), "answered": len(answered_days),
            "median_days_to_answer": _median(answered_days)}
