"""Owns HTTP errors and response headers for the service: JSON error bodies (docs/dev/0006), pages in the
reader's language for browsers and form posts, and the security headers on every response."""
from __future__ import annotations

import sqlite3
import time

from flask import Flask, current_app, g, request
from flask_limiter import RateLimitExceeded
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from . import i18n, logs, public, storage, validation
from .limits import limiter

CODES = {400: "validation_failed", 404: "not_found", 405: "method_not_allowed",
         413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited",
         500: "server_error", 503: "storage_unavailable"}
# Our own pages load only our stylesheet and post only to us.
SERVICE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")


def _ours() -> bool:
    return request.path.startswith("/api/") or request.path in ("/healthz", "/livez")


def retry_after_seconds() -> int:
    current = limiter.current_limit
    if current is None:
        return 60
    # The formula flask-limiter's own Retry-After header uses, so the two agree.
    return max(1, int(current.reset_at - time.time()))


def _form_again(status: int, code: str, seconds: int):
    """Keep what they wrote: the same form again, filled in, with why and how long to wait."""
    data = {k: v for k, v in request.form.items() if isinstance(v, str)}
    lang = public.requested_language(data)
    notice = i18n.t(lang, f"errors.{code}", seconds=seconds)
    values = validation.form_values(data)
    if request.endpoint == "public.create_rating":
        return public.rating_form_page(lang, values, {}, status, notice)
    return public.feedback_form_page(lang, values, {}, status, notice)


def handle_rate_limited(exc: RateLimitExceeded):
    seconds = retry_after_seconds()
    if not _ours():  # a limit another part sets on its own paths
        response = exc.get_response()
    elif request.mimetype == validation.FORM and request.method == "POST":
        response = _form_again(429, "rate_limited", seconds)
    else:
        response = public.error_response(429, "rate_limited", seconds=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def handle_sqlite_error(exc: sqlite3.OperationalError):
    """A read or write that met a storage fault outside `storage.immediate` (e.g. a status
    lookup while the disk cannot be opened): 503 like a write; anything else is a bug."""
    problem = storage.fault(exc)
    if problem is None:
        return handle_unexpected(exc)
    if not isinstance(problem, storage.StorageBusy):
        storage.note_fault()
    return handle_storage_error(problem)


def handle_storage_error(exc: storage.StorageError):
    """The database could not take a write (another process holds its lock, or the disk is
    full, read-only or failing): nothing was saved, so say so, and when to send again."""
    current_app.logger.warning("%s on %s %s: %s", exc.code, request.method, request.path, exc)
    seconds = exc.retry_after
    if not _ours():  # moderation: its pages have no form to give back here
        response = ServiceUnavailable("Nothing was saved: the database is busy or cannot be "
                                      f"written. Try again in {seconds} seconds.").get_response()
    elif request.mimetype == validation.FORM and request.method == "POST":
        response = _form_again(503, exc.code, seconds)
    else:  # in the language they wrote in, when the body names it
        body = request.get_json(silent=True) if request.is_json else None
        lang = public.requested_language(body if isinstance(body, dict) else None)
        response = public.error_response(503, exc.code, lang, seconds=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def handle_http_error(exc: HTTPException):
    if not _ours():
        return exc  # the site (site.py) and moderation answer their own paths
    code = CODES.get(exc.code, "server_error" if (exc.code or 500) >= 500 else "validation_failed")
    response = public.error_response(exc.code or 500, code)
    if exc.code == 405 and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def handle_unexpected(exc: Exception):
    current_app.logger.exception("unhandled error on %s %s", logs.one_line(request.method),
                                 logs.safe_path(request.path))
    if not _ours():
        return InternalServerError()
    return public.error_response(500, "server_error")


_COMMON_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
# Status URLs carry a reference: never send them to anyone in a Referer.
_SERVICE_HEADERS = _COMMON_HEADERS + (("Referrer-Policy", "no-referrer"),
                                      ("Content-Security-Policy", SERVICE_CSP))
_SITE_HEADERS = _COMMON_HEADERS + (("Referrer-Policy", "same-origin"),)


def security_headers(response):
    """Add each header unless a view set its own (one pass: this runs on every response)."""
    headers = response.headers
    present = {key.lower() for key in headers.keys()}
    wanted = _SITE_HEADERS if getattr(g, "site_file", False) else _SERVICE_HEADERS
    headers.extend([(k, v) for k, v in wanted if k.lower() not in present])
    if request.is_secure and "strict-transport-security" not in present:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    app.register_error_handler(storage.StorageError, handle_storage_error)
    app.register_error_handler(sqlite3.OperationalError, handle_sqlite_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.after_request(security_headers)
