"""Owns a member of staff's own settings: the language moderation pages are shown in (stored
with the user, so it follows them to any phone or computer; English or Urdu today)."""
from __future__ import annotations

from flask import redirect, request, url_for

from .. import storage
from ..storage import moderation as sm
from . import bp, locale, security
from .views import viewer


@bp.post("/language")
def set_language():
    language = request.form.get("language")
    target = security.safe_next(request.form.get("next"), url_for("moderation.queue"))
    if language in locale.ui_languages():
        sm.set_user_language(storage.get_db(), viewer()["id"], language)
    return redirect(target, 303)
