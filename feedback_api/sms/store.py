"""Owns the SMS channel's tables and every SQL statement about them: per-number state (a keyed
hash, the language last used, STOP, the texts counted against its limits) and the outbox of
answers to send, with its life: queued -> sending -> sent -> delivered | failed, or gave_up /
cancelled.

The phone number itself is stored only in `contacts` (personal data: masked for moderators,
erased by retention); the outbox reads it from there when it sends, so an erased contact is
never texted. Never twice: a message is claimed (`sending`) before it is posted to Kannel;
one found still `sending` after a crash may or may not have gone, so it is not retried by
itself but handed to moderators (`gave_up`, "may have been sent"), who can send it again.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import time

from sqlite_utils import Database

from ..storage import audit
from ..storage.db import immediate, now

FINAL = ("delivered", "failed", "gave_up", "cancelled")
TROUBLE = ("failed", "gave_up", "cancelled")   # what moderators are shown to act on


def _later(seconds: float) -> str:
    moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- numbers

def number_state(db: Database, number_hash: str) -> dict:
    row = db.execute("SELECT language, stopped FROM sms_numbers WHERE number_hash = ?",
                     [number_hash]).fetchone()
    return {"language": row[0], "stopped": bool(row[1])} if row else {"language": None, "stopped": False}


def set_number_in(db: Database, number_hash: str, language: str | None = None,
                  stopped: bool | None = None) -> None:
    """Remember the language a number used (None: keep) and STOP/START (None: keep), inside
    the caller's transaction."""
    db.conn.execute(
        "INSERT INTO sms_numbers (number_hash, language, stopped, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (number_hash) DO UPDATE SET"
        " language = COALESCE(excluded.language, sms_numbers.language),"
        " stopped = CASE WHEN ? IS NULL THEN sms_numbers.stopped ELSE excluded.stopped END,"
        " updated_at = excluded.updated_at",
        [number_hash, language, int(bool(stopped)), now(), stopped])


def forget_numbers(db: Database, before: str) -> int:
    """Retention: forget the language of numbers silent since `before`, and when they texted.
    A STOP is kept: it is the person's wish not to be texted, which must outlive any
    retention period."""
    cutoff = dt.datetime.strptime(before, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    with immediate(db):
        db.conn.execute("DELETE FROM sms_texts WHERE at < ?", [cutoff.timestamp()])
        return db.conn.execute("DELETE FROM sms_numbers WHERE updated_at < ? AND stopped = 0",
                               [before]).rowcount


# ---------------------------------------------------------------- per-number limits

class OverLimit(Exception):
    """A number used up one of its limits: its text is not taken (nothing stored)."""

    def __init__(self, seconds: int):
        super().__init__(f"over the per-number limit for {seconds} s")
        self.seconds = seconds   # when it may text again


def count_text(db: Database, number_hash: str, limits: tuple) -> None:
    """Count one text from a number against `limits` ((amount, seconds) pairs: at most amount
    texts in any `seconds`, a moving window), inside the caller's write transaction; raises
    OverLimit, counting nothing, if one is used up.

    Counted here, in the transaction of what the text stores, rather than in flask-limiter's
    storage: that is per process, or Redis with several workers, where the three limits were
    three round trips (0.6 ms of CPU and 4 ms a text); this is one indexed read and one
    insert on the write lock the text holds anyway, exact across workers."""
    moment = time.time()
    longest = max(seconds for _, seconds in limits)
    db.conn.execute("DELETE FROM sms_texts WHERE number_hash = ? AND at <= ?", [number_hash, moment - longest])
    times = [row[0] for row in db.conn.execute(
        "SELECT at FROM sms_texts WHERE number_hash = ? ORDER BY at DESC", [number_hash])]
    for amount, seconds in limits:
        inside = [at for at in times if at > moment - seconds]
        if len(inside) >= amount:   # a place frees when the amount-th newest leaves the window
            raise OverLimit(max(1, int(inside[amount - 1] + seconds - moment)))
    db.conn.execute("INSERT INTO sms_texts (number_hash, at) VALUES (?, ?)", [number_hash, moment])


# ---------------------------------------------------------------- the outbox

def enqueue(db: Database, submission_id: int, body: str, language: str, encoding: str, parts: int) -> bool:
    """Queue one message for a submission's contact (the caller is inside `immediate(db)`, in
    the transaction that saves the answer). False if this very text was queued before."""
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    stamp = now()
    return bool(db.conn.execute(
        "INSERT OR IGNORE INTO sms_outbox (submission_id, body, body_hash, language, encoding, parts,"
        " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [submission_id, body, digest, language, encoding, parts, stamp, stamp]).rowcount)


def sms_target(db: Database, submission_id: int) -> dict | None:
    """What the answer step needs to decide on an SMS: reference, channel, sensitive, and the
    contact with its consent (None if there is no submission)."""
    row = db.conn.execute(
        "SELECT s.reference, s.channel, s.sensitive, c.contact, COALESCE(c.consent_to_contact, 0)"
        " FROM submissions s LEFT JOIN contacts c ON c.submission_id = s.id WHERE s.id = ?",
        [submission_id]).fetchone()
    if row is None:
        return None
    return {"reference": row[0], "channel": row[1], "sensitive": bool(row[2]), "contact": row[3],
            "consent": bool(row[4])}


def recover_interrupted(db: Database, older_than: str) -> int:
    """Messages left `sending` by a sender that died mid-post: they may have gone, so they are
    not retried by themselves (never twice) but shown to moderators."""
    with immediate(db):
        return db.conn.execute(
            "UPDATE sms_outbox SET status = 'gave_up', last_error = 'interrupted: may have been sent'"
            " WHERE status = 'sending' AND claimed_at < ?", [older_than]).rowcount


def claim(db: Database, limit: int = 20) -> list[dict]:
    """Take up to `limit` due messages (status -> sending, one more attempt), with the number
    to send to, read from the contact at this moment."""
    stamp = now()
    with immediate(db):
        rows = db.conn.execute(
            "SELECT o.id, o.body, o.encoding, o.attempts, c.contact, s.reference"
            " FROM sms_outbox o JOIN submissions s ON s.id = o.submission_id"
            " LEFT JOIN contacts c ON c.submission_id = o.submission_id"
            " WHERE o.status = 'queued' AND o.next_attempt_at <= ? ORDER BY o.id LIMIT ?",
            [stamp, limit]).fetchall()
        for row in rows:
            db.conn.execute("UPDATE sms_outbox SET status = 'sending', attempts = attempts + 1,"
                            " claimed_at = ? WHERE id = ?", [stamp, row[0]])
    return [{"id": r[0], "body": r[1], "encoding": r[2], "attempts": r[3] + 1, "contact": r[4],
             "reference": r[5]} for r in rows]


def mark_sent(db: Database, message_id: int) -> None:
    with immediate(db):
        # A delivery report can arrive before this (Kannel is quick): never step back.
        db.conn.execute("UPDATE sms_outbox SET status = CASE WHEN status = 'sending' THEN 'sent'"
                        " ELSE status END, sent_at = ?, last_error = NULL WHERE id = ?",
                        [now(), message_id])


def mark_retry(db: Database, message_id: int, error: str, delay_seconds: float, give_up: bool) -> None:
    with immediate(db):
        db.conn.execute("UPDATE sms_outbox SET status = ?, last_error = ?, next_attempt_at = ?"
                        " WHERE id = ? AND status = 'sending'",
                        ["gave_up" if give_up else "queued", error[:300], _later(delay_seconds),
                         message_id])


def mark_final(db: Database, message_id: int, status: str, error: str) -> None:
    with immediate(db):
        db.conn.execute("UPDATE sms_outbox SET status = ?, last_error = ? WHERE id = ?",
                        [status, error[:300], message_id])


# Kannel's delivery report types: 1 delivered to the phone, 2 failed at the phone, 4 buffered
# at the SMS centre, 8 accepted by the SMS centre, 16 rejected by the SMS centre.
DLR_DELIVERED, DLR_FAILED, DLR_BUFFERED, DLR_SMSC_ACCEPTED, DLR_SMSC_REJECTED = 1, 2, 4, 8, 16


def record_report(db: Database, message_id: int, dlr: int) -> bool:
    """Record a delivery report; False if no such message. A phone's report (1 or 2) is final;
    the SMS centre's acceptance (8) counts as delivered until the phone's own report, which
    fakesmsc and some operators never send."""
    if dlr in (DLR_DELIVERED, DLR_SMSC_ACCEPTED):
        status = "delivered"
    elif dlr in (DLR_FAILED, DLR_SMSC_REJECTED):
        status = "failed"
    else:
        status = None
    stamp = now()
    with immediate(db):
        row = db.conn.execute("SELECT dlr_status FROM sms_outbox WHERE id = ?", [message_id]).fetchone()
        if row is None:
            return False
        if row[0] in (DLR_DELIVERED, DLR_FAILED) and dlr in (DLR_SMSC_ACCEPTED, DLR_BUFFERED):
            return True  # the phone already answered; a late SMS-centre report changes nothing
        db.conn.execute(
            "UPDATE sms_outbox SET dlr_status = ?, status = COALESCE(?, status),"
            " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,"
            " last_error = CASE WHEN ? = 'failed' THEN 'delivery report: failed' ELSE last_error END"
            " WHERE id = ?", [dlr, status, status, stamp, status, message_id])
    return True


def trouble(db: Database, limit: int = 200) -> list[dict]:
    """Messages that did not go (or went and failed), newest first, for moderators."""
    cursor = db.execute(
        "SELECT o.id, s.reference, s.sensitive, o.status, o.attempts, o.last_error, o.parts, o.encoding,"
        " o.created_at, o.language FROM sms_outbox o JOIN submissions s ON s.id = o.submission_id"
        f" WHERE o.status IN ({', '.join('?' * len(TROUBLE))}) ORDER BY o.id DESC LIMIT ?",
        [*TROUBLE, limit])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def counts(db: Database) -> dict:
    return dict(db.execute("SELECT status, count(*) FROM sms_outbox GROUP BY status").fetchall())


def retry(db: Database, message_id: int, user_id: int) -> bool:
    """A moderator sends a message again: back to the queue, attempts from zero (audited)."""
    with immediate(db):
        row = db.conn.execute("SELECT submission_id, status, last_error FROM sms_outbox WHERE id = ?",
                              [message_id]).fetchone()
        if row is None or row[1] not in TROUBLE:
            return False
        db.conn.execute("UPDATE sms_outbox SET status = 'queued', attempts = 0, next_attempt_at = ?,"
                        " last_error = NULL WHERE id = ?", [now(), message_id])
        audit.record(db, user_id, "sms_retry", row[0], {"status": row[1], "error": row[2]},
               {"status": "queued"})
    return True


def outbox_for(db: Database, submission_id: int) -> list[dict]:
    cursor = db.execute("SELECT id, status, parts, encoding, attempts, last_error, created_at, sent_at,"
                        " delivered_at FROM sms_outbox WHERE submission_id = ? ORDER BY id", [submission_id])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]
