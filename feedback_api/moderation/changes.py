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

from .. import i18n, references, site_rebuild, storage, text, validation
from ..storage import feed as storage_feed
from . import bp, locale, security, site_updates
from .views import render, valid_date, viewer

TEXT_MAX_CHARS = 1000
PLACE_MAX_CHARS = 200
MESSAGES = ("created", "saved", "published", "unpublished")  # moderation.changes.<key>


def message(done: str | None, published: bool) -> str | None:
    """What the page says after an action, with when the site shows the change."""
    if done not in MESSAGES:
        return None
    words = locale.mt(f"changes.{done}")
    if done == "unpublished" or (published and done in ("published", "saved", "created")):
        words += " " + site_updates.site_note(None, removed=done == "unpublished")
    return words


def parse_form(form) -> tuple[dict, dict, list[str], dict]:
    """(fields, texts per language, references, errors) from the change form."""
    errors: dict[str, str] = {}
    component = form.get("component")
    if component not in (*i18n.components(), "general"):
        errors["component"] = locale.mt("changes.errors.component")
    district, problem = validation.clean_text(form.get("district"), 100)
    if problem:
        errors["district"] = locale.mt("changes.errors.district", max=100)
    happened_on = None
    if form.get("happened_on"):
        happened_on = valid_date(form.get("happened_on"))
        if happened_on is None or dt.date.fromisoformat(happened_on) > dt.date.today():
            errors["happened_on"] = locale.mt("changes.errors.happened_on")
    texts = {}
    for lang in i18n.languages():
        said, e1 = validation.clean_text(form.get(f"said_{lang}"), TEXT_MAX_CHARS, multiline=True)
        done, e2 = validation.clean_text(form.get(f"done_{lang}"), TEXT_MAX_CHARS, multiline=True)
        place, e3 = validation.clean_text(form.get(f"place_{lang}"), PLACE_MAX_CHARS)
        if e1 or e2 or e3:
            errors[f"said_{lang}"] = locale.mt("changes.errors.text", language=i18n.t(lang, "meta.name"),
                                               max=TEXT_MAX_CHARS)
        elif bool(said) != bool(done):
            errors[f"said_{lang}"] = locale.mt("changes.errors.both", language=i18n.t(lang, "meta.name"))
        elif said:
            texts[lang] = {"said": text.mask_numbers(said), "done": text.mask_numbers(done),
                           "place": text.mask_numbers(place)}
    if not texts and not any(k.startswith("said_") for k in errors):
        errors["said_en"] = locale.mt("changes.errors.none")
    typed = [t for t in re.split(r"[\s,;]+", form.get("references") or "") if t][:200]
    refs = []
    for item in typed:
        canonical = references.normalise(item)
        if canonical is None:
            errors["references"] = locale.mt("changes.errors.reference", typed=item[:20])
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
        errors["references"] = locale.mt("changes.errors.missing", references=", ".join(missing[:10]))
    if errors:
        return render("change_form.html", change_id=change_id, values=request.form, errors=errors), 400
    was_published = bool(change_id and (storage_feed.change(db, change_id) or {}).get("published"))
    saved = storage_feed.save_change(db, viewer()["id"], change_id, fields, texts,
                                     [sid for sid in ids.values() if sid])
    if fields["published"] or was_published:
        site_rebuild.schedule("you said, we did: saved")
    return redirect(url_for("moderation.edit_change", change_id=saved,
                            done="created" if change_id is None else "saved"), 303)


@bp.get("/changes")
@security.admin_required
def changes():
    return render("changes.html", changes=storage_feed.changes_list(storage.get_db()),
                  message=message(request.args.get("done"), False))


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
                  change=change, message=message(request.args.get("done"), bool(change["published"])))


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
    site_rebuild.schedule("you said, we did: " + ("published" if value == "1" else "unpublished"))
    return redirect(url_for("moderation.edit_change", change_id=change_id,
                            done="published" if value == "1" else "unpublished"), 303)
