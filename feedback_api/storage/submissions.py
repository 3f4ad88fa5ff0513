"""Owns the public service's SQL: storing submissions (with their contact details) and
ratings, and what the public may see of a submission by its reference."""
from __future__ import annotations

import sqlite3

from sqlite_utils import Database

from .. import folding
from . import fulltext, masks
from .db import grouped, immediate, now

STATUSES = ("new", "in_review", "answered", "closed", "spam")
CHANNELS = ("web", "town_hall", "feedback_session", "helpline", "sms", "field_visit")
# What the public sees of each internal status: spam looks like any new submission, so a
# bot learns nothing from looking up the reference it was given.
PUBLIC_STATUS = {"new": "received", "spam": "received", "in_review": "in_review",
                 "answered": "answered", "closed": "closed"}


_INSERT = (
    "INSERT INTO submissions (reference, kind, component, language, message, page,"
    " district, channel, status, spam_reason, sensitive, client_hash, message_hash,"
    " resubmit_hash, received_at, gathered_on, updated_at, message_masked, page_masked,"
    " district_masked, group_key)"
    " VALUES (:reference, :kind, :component, :language, :message, :page, :district,"
    " :channel, :status, :spam_reason, :sensitive, :client_hash, :message_hash,"
    " :resubmit_hash, :stamp, :gathered_on, :stamp, :message_masked, :page_masked,"
    " :district_masked, :group_key)")


def insert_submission(db: Database, row: dict, contact: dict | None, duplicate_since: str,
                      make_reference, also=None) -> tuple[str, bool]:
    """Store one submission (and its contact details) unless it is a resend of one stored since
    `duplicate_since` (the same `resubmit_hash`: feedback_api/resubmits.py says when two sends
    are one). Returns (reference, created) once it is committed. `also(db)`, if given, runs in
    the same transaction (the SMS channel records the sender's language: one commit).

    The write is grouped (db.grouped): it may share its transaction and fsync with other
    threads' submissions, each in its own savepoint, the resend check seeing those before it.
    What needs no lock (masks, the group key) is worked out here, before queueing. The message
    reaches the full-text index after the write, in batches (storage/fulltext.py)."""
    values = {"kind": row["kind"], "component": row["component"],
              "language": row["language"], "message": row["message"], "page": row.get("page"),
              "district": row.get("district"), "channel": row.get("channel", "web"),
              "status": row.get("status", "new"), "spam_reason": row.get("spam_reason"),
              "sensitive": int(row.get("sensitive", 0)), "client_hash": row.get("client_hash"),
              "message_hash": row["message_hash"], "resubmit_hash": row.get("resubmit_hash"),
              "gathered_on": row.get("gathered_on"),
              **{f"{c}_masked": masks.masked(row.get(c)) for c in masks.COLUMNS["submissions"]},
              "group_key": folding.group_key(row["message"])}

    def work(db: Database) -> tuple[str, bool]:
        if also is not None:
            also(db)
        if values["resubmit_hash"]:
            earlier = db.execute(
                "SELECT reference FROM submissions WHERE resubmit_hash = :resubmit_hash"
                " AND received_at >= :since ORDER BY id LIMIT 1",
                {"resubmit_hash": values["resubmit_hash"], "since": duplicate_since}).fetchone()
            if earlier:
                return earlier["reference"], False
        values["stamp"] = now()
        for _attempt in range(5):
            values["reference"] = make_reference()
            try:
                cursor = db.conn.execute(_INSERT, values)
                break
            except sqlite3.IntegrityError as exc:  # a reference collision: 50 bits, but be sure
                if "reference" not in str(exc):
                    raise
        else:
            raise RuntimeError("could not allocate a unique reference")
        if contact:
            db.conn.execute(
                "INSERT INTO contacts (submission_id, name, contact, consent_to_contact)"
                " VALUES (:id, :name, :contact, :consent)",
                {"id": cursor.lastrowid, "name": contact.get("name"), "contact": contact.get("contact"),
                 "consent": int(contact.get("consent_to_contact", 0))})
        return values["reference"], True

    return grouped(db, work, after=fulltext.index_waiting)


def public_status(db: Database, reference: str) -> dict | None:
    """What the public may see of a submission: never the message, contact or flags. A
    submission marked as a duplicate shows the answer published for the original."""
    row = db.execute(
        "SELECT s.reference, s.kind, s.component, s.language, s.status, s.received_at,"
        " a.body AS answer_body, a.language AS answer_language, a.published_at"
        " FROM submissions s"
        " LEFT JOIN answers a ON a.submission_id = COALESCE(s.duplicate_of, s.id) AND a.published = 1"
        " WHERE s.reference = :reference", {"reference": reference}).fetchone()
    if row is None:
        return None
    answer = None
    if row["answer_body"] is not None:
        answer = {"body": row["answer_body"], "language": row["answer_language"],
                  "published_at": row["published_at"]}
    return {"reference": row["reference"], "kind": row["kind"], "component": row["component"],
            "language": row["language"], "status": PUBLIC_STATUS[row["status"]],
            "received_at": row["received_at"], "answer": answer}


def submission_language(db: Database, reference: str) -> str | None:
    row = db.execute("SELECT language FROM submissions WHERE reference = :reference",
                     {"reference": reference}).fetchone()
    return row["language"] if row else None


def insert_rating(db: Database, row: dict) -> int:
    with immediate(db):
        cursor = db.conn.execute(
            "INSERT INTO ratings (page, language, helpful, comment, client_hash, created_at)"
            " VALUES (:page, :language, :helpful, :comment, :client_hash, :now)",
            {"page": row["page"], "language": row["language"], "helpful": int(row["helpful"]),
             "comment": row.get("comment"), "client_hash": row.get("client_hash"), "now": now()})
        return cursor.lastrowid
