"""Owns signing in and out. Failed sign-ins are limited per address, per address and name, and
slowed (never locked) per name from anywhere: moderation/signin_limits.py says how, and why
strangers cannot lock an owner out. Each attempt costs a scrypt check."""
from __future__ import annotations

from flask import g, make_response, redirect, request, url_for

from .. import storage
from ..storage import moderation as sm
from . import bp, locale, security, signin_limits
from .views import render


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = security.safe_next(request.values.get("next"), url_for("moderation.queue"))
    if request.method == "GET":
        if g.user:
            return redirect(target)
        notice = locale.mt("sign_in.expired") if request.args.get("expired") else None
        return render("sign_in.html", next=target, notice=notice, username="")
    username = (request.form.get("username") or "").strip()[:100]
    password = request.form.get("password") or ""
    attempt = signin_limits.Attempt(username)
    wait = attempt.wait_seconds()
    if wait:
        minutes = max(1, -(-wait // 60))
        page = render("sign_in.html", next=target, username=username,
                      error=locale.mt("sign_in.wait", duration=locale.duration(minutes * 60)))
        return page, 429, {"Retry-After": str(wait)}
    user = security.check_credentials(username, password[:200])
    if user is None:
        attempt.failed()
        return render("sign_in.html", next=target, username=username,
                      error=locale.mt("sign_in.failed")), 401
    security.start_session(user)
    chosen = request.form.get("lang")
    if chosen in locale.ui_languages() and chosen != user.get("language"):
        # Chosen on the sign-in page: from now on the pages speak it, on any device.
        sm.set_user_language(storage.get_db(), user["id"], chosen)
    return signin_limits.remember_browser(make_response(redirect(target, 303)), user["username"])


@bp.post("/sign-out")
def sign_out():
    security.end_session()
    return redirect(url_for("moderation.sign_in"), 303)
