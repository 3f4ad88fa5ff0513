"""Owns what moderators see of the SMS channel: the outbox messages that did not go (with a
button to send again), and on a submission's page, before publishing, how the answer would
go by SMS (to whom, in how many parts and which encoding) and what happened to earlier ones.
Every word in the moderator's language (moderation/locale.py: English or Urdu)."""
from __future__ import annotations

import re

from flask import abort, redirect, url_for
from markupsafe import Markup

from .. import storage
from ..moderation import bp, security
from ..moderation.locale import mt
from ..moderation.views import render, viewer
from . import parts, replies, store

# What the sender and the delivery route store as a message's last error (English, for logs
# and support), shown to moderators in their language; a key with a `detail` takes the rest.
_ERRORS = (
    (re.compile(r"Kannel not reachable$"), "unreachable"),
    (re.compile(r"Kannel answered (?P<status>\d+): ?(?P<detail>.*)$", re.S), "kannel_answered"),
    (re.compile(r"no answer from Kannel in time"), "timeout"),
    (re.compile(r"connection lost after sending: (?P<detail>.*)$", re.S), "connection_lost"),
    (re.compile(r"interrupted: may have been sent$"), "interrupted"),
    (re.compile(r"the number sent STOP$"), "stopped"),
    (re.compile(r"no contact number"), "no_contact"),
    (re.compile(r"delivery report: failed$"), "delivery_failed"),
)


def error_text(error: str | None) -> Markup | str:
    """A stored last error in the moderator's language; one we do not know (Kannel's own
    words) is shown as it is."""
    if not error:
        return ""
    for pattern, key in _ERRORS:
        found = pattern.match(error)
        if found:
            return mt(f"sms_error.{key}", **found.groupdict())
    return error


@bp.get("/sms")
def sms_outbox():
    db = storage.get_db()
    rows = [r for r in store.trouble(db) if security.is_admin() or not r["sensitive"]]
    counts = mt("sms_outbox.separator").join(
        mt("sms_outbox.count", status=mt(f"sms_status.{status}"), n=n)
        for status, n in sorted(store.counts(db).items()))
    return render("sms_outbox.html", rows=rows, counts=counts)


@bp.post("/sms/<int:message_id>/retry")
def sms_retry(message_id: int):
    if not store.retry(storage.get_db(), message_id, viewer()["id"]):
        abort(404)
    return redirect(url_for("moderation.sms_outbox", done="retry"), 303)


def answer_preview(s: dict, body: str | None, lang: str) -> dict:
    """For the answer form: whether publishing texts the answer (else `why` not: a key of
    moderation.sms_why), and that SMS's length."""
    from . import why_no_sms

    db = storage.get_db()
    why = why_no_sms(store.sms_target(db, s["id"]))
    info = {"sends": why is None, "why": why, "history": store.outbox_for(db, s["id"])}
    if why is None:
        message = replies.answer_message(lang, s["reference"], body or "")
        info.update(message=message, **parts.count(message))
    return info
