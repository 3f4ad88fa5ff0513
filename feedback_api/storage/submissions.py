"""Owns the public service's SQL: storing submissions (with their contact details) and
ratings, and what the public may see of a submission by its reference."""
from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from .db import immediate, now

STATUSES = ("new", "in_review", "answered", "closed", "spam")
CHANNELS = ("web", "town_hall", "feedback_session", "helpline", "sms", "field_visit")
# What the public sees of each internal status: spam looks like any new submission, so a
# bot learns nothing from looking up the reference it was given.
PUBLIC_STATUS = {"new": "received", "spam": "received", "in_review": "in_review",
                 "answered": "answered", "closed": "closed"}


def insert_submission(db: Database, row: dict, contact: dict | None, duplicate_since: str,
                      make_reference, also=None) -> tuple[str, bool]:
    """Store one submission (and its contact details) unless it is a resend of one stored since
    `duplicate_since` (the same `resubmit_hash`: feedback_api/resubmits.py says when two sends
    are one). Returns (reference, created). `also(db)`, if given, runs in the same transaction
    (the SMS channel records the sender's language: one commit)."""
    with immediate(db):
        if also is not None:
            also(db)
        if row.get("resubmit_hash"):
            earlier = db.execute(
                "SELECT reference FROM submissions WHERE resubmit_hash = ? AND received_at >= ?"
                " ORDER BY id LIMIT 1", [row["resubmit_hash"], duplicate_since]).fetchone()
            if earlier:
                return earlier[0], False
        stamp = now()
        for _attempt in range(5):
            reference = make_reference()
            try:
                cursor = db.conn.execute(
                    "INSERT INTO submissions (reference, kind, component, language, message, page,"
                    " district, channel, status, spam_reason, sensitive, client_hash, message_hash,"
                    " resubmit_hash, received_at, gathered_on, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [reference, row["kind"], row["component"], row["language"], row["message"],
                     row.get("page"), row.get("district"), row.get("channel", "web"),
                     row.get("status", "new"), row.get("spam_reason"), int(row.get("sensitive", 0)),
                     row.get("client_hash"), row["message_hash"], row.get("resubmit_hash"), stamp,
                     row.get("gathered_on"),
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
