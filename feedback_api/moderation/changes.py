"""Owns "you said, we did" in moderation: admins record a change made because of feedback (what
people said, what was done, where, when, which submissions it answers), in each language, and
publish it to the public feed (feedback_api/feed.py), from where the site shows it.

Admin-only: a published change speaks for the programme. Text is masked on save like answers
(CNIC-like and phone-like numbers) and again by the feed. A change may not point at a sensitive
submission: the link would tie a public statement to the restricted queue.
"""
from __future__ import annotations

import datetime as dt
import re

from flask import abort, redirect, request, url_for

from .. import i18n, references, storage, validation
from ..storage import feed as storage_feed
from . import bp, security, text
from .views import render, valid_date, viewer

TEXT_MAX_CHARS = 1000
PLACE_MAX_CHARS = 200
MESSAGES = {"created": "Saved. Not public until you publish it.", "saved": "Saved.",
            "published": "Published: the site shows it after its next build (daily, or on demand).",
            "unpublished": "Unpublished: the site drops it at its next build."}


def parse_form(form) -> tuple[dict, dict, list[str], dict]:
    """(fields, texts per language, references, errors) from the change form."""
    errors: dict[str, str] = {}
    component = form.get("component")
    if component not in (*i18n.components(), "general"):
        errors["component"] = "Choose the programme part it is about."
    district, problem = validation.clean_text(form.get("district"), 100)
    if problem:
        errors["district"] = "The district is one line of at most 100 characters."
    happened_on = None
    if form.get("happened_on"):
        happened_on = valid_date(form.get("happened_on"))
        if happened_on is None or dt.date.fromisoformat(happened_on) > dt.date.today():
            errors["happened_on"] = "Enter the date it was done (YYYY-MM-DD), not in the future."
    texts = {}
    for lang in i18n.languages():
        said, e1 = validation.clean_text(form.get(f"said_{lang}"), TEXT_MAX_CHARS, multiline=True)
        done, e2 = validation.clean_text(form.get(f"done_{lang}"), TEXT_MAX_CHARS, multiline=True)
        place, e3 = validation.clean_text(form.get(f"place_{lang}"), PLACE_MAX_CHARS)
        if e1 or e2 or e3:
            errors[f"said_{lang}"] = (f"{i18n.t(lang, 'meta.name')}: at most {TEXT_MAX_CHARS} characters "
                                      "each, without invisible control characters.")
        elif bool(said) != bool(done):
            errors[f"said_{lang}"] = (f"{i18n.t(lang, 'meta.name')}: write both what people said and "
                                      "what was done, or leave both empty.")
        elif said:
            texts[lang] = {"said": text.mask_numbers(said), "done": text.mask_numbers(done),
                           "place": text.mask_numbers(place)}
    if not texts and not any(k.startswith("said_") for k in errors):
        errors["said_en"] = "Write what people said and what was done in at least one language."
    typed = [t for t in re.split(r"[\s,;]+", form.get("references") or "") if t][:200]
    refs = []
    for item in typed:
        canonical = references.normalise(item)
        if canonical is None:
            errors["references"] = f"{item[:20]!r} is not a reference."
            break
        refs.append(canonical)
    fields = {"component": component, "district": text.mask_numbers(district),
              "happened_on": happened_on, "published": form.get("published") == "1"}
    return fields, texts, refs, errors


def form_values(change: dict | None) -> dict:
    if change is None:
        return {"component": "general", "published": False}
    values = {k: change.get(k) or "" for k in ("component", "district", "happened_on")}
    values["published"] = bool(change["published"])
    values["references"] = " ".join(change.get("references", []))
    for lang, item in change["texts"].items():
        for key in ("said", "done", "place"):
            values[f"{key}_{lang}"] = item.get(key) or ""
    return values


def _save(change_id: int | None):
    fields, texts, refs, errors = parse_form(request.form)
    db = storage.get_db()
    ids = storage_feed.submission_ids(db, refs)
    missing = [ref for ref, sid in ids.items() if sid is None]
    if missing and "references" not in errors:
        errors["references"] = ("Not found, or in the sensitive queue (a public change cannot point "
                                f"there): {', '.join(missing[:10])}.")
    if errors:
        return render("change_form.html", change_id=change_id, values=request.form, errors=errors), 400
    saved = storage_feed.save_change(db, viewer()["id"], change_id, fields, texts,
                                     [sid for sid in ids.values() if sid])
    return redirect(url_for("moderation.edit_change", change_id=saved,
                            done="created" if change_id is None else "saved"), 303)


@bp.get("/changes")
@security.admin_required
def changes():
    return render("changes.html", changes=storage_feed.changes_list(storage.get_db()),
                  message=MESSAGES.get(request.args.get("done")))


@bp.route("/changes/new", methods=["GET", "POST"])
@security.admin_required
def new_change():
    if request.method == "POST":
        return _save(None)
    return render("change_form.html", change_id=None, values=form_values(None), errors={})


@bp.route("/changes/<int:change_id>", methods=["GET", "POST"])
@security.admin_required
def edit_change(change_id):
    change = storage_feed.change(storage.get_db(), change_id)
    if change is None:
        abort(404)
    if request.method == "POST":
        return _save(change_id)
    return render("change_form.html", change_id=change_id, values=form_values(change), errors={},
                  change=change, message=MESSAGES.get(request.args.get("done")))


@bp.post("/changes/<int:change_id>/publish")
@security.admin_required
def publish_change(change_id):
    value = request.form.get("published")
    if value not in ("0", "1"):
        abort(400)
    db = storage.get_db()
    if storage_feed.change(db, change_id) is None:
        abort(404)
    storage_feed.set_change_published(db, viewer()["id"], change_id, value == "1")
    return redirect(url_for("moderation.edit_change", change_id=change_id,
                            done="published" if value == "1" else "unpublished"), 303)
