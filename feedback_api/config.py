"""Owns the service's configuration: secure defaults, FEEDBACK_* overrides, the secret key."""
from __future__ import annotations

import os
import time
import secrets
from pathlib import Path

from flask import Flask


class ConfigError(RuntimeError):
    """The service cannot start with this configuration (the message says what to set)."""


# Every key can be overridden by an environment variable with the FEEDBACK_ prefix
# (FEEDBACK_DATABASE, FEEDBACK_RATELIMIT_ENABLED=false, ...). Values are parsed as JSON
# when they parse (so numbers and booleans work), else kept as strings.
DEFAULTS = {
    "ENV": "development",              # "production" makes a missing secret key fatal
    "DATABASE": None,                  # None: <instance>/feedback.sqlite3
    "SECRET_KEY": None,                # None outside production: generated once into instance/
    "SITE_DIR": None,                  # built static site served at / (one-box mode)
    "SITE_URL": "/",                   # where the static site lives, for links back from our pages
    "CORS_ORIGINS": "",                # comma-separated site origins allowed to call the API
    "TRUSTED_PROXIES": 0,              # exact number of reverse proxies in front (X-Forwarded-For)
    "MAX_CONTENT_LENGTH": 32 * 1024,   # bytes per request body; larger -> 413
    "MAX_FORM_MEMORY_SIZE": 32 * 1024,
    "MESSAGE_MAX_CHARS": 3000,
    "COMMENT_MAX_CHARS": 1000,
    "NAME_MAX_CHARS": 100,
    "CONTACT_MAX_CHARS": 200,
    "DISTRICT_MAX_CHARS": 100,
    "PAGE_MAX_CHARS": 300,
    "DUPLICATE_WINDOW_SECONDS": 600,   # a resend of one form within this -> its first reference (resubmits.py)
    # synchronous=FULL: in WAL mode NORMAL survives a process crash but may lose the last
    # commits on power loss; we tell people "received" only once it is on disk, and FULL
    # still carries several thousand inserts/s here (FINDINGS), far above the goal.
    "SQLITE_SYNCHRONOUS": "FULL",
    "SQLITE_BUSY_TIMEOUT_SECONDS": 15,
    # A request waits at most this long for the write lock, then answers 503 "try again":
    # people on the form wait no longer than 5 s, and threads stay free for /livez.
    "SQLITE_WRITE_WAIT_SECONDS": 4,
    # /healthz reports "disk full" below this much free space where the database lives.
    "HEALTH_MIN_FREE_BYTES": 1024 * 1024,
    "MIGRATE_ON_START": True,          # apply pending migrations at start (under a file lock)
    # flask-limiter reads the RATELIMIT_* keys itself.
    "RATELIMIT_ENABLED": True,
    # One process: memory-paced:// (in-process, feedback_api/limits.py says why not memory://).
    # Several workers or hosts: redis://127.0.0.1:6379/0 (shared counters).
    "RATELIMIT_STORAGE_URI": "memory-paced://",
    # X-RateLimit-* on every answer cost a window lookup per limit per request; a 429 always
    # carries Retry-After (errors.py). Set true to send them anyway.
    "RATELIMIT_HEADERS_ENABLED": False,
    "RATELIMIT_STRATEGY": "moving-window",
    # Per client (a keyed hash of the address). Generous: many people share one address
    # behind mobile carriers' NAT and at town-hall meetings. Hourly rather than daily caps:
    # each client's counters then live an hour, not a day (memory, and the sweep's work).
    "LIMIT_SUBMISSIONS": "10 per minute;100 per hour",
    "LIMIT_RATINGS": "30 per minute;300 per hour",
    "LIMIT_LOOKUPS": "30 per minute;300 per hour",
}


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config: defaults, then FEEDBACK_* environment variables, then test_config."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("FEEDBACK")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = os.path.join(app.instance_path, "feedback.sqlite3")
    origins = app.config["CORS_ORIGINS"]
    if isinstance(origins, str):
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    app.config["CORS_ORIGINS"] = list(origins)
    check(app.config)
    app.config["SECRET_KEY"] = secret_key(app)


def check(cfg) -> None:
    """Refuse values that would only fail later, at the first request, with a clear message."""
    from limits import parse_many

    if str(cfg["SQLITE_SYNCHRONOUS"]).upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError(f"FEEDBACK_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, "
                          f"not {cfg['SQLITE_SYNCHRONOUS']!r} (OFF could lose acknowledged submissions)")
    for key in ("TRUSTED_PROXIES", "DUPLICATE_WINDOW_SECONDS", "MAX_CONTENT_LENGTH", "MESSAGE_MAX_CHARS"):
        if not isinstance(cfg[key], int) or isinstance(cfg[key], bool) or cfg[key] < 0:
            raise ConfigError(f"FEEDBACK_{key} must be a whole number >= 0, not {cfg[key]!r}")
    for key in ("LIMIT_SUBMISSIONS", "LIMIT_RATINGS", "LIMIT_LOOKUPS"):
        try:
            parse_many(str(cfg[key]))
        except ValueError:
            raise ConfigError(f"FEEDBACK_{key} is not a rate limit like '10 per minute;100 per hour': "
                              f"{cfg[key]!r}") from None


def secret_key(app: Flask) -> str:
    """The configured key; outside production one generated once and kept in instance/."""
    key = app.config.get("SECRET_KEY")
    if key:
        return str(key)
    if app.config["ENV"] == "production":
        raise ConfigError(
            "FEEDBACK_SECRET_KEY is not set. In production the service refuses to start without "
            "it: it signs moderators' sessions and keys the hash that replaces client addresses. "
            "Generate one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # O_EXCL: two workers starting at once agree on one key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise ConfigError(f"{path} is empty: delete it and start again")
