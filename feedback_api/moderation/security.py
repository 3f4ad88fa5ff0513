"""Owns who may do what under /moderation/: password hashing, server-side sessions (the signed
cookie holds only a random session id), the idle timeout, role checks, CSRF protection and the
security headers of moderation pages.

Why server-side sessions: a Flask session is signed, not encrypted, and cannot be revoked.
Keeping only an id in it lets sign-out, disabling a user and a password change end every
session at once, and lets the idle timeout be enforced by the server, not the browser.
"""
from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from flask import (Flask, abort, current_app, g, redirect, request, session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

from .. import storage
from ..storage import moderation as sm

csrf = CSRFProtect()
ROLES = ("moderator", "admin")

# No script at all: every moderation page works without JavaScript.
MODERATION_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                  "frame-ancestors 'none'; base-uri 'none'")


class CookieOnlySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but the signer is built only for a request that carries
    the cookie: the public API's requests (most of the traffic) never do, and building it cost
    each submission a visible share of its time (benchmarks/submission_path.md)."""

    def open_session(self, app, request):
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def configure(app: Flask) -> None:
    app.session_interface = CookieOnlySessions()
    # config.load read every setting (feedback_api/config.py): here only what Flask derives from them.
    secure = app.config["MODERATION_SECURE_COOKIES"]
    if secure is None:
        secure = app.config["ENV"] == "production"
    if secure:
        # __Host-: the browser accepts it only with Secure, Path=/ and no Domain, so no other
        # (sub)domain can set or overwrite it.
        app.config["SESSION_COOKIE_NAME"] = "__Host-moderation"
        app.config["SESSION_COOKIE_SECURE"] = True
    else:
        app.config["SESSION_COOKIE_NAME"] = "moderation"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(app.config["MODERATION_SESSION_HOURS"]))
    # A token lives as long as the session; the idle timeout ends both anyway. Without this
    # a moderator who spends over an hour on one answer would lose it to "token expired".
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", int(app.config["MODERATION_SESSION_HOURS"]) * 3600)


# ---------------------------------------------------------------- passwords

def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_METHOD"])


@functools.cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def check_credentials(username: str, password: str) -> dict | None:
    """The active user with this name and password, else None. An unknown name costs the same
    hash check as a known one, so timing does not tell which names exist."""
    user = sm.user_by_name(storage.get_db(), username) if username else None
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_METHOD"]), password or "x")
        return None
    if not check_password_hash(user["password_hash"], password or "") or not user["active"]:
        return None
    return user


# ---------------------------------------------------------------- sessions

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def start_session(user: dict) -> None:
    """A fresh session (a new id and a new CSRF secret: no fixation) for `user`."""
    session.clear()
    token = secrets.token_urlsafe(32)
    db = storage.get_db()
    # Sessions nobody signed out of expire by time; sweep them now and then (here: cheap, rare).
    moment = datetime.now(timezone.utc)
    cfg = current_app.config
    sm.purge_sessions(db, _stamp(moment - timedelta(minutes=int(cfg["MODERATION_IDLE_MINUTES"]))),
                      _stamp(moment - timedelta(hours=int(cfg["MODERATION_SESSION_HOURS"]))))
    sm.create_session(db, _token_hash(token), user["id"])
    session["sid"] = token
    session.permanent = True


def end_session(reason: str = "sign_out") -> None:
    token = session.get("sid")
    if isinstance(token, str):
        user = getattr(g, "user", None)
        sm.end_session(storage.get_db(), _token_hash(token), user["id"] if user else None, reason)
    session.clear()


def load_user() -> dict | None:
    """The signed-in user for this request (g.user), or None. Ends idle or expired sessions."""
    if "user" in g.__dict__:
        return g.user
    g.user = None
    g.signed_out_reason = None
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    db = storage.get_db()
    row = sm.session_user(db, _token_hash(token))
    if row is None:
        session.pop("sid", None)
        return None
    moment = datetime.now(timezone.utc)
    cfg = current_app.config
    idle = moment - _parse(row["last_seen_at"]) > timedelta(minutes=int(cfg["MODERATION_IDLE_MINUTES"]))
    old = moment - _parse(row["session_created_at"]) > timedelta(hours=int(cfg["MODERATION_SESSION_HOURS"]))
    if idle or old:
        sm.end_session(db, row["session_id"], row["id"], "session_expired")
        session.clear()
        g.signed_out_reason = "idle" if idle else "expired"
        return None
    # Write last_seen at most once a minute: every page view need not be a database write.
    if moment - _parse(row["last_seen_at"]) > timedelta(seconds=60):
        sm.touch_session(db, row["session_id"])
    g.user = {"id": row["id"], "username": row["username"], "role": row["role"], "language": row["language"]}
    return g.user


def is_admin() -> bool:
    user = getattr(g, "user", None)
    return bool(user and user["role"] == "admin")


def require_user():
    """Blueprint before_request: anonymous requests go to the sign-in page (nothing runs)."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        load_user()
        return None
    if load_user() is None:
        if request.method == "POST" and g.signed_out_reason:
            kept = kept_text()
            if kept:
                return kept
        args = {"next": request.full_path.rstrip("?")} if request.method == "GET" else {}
        if g.signed_out_reason:
            args["expired"] = "1"
        return redirect(url_for("moderation.sign_in", **args), 303 if request.method != "GET" else 302)
    return None


# Free text a moderator may have spent a while on (an answer, a note, an offline record).
# Their labels: moderation.kept.<field>.
KEPT_FIELDS = ("body", "public_question", "message", "said", "done")


def kept_text():
    """A POST whose session timed out while its form was open: nothing is saved, but the text
    is shown back (escaped, read-only) with a sign-in link, so nothing typed is lost. Only
    reached with a valid CSRF token (checked before), so no other site can make us echo."""
    kept = [(k, v) for k, v in request.form.items() if k in KEPT_FIELDS and v.strip()]
    if not kept:
        return None
    back = request.path.rsplit("/", 1)[0] if request.path.startswith("/moderation/submissions/") else None
    from flask import render_template
    html = render_template("moderation/expired.html", kept=kept,
                           sign_in=url_for("moderation.sign_in", next=safe_next(back, "/moderation/")))
    return html, 401


PUBLIC_ENDPOINTS = {"moderation.sign_in", "moderation.static"}


def admin_required(view):
    """Admin-only views: a moderator gets 403 (and nothing runs)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not is_admin():
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def safe_next(target: str | None, default: str) -> str:
    """Only a path inside /moderation/ (never another host: "//evil" or "/\\evil")."""
    if (isinstance(target, str) and target.startswith("/moderation/") and "//" not in target
            and "\\" not in target and len(target) < 2000):
        return target
    return default


def security_headers(response):
    """Moderation pages: strict CSP, never cached, a Referer only to ourselves (Flask-WTF's
    HTTPS check needs it), never framed."""
    headers = response.headers
    headers["Content-Security-Policy"] = MODERATION_CSP
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if request.endpoint != "moderation.static":
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response
