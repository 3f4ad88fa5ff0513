"""Owns signing in and out. Failed sign-ins are limited per address, per address and name, and
slowed (never locked) per name from anywhere: moderation/signin_limits.py says how, and why
strangers cannot lock an owner out. Each attempt costs a scrypt check."""
from __future__ import annotations

from flask import g, make_response, redirect, request, url_for

from . import bp, security, signin_limits
from .views import render


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    target = security.safe_next(request.values.get("next"), url_for("moderation.queue"))
    if request.method == "GET":
        if g.user:
            return redirect(target)
        notice = "You were signed out after a time without activity. Please sign in again." \
            if request.args.get("expired") else None
        return render("sign_in.html", next=target, notice=notice, username="")
    username = (request.form.get("username") or "").strip()[:100]
    password = request.form.get("password") or ""
    attempt = signin_limits.Attempt(username)
    wait = attempt.wait_seconds()
    if wait:
        minutes = max(1, -(-wait // 60))
        page = render("sign_in.html", next=target, username=username,
                      error=f"Too many failed sign-ins from here. Wait {minutes} minute"
                            f"{'s' if minutes > 1 else ''} and try again, or ask an admin to clear the limit.")
        return page, 429, {"Retry-After": str(wait)}
    user = security.check_credentials(username, password[:200])
    if user is None:
        attempt.failed()
        return render("sign_in.html", next=target, username=username,
                      error="That user name and password do not match an active account."), 401
    security.start_session(user)
    return signin_limits.remember_browser(make_response(redirect(target, 303)), user["username"])


@bp.post("/sign-out")
def sign_out():
    security.end_session()
    return redirect(url_for("moderation.sign_in"), 303)
