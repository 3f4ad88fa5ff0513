"""Owns rate limiting (flask-limiter) and the keyed hash that stands in for a client address."""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_limiter import Limiter


def client_hash() -> str:
    """HMAC-SHA256 of the client address under the secret key: the raw address is never
    stored (not in the database, not in Redis), yet the same client gets the same value."""
    address = request.remote_addr or "unknown"
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, b"client:" + address.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


# Module level, with the limits read from config at request time: views live in module-level
# blueprints, so building several apps (tests) does not register the limits twice (FINDINGS).
limiter = Limiter(client_hash)


def submissions_limit() -> str:
    return current_app.config["LIMIT_SUBMISSIONS"]


def ratings_limit() -> str:
    return current_app.config["LIMIT_RATINGS"]


def lookups_limit() -> str:
    return current_app.config["LIMIT_LOOKUPS"]
