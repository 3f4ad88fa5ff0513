"""Owns signing in and out. Failed sign-ins are rate limited twice: per client address and per
user name (flask-limiter counts only failures: a 401 answer), so neither one address trying
many names nor many addresses trying one name gets far; each attempt costs a scrypt check."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, g, redirect, request, url_for

from .. import storage
from ..storage import moderation as sm
from ..limits import client_hash, limiter
from . import bp, locale, security
from .views import render


def _user_key() -> str:
    """Failed sign-ins per user name (keyed hash: the limiter store never sees the name)."""
    name = (request.form.get("username") or "").strip().casefold()[:100]
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return "user:" + hmac.new(key, name.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


def _failed(response) -> bool:
    return response.status_code == 401


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LIMIT_SIGN_IN_ADDRESS"], key_func=client_hash,
               methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LIMIT_SIGN_IN_USER"], key_func=_user_key,
               methods=["POST"], deduct_when=_failed)
def sign_in():
    target = security.safe_next(request.values.get("next"), url_for("moderation.queue"))
    if request.method == "GET":
        if g.user:
            return redirect(target)
        notice = locale.mt("sign_in.expired") if request.args.get("expired") else None
        return render("sign_in.html", next=target, notice=notice, username="")
    username = (request.form.get("username") or "").strip()[:100]
    password = request.form.get("password") or ""
    user = security.check_credentials(username, password[:200])
    if user is None:
        return render("sign_in.html", next=target, username=username,
                      error=locale.mt("sign_in.failed")), 401
    security.start_session(user)
    chosen = request.form.get("lang")
    if chosen in locale.ui_languages() and chosen != user.get("language"):
        # Chosen on the sign-in page: from now on the pages speak it, on any device.
        sm.set_user_language(storage.get_db(), user["id"], chosen)
    return redirect(target, 303)


@bp.post("/sign-out")
def sign_out():
    security.end_session()
    return redirect(url_for("moderation.sign_in"), 303)
