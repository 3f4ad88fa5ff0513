"""Owns one submission's page and its actions: status, coding, sensitive flag, duplicate link,
internal notes and the answer (written in the submitter's language from a template reply,
saved as a draft or published under the reference, optionally listed publicly).
Every action goes through storage/moderation.py, which writes the change and its audit entry in
one transaction. Sensitive submissions: admins only (404 for anyone else, so a moderator
cannot even learn that a reference is sensitive)."""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for

from .. import i18n, references, sensitive, site_rebuild, storage, text, validation
from ..storage import audit, moderation as sm, triage as storage_triage
from . import bp, coding, locale, security, site_updates, triage
from .views import STATUSES, render, viewer

ANSWER_MAX_CHARS = 5000
# Why a moderator flags a case (the categories of data/sensitive_keywords.yml, plus "other").
# Their words: moderation.reasons.<key>.
SENSITIVE_REASONS = ("fraud", "deduction", "sexual_exploitation_abuse", "threat", "other")
NOTE_MAX_CHARS = 3000


def load(reference: str) -> dict:
    canonical = references.normalise(reference)
    row = sm.submission(storage.get_db(), canonical, security.is_admin()) if canonical else None
    if row is None or (row["sensitive"] and not security.is_admin()):
        abort(404)
    return row


# What the page says after an action (the redirect carries only the key: the session cookie
# holds nothing but the session id and the CSRF secret); the words: moderation.messages.<key>.
MESSAGES = ("status", "coding", "sensitive_on", "sensitive_off", "duplicate", "duplicate_off",
            "duplicate_missing", "note", "answer_refused", "published", "saved", "unpublished",
            "unpublished_listed", "claimed", "released")


def back(row: dict, message: str):
    return redirect(url_for("moderation.submission", reference=row["reference"], done=message), 303)


@bp.get("/submissions/<reference>")
def submission(reference):
    row = load(reference)
    if references.normalise(reference) != reference:
        return redirect(url_for("moderation.submission", reference=row["reference"]), 301)
    return page(row)


def page(row: dict, status: int = 200, typed: dict | None = None, errors: dict | None = None):
    """The submission's page; after a refused form, with what was typed and why (status 400)."""
    db = storage.get_db()
    answer_lang = request.args.get("answer_lang") or (typed or {}).get("language")
    if answer_lang not in i18n.languages():
        answer_lang = (row["answer"] or {}).get("language") or row["language"]
    template_key = request.args.get("template")
    draft = None
    reused = triage.reply_from() if not typed else None
    if reused:  # "use this answer": the box starts from a published answer, to review first
        draft, answer_lang = reused["body"], reused["language"]
    elif template_key:
        draft = coding.fill_template(answer_lang, template_key, row["reference"])
    contact = sm.contact(db, row["id"]) if security.is_admin() else None
    if contact:  # who looked at whose personal data is part of the record
        audit.append(db, viewer()["id"], "view_personal", row["id"])
    done = request.args.get("done")
    answer = row["answer"] or {}
    message = None
    if done in MESSAGES:
        message = locale.mt(f"messages.{done.removesuffix('_listed')}")
        if done == "unpublished_listed":
            message += " " + site_updates.site_note(None, removed=True)
        elif done == "published" and answer.get("published") and answer.get("listed"):
            message += " " + site_updates.site_note(answer.get("published_at"))
    note = site_updates.site_note(answer.get("published_at")) if answer.get("published") and answer.get("listed") else None
    return render("submission.html", s=row, history=sm.history(db, row["id"]),
                  contact=contact,
                  templates=coding.answer_templates(answer_lang), answer_lang=answer_lang,
                  draft=draft, bidi=text.bidi_controls(row["message"]),
                  statuses=STATUSES, sensitive_categories=sensitive.categories(row["message"]),
                  message=message, reasons=SENSITIVE_REASONS, site_note=note,
                  around=sm.neighbours(db, row), typed=typed, errors=errors or {},
                  error=" ".join((errors or {}).values()) or None, **triage.submission_context(row)), status


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
    answer = row["answer"] or {}
    if value == "1" and answer.get("published") and answer.get("listed"):
        site_rebuild.schedule("answer withdrawn: sensitive")  # flagging withdrew it from the feed
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
    typed = request.form.get("body")
    body, error = validation.clean_text(typed, NOTE_MAX_CHARS, multiline=True)
    if error or not body:
        return page(row, 400, typed={"note": typed or ""},
                    errors={"note": locale.mt("invalid.note_empty", max=NOTE_MAX_CHARS)})
    sm.add_note(storage.get_db(), row["id"], viewer()["id"], body)
    return back(row, "note")


ANSWER_PROBLEMS = {"too_long": "too_long", "control_characters": "characters",
                   "invalid_characters": "characters", "not_text": "empty"}


@bp.post("/submissions/<reference>/answer")
def save_answer(reference):
    """Save or publish. The stored answer is what the public would see: CNIC-like and
    phone-like numbers are masked on save, and a sensitive case is never published. Anything
    refused comes back on the page with the typed text in place and the reason beside it."""
    row = load(reference)
    form = request.form
    typed = {"body": form.get("body") or "", "public_question": form.get("public_question") or "",
             "listed": form.get("listed") == "1", "language": form.get("language")}
    errors = {}
    body, error = validation.clean_text(form.get("body"), ANSWER_MAX_CHARS, multiline=True)
    if error or not body:
        errors["body"] = locale.mt(f"invalid.answer_{ANSWER_PROBLEMS.get(error, 'empty')}", max=ANSWER_MAX_CHARS)
    language = form.get("language")
    if language not in i18n.languages():
        errors["language"] = locale.mt("invalid.language")
    publish = form.get("action") == "publish"
    listed = typed["listed"] and not row["sensitive"]
    question = None
    if listed:
        limit = current_app.config["MESSAGE_MAX_CHARS"]
        # An emptied box means "the message as it is" (masked below), as the box starts out.
        question, error = validation.clean_text(form.get("public_question") or row["message"], limit,
                                                multiline=True)
        if error or not question:
            errors["public_question"] = locale.mt(
                f"invalid.question_{ANSWER_PROBLEMS.get(error, 'empty')}", max=limit)
        question = text.mask_numbers(question)
    if errors:
        return page(row, 400, typed=typed, errors=errors)
    held = storage_triage.blocker(storage.get_db(), row, viewer()["id"])
    if held:  # another moderator is on it: keep the text, say who
        return page(row, 409, typed=typed, errors={"claim": triage.held_message(held)})
    result = sm.save_answer(storage.get_db(), row["id"], viewer()["id"], text.mask_numbers(body),
                            language, question, publish, listed)
    if result == "refused":
        return back(row, "answer_refused")
    was_public = bool((row["answer"] or {}).get("published") and (row["answer"] or {}).get("listed"))
    if (result == "published" and listed) or was_public:
        site_rebuild.schedule("answer published" if result == "published" else "answer withdrawn")
    return back(row, "published" if result == "published" else "saved")


@bp.post("/submissions/<reference>/unpublish")
def unpublish(reference):
    row = load(reference)
    if sm.unpublish_answer(storage.get_db(), row["id"], viewer()["id"]) and (row["answer"] or {}).get("listed"):
        site_rebuild.schedule("answer unpublished")
        return back(row, "unpublished_listed")
    return back(row, "unpublished")
