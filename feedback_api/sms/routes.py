"""Owns the two routes Kannel calls: POST /api/v1/sms/inbound (a text from a phone; the
response body is the reply Kannel texts back) and GET /api/v1/sms/delivery (Kannel's delivery
report for a message of the outbox).

Who may call them: only addresses in FEEDBACK_SMS_ALLOWED_ADDRESSES (loopback by default),
and only with the shared secret (HTTP Basic, user FEEDBACK_SMS_INBOUND_USER, password
FEEDBACK_SMS_INBOUND_SECRET; Kannel puts them in the URL it calls). Without a secret set the
routes refuse everything. Errors are for Kannel's log (English JSON); a person whose text
cannot be taken gets a reply that says why, and nothing is stored.
"""
from __future__ import annotations

import functools
import hmac
import ipaddress
import re

from flask import Blueprint, Response, current_app, jsonify, request
from limits import parse_many

from .. import public, storage
from ..limits import limiter
from . import conversation, parts, phone, store

bp = Blueprint("sms", __name__, url_prefix="/api/v1/sms")
SENDER_PATTERN = r"^(\+|00)?[0-9]{3,15}$"   # as Kannel passes it: digits, no spaces
MAX_ID = 2**62 - 1
TEXT_TYPES = ("text/plain",)
CHARSETS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16be": "utf-16-be", "ucs-2": "utf-16-be",
            "ucs2": "utf-16-be", "iso-8859-1": "latin-1", "latin1": "latin-1", "windows-1252": "cp1252"}
MESSAGES = {
    "forbidden_address": "This address may not call the SMS routes (FEEDBACK_SMS_ALLOWED_ADDRESSES).",
    "sms_not_configured": "The SMS channel is off: FEEDBACK_SMS_INBOUND_SECRET is not set.",
    "unauthorised": "Wrong or missing credentials (HTTP Basic, FEEDBACK_SMS_INBOUND_USER/SECRET).",
    "invalid_sender": "'from' must be the sender's phone number.",
    "unsupported_media_type": "Send the text as text/plain in UTF-8, UTF-16BE or ISO-8859-1 "
                              "(binary messages are not taken).",
    "invalid_encoding": "The text is not valid in the charset it names.",
    "invalid_report": "'id' and 'status' must be whole numbers.",
    "not_found": "No outgoing message has this id.",
}


def _error(status: int, code: str) -> Response:
    response = jsonify({"error": {"code": code, "message": MESSAGES[code]}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="sms"'
    return response


def allowed_networks(value) -> list:
    items = value.split(",") if isinstance(value, str) else list(value)
    return [ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip()]


def _refusal() -> Response | None:
    """Why this request may not call the SMS routes (None: it may)."""
    cfg = current_app.config
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return _error(403, "forbidden_address")
    if not any(address in net for net in cfg["SMS_ALLOWED_NETWORKS"]):
        return _error(403, "forbidden_address")
    secret = cfg.get("SMS_INBOUND_SECRET")
    if not secret:
        return _error(403, "sms_not_configured")
    auth = request.authorization
    ok = bool(auth and auth.type == "basic" and auth.username is not None and auth.password is not None)
    # Both compared in full, constant time, whatever the first says.
    ok = hmac.compare_digest((auth.username if ok else "").encode(), str(cfg["SMS_INBOUND_USER"]).encode()) & ok
    ok = hmac.compare_digest((auth.password if ok else "").encode(), str(secret).encode()) & ok
    return None if ok else _error(401, "unauthorised")


@functools.lru_cache(maxsize=8)
def _limits(setting: str) -> tuple:
    """FEEDBACK_SMS_LIMIT_PER_NUMBER as (amount, seconds) pairs."""
    return tuple((item.amount, item.get_expiry()) for item in parse_many(setting))


def _per_number_limits() -> tuple | None:
    """The limits each number's texts are counted against, in the database with what the
    text stores (store.count_text: one count for every worker, no Redis round trips).

    Not declared with `@limiter.limit(provider, key_func=..., exempt_when=...)`: flask-limiter
    4.1 resolves, parses and filters a callable limit on every request, in its middleware
    and again in the decorator, which cost 0.45 ms more CPU a text than counting it here
    (measured A/B in-process, 2026-11-30: 1.9 -> 2.4 ms a keyword text); with several
    workers its Redis storage added three round trips a text (0.6 ms of CPU, 4 ms)."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return None
    return _limits(current_app.config["SMS_LIMIT_PER_NUMBER"])


@limiter.request_filter
def _no_limits_per_address() -> bool:
    """The SMS routes have no per-address limits (every text comes from Kannel's address):
    should limits for every route ever be set (limits.init_app then keeps flask-limiter's
    before_request check), they must not count Kannel's texts as one client's."""
    return request.blueprint == bp.name


@bp.post("/inbound")
def inbound():
    refused = _refusal()   # forged requests must not use up a real number's quota
    if refused is not None:
        return refused
    sender = request.args.get("from", "")
    number = phone.canonical(sender) if re.match(SENDER_PATTERN, sender) else None
    if number is None:
        return _error(400, "invalid_sender")
    if request.mimetype not in TEXT_TYPES:
        return _error(415, "unsupported_media_type")
    codec = CHARSETS.get(request.mimetype_params.get("charset", "utf-8").strip('"').lower())
    if codec is None:
        return _error(415, "unsupported_media_type")
    try:
        text = request.get_data(cache=False).decode(codec)
    except UnicodeDecodeError:
        return _error(400, "invalid_encoding")
    try:
        reply = conversation.respond(number, text, _per_number_limits())
    except store.OverLimit as over:   # nothing stored, no reply: when it may text again
        response = public.error_response(429, "rate_limited", seconds=over.seconds)
        response.headers["Retry-After"] = str(over.seconds)
        return response
    response = Response(reply.text, mimetype="text/plain")
    response.headers["X-SMS-Outcome"] = reply.outcome
    if reply.reference:
        response.headers["X-SMS-Reference"] = reply.reference
    if reply.text and parts.encoding(reply.text) == "ucs2":
        # Kannel (accept-x-kannel-headers) sends it as UCS-2: GSM-7 has no Urdu letters.
        response.headers["X-Kannel-Coding"] = "2"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/delivery")
def delivery():
    refused = _refusal()
    if refused is not None:
        return refused
    try:
        message_id, dlr = int(request.args.get("id", "")), int(request.args.get("status", ""))
    except ValueError:
        return _error(400, "invalid_report")
    if not (0 < message_id <= MAX_ID and 0 <= dlr < 2**16):
        return _error(400, "invalid_report")
    if not store.record_report(storage.get_db(), message_id, dlr):
        return _error(404, "not_found")
    return Response("recorded", mimetype="text/plain")


def openapi_paths() -> dict:
    """This module's part of the OpenAPI document."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    auth_errors = {
        "401": {"description": "Missing or wrong credentials.", "content": error,
                "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
        "403": {"description": "Caller's address not allowed, or the SMS channel is off.", "content": error},
        "429": {"description": "Too many texts from this number; nothing is stored or sent.",
                "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
                "content": {**error, "text/html": {"schema": {"type": "string"}}}},
        "500": {"description": "Unexpected failure: nothing was stored.", "content": error},
    }
    number = {"name": "from", "in": "query", "required": True, "description": "Sender's number (Kannel's %p).",
              "schema": {"type": "string", "pattern": SENDER_PATTERN}}
    return {
        "/api/v1/sms/inbound": {"post": {
            "operationId": "smsInbound",
            "summary": "A text from a phone, posted by Kannel (sms-service post-url); the answer's "
                       "body is the reply texted back (empty: none).",
            "security": [{"kannel": []}],
            "parameters": [number,
                           {"name": "to", "in": "query", "required": False, "schema": {"type": "string"}},
                           {"name": "id", "in": "query", "required": False, "schema": {"type": "string"}}],
            # Any text: one that cannot be taken (too long, control characters) is answered
            # with why, and not stored (X-SMS-Outcome: refused:...).
            "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}},
            "responses": {
                "200": {"description": "The reply to text back (may be empty).",
                        "headers": {"X-SMS-Outcome": {"schema": {"type": "string"},
                                                      "description": "What the text was taken as."}},
                        "content": {"text/plain": {"schema": {"type": "string"}}}},
                "400": {"description": "No valid sender number, or text not valid in its charset.",
                        "content": error},
                "413": {"description": "Body over the size limit.", "content": error},
                "415": {"description": "Not text/plain in a known charset.", "content": error},
                **auth_errors,
            },
        }},
        "/api/v1/sms/delivery": {"get": {
            "operationId": "smsDeliveryReport",
            "summary": "Kannel's delivery report (dlr-url) for an outgoing message.",
            "security": [{"kannel": []}],
            "parameters": [
                {"name": "id", "in": "query", "required": True,
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
                {"name": "status", "in": "query", "required": True,
                 "description": "Kannel's report type: 1 delivered, 2 failed, 4 buffered, 8 accepted "
                                "by the SMS centre, 16 rejected by it.",
                 "schema": {"type": "integer", "minimum": 0, "maximum": 65535}}],
            "responses": {
                "200": {"description": "Recorded.", "content": {"text/plain": {"schema": {"type": "string"}}}},
                "400": {"description": "id or status not a whole number.", "content": error},
                "404": {"description": "No such message.", "content": error},
                **auth_errors,
            },
        }},
    }


def openapi_security_schemes() -> dict:
    return {"kannel": {"type": "http", "scheme": "basic",
                       "description": "Kannel only: FEEDBACK_SMS_INBOUND_USER / FEEDBACK_SMS_INBOUND_SECRET."}}
