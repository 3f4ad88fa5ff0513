"""Owns the words of every text message the service sends, each cut to its number of parts:
a component's summary with the helpline (2 parts), the menu (2), a reference's receipt (2),
a status with its answer (3), an answer sent to a phone (3), STOP/START/language replies.

Summaries are the pages' own `summary` (front matter of docs/<lang>/programme/<slug>.md: the
page as one SMS); the helpline is data/facts.yml `helpline_phone`, and while it is not
confirmed the message says so rather than guess. Strings: data/strings/<lang>.yml `sms`.
"""
from __future__ import annotations

import functools

import yaml
from flask import current_app

from .. import i18n
from . import parts

SUMMARY_PARTS, MENU_PARTS, RECEIPT_PARTS, STATUS_PARTS, ANSWER_PARTS = 2, 2, 2, 3, 3


@functools.cache
def summary(lang: str, slug: str) -> str:
    """The page's one-SMS summary in `lang` (English if the page has no translation)."""
    for code in (lang, i18n.DEFAULT_LANGUAGE):
        path = i18n.data_dir().parent / "docs" / code / "programme" / f"{slug}.md"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if text.startswith("---"):
                meta = yaml.safe_load(text.split("---", 2)[1]) or {}
                if meta.get("summary"):
                    return " ".join(str(meta["summary"]).split())
    return i18n.t(lang, f"components.{slug}")


def helpline(lang: str) -> str:
    phone = (i18n.facts().get("helpline_phone") or {}).get("value")
    return i18n.t(lang, "sms.helpline", phone=phone) if phone else i18n.t(lang, "sms.helpline_unconfirmed")


def _list_separator(lang: str) -> str:
    return ", " if i18n.text_direction(lang) == "ltr" else "، "


def component(lang: str, slug: str) -> str:
    return parts.fit(summary(lang, slug), SUMMARY_PARTS, " " + helpline(lang))


def menu(lang: str, before: str = "") -> str:
    names = _list_separator(lang).join(i18n.t(lang, f"components.{slug}") for slug in i18n.components())
    return parts.fit(before + i18n.t(lang, "sms.menu", keywords=names), MENU_PARTS)


def language_set(lang: str) -> str:
    return menu(lang, i18n.t(lang, "sms.language_set") + " ")


def stopped(lang: str) -> str:
    return i18n.t(lang, "sms.stopped")


def started(lang: str) -> str:
    return i18n.t(lang, "sms.started")


def received(lang: str, reference: str) -> str:
    """The receipt of a question: that it came, its reference, the helpline; nothing else
    (the same for a sensitive case, which never gets content by SMS)."""
    return parts.fit(i18n.t(lang, "sms.received", reference=reference), RECEIPT_PARTS,
                     " " + helpline(lang))


def problem(lang: str, code: str) -> str:
    return i18n.t(lang, "sms.too_long" if code == "too_long" else "sms.cannot_read")


def not_found(lang: str, reference: str) -> str:
    return i18n.t(lang, "sms.not_found", reference=reference)


def _read_rest(lang: str, reference: str) -> str:
    template = current_app.config.get("SMS_STATUS_URL")
    if template:
        return i18n.t(lang, "sms.read_rest", url=template.format(reference=reference))
    return i18n.t(lang, "sms.read_rest_site")


def status(lang: str, public: dict) -> str:
    """A reference's status, and its published answer cut to fit with where to read it all."""
    head = i18n.t(lang, "sms.status", reference=public["reference"],
                  state=i18n.t(lang, f"status.states.{public['status']}"))
    if not public.get("answer"):
        return parts.fit(head, STATUS_PARTS)
    text = head + " " + i18n.t(lang, "sms.answer", answer=" ".join(public["answer"]["body"].split()))
    if parts.parts(text) <= STATUS_PARTS:
        return text
    return parts.fit(text, STATUS_PARTS, _read_rest(lang, public["reference"]))


def answer_message(lang: str, reference: str, body: str) -> str:
    """What the outbox sends when a moderator publishes an answer."""
    text = i18n.t(lang, "sms.answer_message", reference=reference, answer=" ".join(body.split()))
    if parts.parts(text) <= ANSWER_PARTS:
        return text
    return parts.fit(text, ANSWER_PARTS, _read_rest(lang, reference))
