"""Owns one submission's page and its actions: status, coding, sensitive flag, duplicate link,
internal notes and the answer (written in the submitter's language from a template reply,
saved as a draft or published under the reference, optionally listed publicly).
Every action goes through storage/moderation.py, which writes the change and its audit entry in
one transaction. Sensitive submissions: admins only (404 for anyone else, so a moderator
cannot even learn that a reference is sensitive)."""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for

from .. import i18n, references, sensitive, storage, validation
from ..storage import audit, moderation as sm
from . import bp, coding, security, text
from .views import STATUSES, render, viewer

ANSWER_MAX_CHARS = 5000
# Why a moderator flags a case (the categories of data/sensitive_keywords.yml, plus "other").
SENSITIVE_REASONS = {"fraud": "Fraud or a bribe", "deduction": "Money deducted from a payment",
                     "sexual_exploitation_abuse": "Sexual exploitation or abuse",
                     "threat": "Threats or violence",
                     "other": "Another safeguarding concern"}
NOTE_MAX_CHARS = 3000


def load(reference: str) -> dict:
    canonical = references.normalise(reference)
    row = sm.submission(storage.get_db(), canonical, security.is_admin()) if canonical else None
    if row is None or (row["sensitive"] and not security.is_admin()):
        abort(404)
    return row


# What the page says after an action (the redirect carries only the key: the session cookie
# holds nothing but the session id and the CSRF secret).
MESSAGES = {
    "status": "Status saved.", "coding": "Coding saved.", "sensitive_on": "Marked sensitive.",
    "sensitive_off": "No longer sensitive.", "duplicate": "Marked as a duplicate.",
    "duplicate_off": "No longer marked as a duplicate.",
    "duplicate_missing": "Not linked: that reference was not found (or is this submission).",
    "note": "Note added.", "note_invalid": "The note was empty or too long; nothing was saved.",
    "answer_invalid": "The answer was empty or too long; nothing was saved.",
    "answer_refused": "Not published: sensitive cases are never published. Nothing was saved.",
    "published": "Answer published: the submitter sees it under their reference.",
    "saved": "Answer saved as a draft (not public).", "unpublished": "Answer unpublished.",
}


def back(row: dict, message: str):
    return redirect(url_for("moderation.submission", reference=row["reference"], done=message), 303)


@bp.get("/submissions/<reference>")
def submission(reference):
    row = load(reference)
    db = storage.get_db()
    if references.normalise(reference) != reference:
        return redirect(url_for("moderation.submission", reference=row["reference"]), 301)
    answer_lang = request.args.get("answer_lang")
    if answer_lang not in i18n.languages():
        answer_lang = (row["answer"] or {}).get("language") or row["language"]
    template_key = request.args.get("template")
    draft = None
    if template_key:
        draft = coding.fill_template(answer_lang, template_key, row["reference"])
    contact = sm.contact(db, row["id"]) if security.is_admin() else None
    if contact:  # who looked at whose personal data is part of the record
        audit.append(db, viewer()["id"], "view_personal", row["id"])
    return render("submission.html", s=row, history=sm.history(db, row["id"]),
                  contact=contact,
                  templates=coding.answer_templates(answer_lang), answer_lang=answer_lang,
                  draft=draft, bidi=text.bidi_controls(row["message"]),
                  statuses=STATUSES, sensitive_categories=sensitive.categories(row["message"]),
                  message=MESSAGES.get(request.args.get("done")), reasons=SENSITIVE_REASONS,
                  around=sm.neighbours(db, row))


@bp.post("/submissions/<reference>/status")
def set_status(reference):
    row = load(reference)
    status = request.form.get("status")
    if status not in STATUSES:
        abort(400)
    sm.change(storage.get_db(), row["id"], viewer()["id"], "status", {"status": status},
              allow_sensitive=security.is_admin())
    return back(row, "status")


@bp.post("/submissions/<reference>/coding")
def set_coding(reference):
    row = load(reference)
    kind = request.form.get("kind")
    code = request.form.get("topic_code") or None
    if kind not in validation.KINDS or (code is not None and code not in coding.topic_codes()):
        abort(400)
    sm.change(storage.get_db(), row["id"], viewer()["id"], "coding", {"kind": kind, "topic_code": code},
              allow_sensitive=security.is_admin())
    return back(row, "coding")


@bp.post("/submissions/<reference>/sensitive")
def set_sensitive(reference):
    """Anyone may flag (the case then leaves their queue); only an admin may clear the flag."""
    row = load(reference)
    value = request.form.get("sensitive")
    if value not in ("0", "1") or (value == "0" and not security.is_admin()):
        abort(403 if value == "0" else 400)
    reason = request.form.get("reason") if value == "1" else None
    if value == "1" and reason not in SENSITIVE_REASONS:
        abort(400)
    sm.change(storage.get_db(), row["id"], viewer()["id"], "sensitive", {"sensitive": int(value)},
              allow_sensitive=security.is_admin(), detail=reason)
    if value == "1" and not security.is_admin():
        return redirect(url_for("moderation.queue", done_sensitive=row["reference"]), 303)
    return back(row, "sensitive_on" if value == "1" else "sensitive_off")


@bp.post("/submissions/<reference>/duplicate")
def set_duplicate(reference):
    row = load(reference)
    typed = (request.form.get("duplicate_of") or "").strip()
    db = storage.get_db()
    if not typed:
        sm.change(db, row["id"], viewer()["id"], "duplicate", {"duplicate_of": None},
                  allow_sensitive=security.is_admin())
        return back(row, "duplicate_off")
    other_ref = references.normalise(typed)
    other = sm.submission(db, other_ref, security.is_admin()) if other_ref else None
    if other is None or other["id"] == row["id"] or (other["sensitive"] and not security.is_admin()):
        return back(row, "duplicate_missing")
    if other["duplicate_of"] and not other["duplicate_of_reference"]:
        return back(row, "duplicate_missing")  # its original is one this viewer may not see
    if other["duplicate_of"]:  # link to the original, never to a chain
        other = {"id": other["duplicate_of"], "reference": other["duplicate_of_reference"]}
    sm.change(db, row["id"], viewer()["id"], "duplicate", {"duplicate_of": other["id"]},
              allow_sensitive=security.is_admin())
    return back(row, "duplicate")


@bp.post("/submissions/<reference>/notes")
def add_note(reference):
    row = load(reference)
    body, error = validation.clean_text(request.form.get("body"), NOTE_MAX_CHARS, multiline=True)
    if error or not body:
        return back(row, "note_invalid")
    sm.add_note(storage.get_db(), row["id"], viewer()["id"], body)
    return back(row, "note")


@bp.post("/submissions/<reference>/answer")
def save_answer(reference):
    """Save or publish. The stored answer is what the public would see: CNIC-like and
    phone-like numbers are masked on save, and a sensitive case is never published."""
    row = load(reference)
    body, error = validation.clean_text(request.form.get("body"), ANSWER_MAX_CHARS, multiline=True)
    language = request.form.get("language")
    if language not in i18n.languages():
        abort(400)
    if error or not body:
        return back(row, "answer_invalid")
    publish = request.form.get("action") == "publish"
    listed = request.form.get("listed") == "1"
    question = None
    if listed:
        question, error = validation.clean_text(request.form.get("public_question") or row["message"],
                                                current_app.config["MESSAGE_MAX_CHARS"], multiline=True)
        question = text.mask_numbers(question)
    result = sm.save_answer(storage.get_db(), row["id"], viewer()["id"], text.mask_numbers(body),
                            language, question, publish, listed)
    if result == "refused":
        return back(row, "answer_refused")
    return back(row, "published" if result == "published" else "saved")


@bp.post("/submissions/<reference>/unpublish")
def unpublish(reference):
    row = load(reference)
    sm.unpublish_answer(storage.get_db(), row["id"], viewer()["id"])
    return back(row, "unpublished")
