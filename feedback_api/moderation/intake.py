"""Owns recording feedback gathered offline (town hall, feedback session, helpline call, SMS,
field visit): the same validation as the public form (validation.submission), the same
sensitivity check and the same storage call, plus the channel, the district and the date it
was gathered. Staff record it; the audit log says who."""
from __future__ import annotations

import datetime as dt

from flask import current_app, redirect, request, url_for

from .. import i18n, references, sensitive, storage, validation
from ..storage import audit, moderation as sm
from . import bp, locale
from .views import OFFLINE_CHANNELS, render, valid_date, viewer

FIELDS = ("channel", "gathered_on", "district", "kind", "component", "language", "message",
          "name", "contact", "consent_to_contact")


def check_offline(data: dict) -> tuple[dict, dict]:
    """(clean fields, errors) for an offline record: validation.submission's rules plus
    channel, date and district, which offline records must have."""
    clean, errors = validation.submission(data, current_app.config, i18n.DEFAULT_LANGUAGE)
    channel = data.get("channel")
    if channel not in OFFLINE_CHANNELS:
        errors["channel"] = "required" if not channel else "unknown_choice"
    clean["channel"] = channel
    day = valid_date(data.get("gathered_on"))
    if day is None:
        errors["gathered_on"] = "required" if not data.get("gathered_on") else "invalid_date"
    elif not dt.date(2000, 1, 1) <= dt.date.fromisoformat(day) <= dt.date.today():
        errors["gathered_on"] = "invalid_date"
    clean["gathered_on"] = day
    if not clean.get("district") and "district" not in errors:
        errors["district"] = "required"
    return clean, errors


def error_text(code: str) -> str:
    """An error in the reader's language: the public form's words, plus the date's own."""
    if code == "invalid_date":
        return locale.mt("intake.invalid_date")
    return i18n.t(locale.current(), f"errors.{code}")


@bp.route("/intake", methods=["GET", "POST"])
def intake():
    if request.method == "GET":
        values = {"gathered_on": dt.date.today().isoformat(), "language": "ur"}
        return render("intake.html", values=values, errors={}, error_text=error_text)
    data = {k: request.form.get(k) for k in FIELDS if request.form.get(k) is not None}
    clean, errors = check_offline(data)
    if errors:
        return render("intake.html", values=data, errors=errors, error_text=error_text), 400
    row = {key: clean[key] for key in ("kind", "component", "language", "message", "district",
                                       "channel", "gathered_on")}
    row["sensitive"] = sensitive.is_sensitive(clean["message"])
    row["message_hash"] = validation.message_hash(clean["message"])
    contact = None
    if clean["name"] or clean["contact"] or clean["consent_to_contact"]:
        contact = {"name": clean["name"], "contact": clean["contact"],
                   "consent_to_contact": clean["consent_to_contact"]}
    db = storage.get_db()
    # No client hash: staff typing several people's words must never be merged as duplicates.
    reference, _created = storage.insert_submission(db, row, contact, storage.now(),
                                                    references.new_reference)
    audit.append(db, viewer()["id"], "record_offline", sm.submission_id(db, reference), None,
             {"channel": row["channel"], "gathered_on": row["gathered_on"], "district": row["district"]})
    return redirect(url_for("moderation.intake_done", reference=reference), 303)


@bp.get("/intake/done/<reference>")
def intake_done(reference):
    canonical = references.normalise(reference)
    if canonical is None:
        return redirect(url_for("moderation.intake"))
    return render("intake_done.html", reference=canonical)
