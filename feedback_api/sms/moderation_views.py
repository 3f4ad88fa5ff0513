"""Owns what moderators see of the SMS channel: the outbox messages that did not go (with a
button to send again), and on a submission's page, before publishing, how the answer would
go by SMS (to whom, in how many parts and which encoding) and what happened to earlier ones."""
from __future__ import annotations

from flask import abort, redirect, url_for

from .. import storage
from ..moderation import bp, security
from ..moderation.views import render, viewer
from . import parts, replies, store


@bp.get("/sms")
def sms_outbox():
    db = storage.get_db()
    rows = [r for r in store.trouble(db) if security.is_admin() or not r["sensitive"]]
    return render("sms_outbox.html", rows=rows, counts=store.counts(db))


@bp.post("/sms/<int:message_id>/retry")
def sms_retry(message_id: int):
    if not store.retry(storage.get_db(), message_id, viewer()["id"]):
        abort(404)
    return redirect(url_for("moderation.sms_outbox", done="retry"), 303)


def answer_preview(s: dict, body: str | None, lang: str) -> dict:
    """For the answer form: whether publishing texts the answer, and that SMS's length."""
    from . import why_no_sms

    db = storage.get_db()
    why = why_no_sms(store.sms_target(db, s["id"]))
    info = {"sends": why is None, "why": why, "history": store.outbox_for(db, s["id"])}
    if why is None:
        message = replies.answer_message(lang, s["reference"], body or "")
        info.update(message=message, **parts.count(message))
    return info
