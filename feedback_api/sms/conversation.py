"""Owns what the service answers to one text from one number: STOP/START, a language's name,
HELP, a component's keyword, a reference, a short unknown text (the menu), or a question or
complaint (stored as a submission, answered with its reference).

The reply's language: a language's name chooses it; a word of one language answers in that
language; a word several languages share answers in the language the number last used, else
Urdu; a message answers in the language it is written in. A number that sent STOP gets no
reply at all (its questions are still stored) until it sends START.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from .. import folding, references, resubmits, sensitive, storage, validation
from ..storage.db import grouped
from . import keywords, phone, replies, store

DEFAULT_LANGUAGE = "ur"
_LOOKS_LIKE_REFERENCE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[0-9A-Z]{11}$")
_COMPLAINT_WORDS = {"complaint", "complain", "shikayat", "shikayet", "شکایت", "شڪايت", "شکایت", "شکایات"}


@dataclass
class Reply:
    text: str          # "" sends nothing
    outcome: str       # for the X-SMS-Outcome header and logs
    reference: str | None = None


def _reference_like(text: str) -> bool:
    compact = re.sub(r"[\s\-_.]", "", folding.light(text)).upper()
    return bool(_LOOKS_LIKE_REFERENCE.match(compact))


def respond(number: str, text: str, limits: tuple | None = None) -> Reply:
    """The reply to `text` from `number` (canonical), after storing what must be stored.

    With `limits` ((amount, seconds) pairs) the text is counted against its number's limits
    in the transaction that stores what it changes (store.count_text), or in one of its own;
    a number over a limit raises store.OverLimit and nothing is stored or answered."""
    cfg = current_app.config
    db = storage.get_db()
    number_hash = phone.number_hash(cfg["SECRET_KEY"], number)
    state = store.number_state(db, number_hash)
    last = state["language"]
    keyword = keywords.match(text)

    def counted(also=None):
        """One write's work: this text counted against its number's limits (when they are
        on), then `also(db)`."""
        def work(db) -> None:
            if limits:
                store.count_text(db, number_hash, limits)
            if also:
                also(db)
        return work

    def count(also=None) -> None:
        """counted(also) in a write of its own, which may share its commit with other texts'
        (storage.db.grouped); no write when there is nothing to do."""
        if limits or also:
            grouped(db, counted(also))

    def language_of(kw) -> str:
        if len(kw.languages) == 1:
            return next(iter(kw.languages))
        return last or DEFAULT_LANGUAGE

    if keyword and keyword.kind == "stop":
        lang = language_of(keyword)
        count(lambda db: store.set_number_in(db, number_hash, lang, stopped=True))
        # One last reply confirms it; a repeated STOP gets none.
        return Reply("" if state["stopped"] else replies.stopped(lang), "stop")
    if keyword and keyword.kind == "start":
        lang = language_of(keyword)
        count(lambda db: store.set_number_in(db, number_hash, lang, stopped=False))
        return Reply(replies.started(lang), "start")

    reference = references.normalise(text)
    if keyword is None and reference is None:
        if _reference_like(text):
            count()
            lang = last or DEFAULT_LANGUAGE
            return _quiet(state, Reply(replies.not_found(lang, " ".join(text.split())[:20]), "invalid_reference"))
        if len(keywords.words(text)) > 2:
            return _quiet(state, _submission(db, number, number_hash, text, last, count, counted))
        count()   # one or two words that mean nothing to us
        lang = last or keywords.detect_language(text, DEFAULT_LANGUAGE)
        return _quiet(state, Reply(replies.menu(lang), "menu"))
    if keyword is not None:
        lang = keyword.value if keyword.kind == "language" else language_of(keyword)
        # The language is remembered in the write that counts the text.
        count((lambda db: store.set_number_in(db, number_hash, lang)) if lang != last else None)
        if keyword.kind == "language":
            return _quiet(state, Reply(replies.language_set(lang), "language"))
        if keyword.kind == "help":
            return _quiet(state, Reply(replies.menu(lang), "help"))
        return _quiet(state, Reply(replies.component(lang, keyword.value), "component"))
    count()
    public = storage.public_status(db, reference)
    lang = last or (public or {}).get("language") or DEFAULT_LANGUAGE
    if public is None:
        return _quiet(state, Reply(replies.not_found(lang, reference), "not_found"))
    return _quiet(state, Reply(replies.status(lang, public), "status", reference))


def _quiet(state: dict, reply: Reply) -> Reply:
    """A stopped number: nothing is sent (what had to be stored is stored)."""
    if state["stopped"]:
        return Reply("", reply.outcome + ":stopped", reply.reference)
    return reply


def _submission(db, number: str, number_hash: str, text: str, last: str | None, count, counted) -> Reply:
    cfg = current_app.config
    lang = keywords.detect_language(text, last or DEFAULT_LANGUAGE)
    words = set(keywords.words(text))
    data = {"message": text, "language": lang,
            "kind": "complaint" if words & _COMPLAINT_WORDS else "question",
            "component": keywords.mentioned_component(text) or "general"}
    clean, errors = validation.submission(data, cfg, lang)
    if errors:
        count()
        return Reply(replies.problem(lang, errors.get("message", "")), "refused:" + ",".join(
            f"{k}={v}" for k, v in sorted(errors.items())))
    row = {key: clean[key] for key in ("kind", "component", "language", "message")}
    message_hash = validation.message_hash(clean["message"])
    row.update(channel="sms", sensitive=sensitive.is_sensitive(clean["message"]),
               message_hash=message_hash, client_hash=number_hash,
               # One number is one person: the same text from it again is a resend (resubmits.py).
               resubmit_hash=resubmits.resubmit_hash({**clean, "contact": number}, message_hash, number_hash))
    # Texting in is asking for an answer by text: the number is the contact, with consent.
    contact = {"name": None, "contact": number, "consent_to_contact": True}
    # Counted, and the language remembered, in the submission's own transaction: one commit.
    also = counted((lambda db: store.set_number_in(db, number_hash, lang)) if lang != last else None)
    reference, created = storage.insert_submission(
        db, row, contact, storage.ago(cfg["DUPLICATE_WINDOW_SECONDS"]), references.new_reference, also)
    return Reply(replies.received(lang, reference), "submission" if created else "duplicate", reference)
