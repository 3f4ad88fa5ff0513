"""Owns the service's configuration: one schema of every setting (name, type, default, meaning,
check), read from FEEDBACK_<NAME> environment variables (then a test's mapping), and refused at
start, naming the variable, when a value is impossible. Every part of the service reads its
settings from app.config, filled from this schema only; gunicorn (deploy/gunicorn.conf.py) reads
the server's settings through `from_environment`. The README's settings table is this schema
(`python -m feedback_api.config` prints it; tests/test_config.py compares).
"""
from __future__ import annotations

import difflib
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import Flask

PREFIX = "FEEDBACK_"


class ConfigError(RuntimeError):
    """The service cannot start with this configuration (the message says what to set)."""


# ---------------------------------------------------------------- types: text -> value

def _int(text: str) -> int:
    return int(text.strip().replace("_", ""))


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("not true or false")


def _maybe_bool(text: str) -> bool | None:
    return None if text.strip().lower() in ("", "auto", "none") else _bool(text)


def _maybe_text(text: str) -> str | None:
    return text.strip() or None


def _number(text: str) -> float:
    return float(text.strip())


def _origins(text: str) -> list[str]:
    return [o.strip() for o in text.split(",") if o.strip()]


# kind -> (parse from text, the Python types a test's mapping may give, what to write)
KINDS: dict[str, tuple[Callable, tuple, str]] = {
    "int": (_int, (int,), "a whole number"),
    "number": (_number, (int, float), "a number"),
    "bool": (_bool, (bool,), "true or false"),
    "auto-bool": (_maybe_bool, (bool, type(None)), "true, false or auto"),
    "text": (str, (str,), "text"),
    "optional-text": (_maybe_text, (str, type(None)), "text, or empty"),
    "origins": (_origins, (list, tuple), "comma-separated origins"),
}


# ---------------------------------------------------------------- checks: value -> problem

def at_least(low: int):
    return lambda value: None if value >= low else f"must be at least {low}"


def between(low: int, high: int):
    return lambda value: None if low <= value <= high else f"must be from {low} to {high}"


def one_of(*choices: str, fold=str.upper):
    def check(value):
        return None if fold(value) in choices else f"must be one of {', '.join(choices)}"
    return check


def rate_limits(value: str) -> str | None:
    from limits import parse_many
    try:
        parse_many(value)
    except ValueError:
        return "is not a rate limit like '10 per minute;100 per hour'"
    return None


def storage_uri(value: str) -> str | None:
    schemes = ("memory-paced", "memory", "redis", "rediss", "redis+unix", "redis+sentinel")
    if value.split("://", 1)[0] not in schemes or "://" not in value:
        return f"must start with one of {', '.join(s + '://' for s in schemes)}"
    return None


def site_url(value: str) -> str | None:
    if value.startswith("/") or value.startswith(("http://", "https://")):
        return None
    return "must be a path starting with / or an http(s) URL"


def password_method(value: str) -> str | None:
    return None if value.split(":", 1)[0] in ("scrypt", "pbkdf2") else "must be scrypt or pbkdf2:..."


@dataclass(frozen=True)
class Setting:
    name: str                     # the key in app.config; the variable is FEEDBACK_<name>
    kind: str                     # a key of KINDS
    default: object
    meaning: str                  # one line for the README's table
    check: Callable | None = None  # value -> why it is impossible, or None
    app: bool = True              # False: read by gunicorn or before the app exists, not app.config

    @property
    def variable(self) -> str:
        return PREFIX + self.name


LIMIT = "rate limit per client (a keyed hash of the address)"
def time_zone(value: str) -> str | None:
    from zoneinfo import ZoneInfo
    try:
        ZoneInfo(value)
    except (ValueError, LookupError):
        return "must be a time zone name such as Asia/Karachi"
    return None


SETTINGS: tuple[Setting, ...] = (
    # --- the service
    Setting("ENV", "text", "development", "`production` refuses to start without `FEEDBACK_SECRET_KEY`",
            one_of("development", "production", fold=str.lower)),
    Setting("SECRET_KEY", "optional-text", None, "signs moderators' sessions, keys the hash of client "
            "addresses; unset outside production: generated once into `instance/secret_key`"),
    Setting("INSTANCE_PATH", "optional-text", None, "folder for the database, key and backups "
            "(unset: `instance/`)", app=False),
    Setting("DATABASE", "optional-text", None, "SQLite file (unset: `<instance>/feedback.sqlite3`)"),
    Setting("SITE_DIR", "optional-text", None, "serve the built site at `/` (one box)"),
    Setting("SITE_URL", "text", "/", "where the static site is, for links back from the service's pages",
            site_url),
    # Answers reach the site (feedback_api/site_rebuild.py, deploy/README.md): "auto" builds in
    # the background when SITE_DIR is served here, else only marks a rebuild as pending.
    Setting("SITE_REBUILD", "text", "auto", "how published answers reach the site: auto, background, "
            "hook or off", one_of("auto", "background", "hook", "off", fold=str.lower)),
    Setting("SITE_REBUILD_DEBOUNCE_SECONDS", "number", 5, "quiet time after the last change before "
            "building", between(0, 3600)),
    Setting("SITE_REBUILD_INTERVAL_MINUTES", "int", 5, "hook mode: the timer's interval (moderators "
            "are told it)", between(1, 1440)),
    Setting("SITE_REBUILD_TIMEOUT_SECONDS", "int", 600, "a longer build is stopped and fails",
            between(10, 86400)),
    Setting("SITE_BUILD_COMMAND", "optional-text", None, "unset: `mkdocs build --strict`; else a "
            "command line with `{out}`"),
    Setting("SITE_BUILDS_DIR", "optional-text", None, "where builds go (unset: `.<site dir name>-builds` "
            "beside the site dir)"),
    Setting("SITE_REBUILD_PRECOMPRESS", "bool", False, "production: `.gz` files for nginx before the swap"),
    Setting("SITE_DISPATCH_URL", "optional-text", None, "GitHub Pages: "
            "`https://api.github.com/repos/<owner>/<repo>/dispatches`"),
    Setting("SITE_DISPATCH_TOKEN", "optional-text", None, "its fine-grained token (Contents: read and write)"),
    Setting("TIME_ZONE", "text", "Asia/Karachi", "moderation shows times in this zone; stored in UTC",
            time_zone),
    Setting("CORS_ORIGINS", "origins", [], "comma-separated site origins allowed to call the API from script"),
    Setting("TRUSTED_PROXIES", "int", 0, "exact number of reverse proxies in front (`1` behind nginx)",
            between(0, 5)),
    # --- what a request may carry
    Setting("MAX_CONTENT_LENGTH", "int", 32 * 1024, "bytes per request body; larger: 413", at_least(1024)),
    Setting("MAX_FORM_MEMORY_SIZE", "int", 32 * 1024, "bytes of form fields held in memory", at_least(1024)),
    Setting("MESSAGE_MAX_CHARS", "int", 3000, "characters in a message (forms and OpenAPI say so)",
            between(1, 100_000)),
    Setting("COMMENT_MAX_CHARS", "int", 1000, "characters in a rating's comment", between(1, 100_000)),
    Setting("NAME_MAX_CHARS", "int", 100, "characters in a name", between(1, 10_000)),
    Setting("CONTACT_MAX_CHARS", "int", 200, "characters in a phone number or email", between(1, 10_000)),
    Setting("DISTRICT_MAX_CHARS", "int", 100, "characters in a district", between(1, 10_000)),
    Setting("PAGE_MAX_CHARS", "int", 300, "characters in the page a form was sent from", between(1, 10_000)),
    Setting("DUPLICATE_WINDOW_SECONDS", "int", 600, "a resend of one form within this "
            "gets the same reference", at_least(0)),
    # --- the database
    # FULL: in WAL mode NORMAL survives a crash but may lose the last commits on power loss; we say
    # "received" only once it is on disk, and FULL still carries thousands of inserts/s here.
    Setting("SQLITE_SYNCHRONOUS", "text", "FULL", "FULL, NORMAL or EXTRA (OFF could lose acknowledged "
            "submissions)", one_of("FULL", "NORMAL", "EXTRA")),
    Setting("SQLITE_BUSY_TIMEOUT_SECONDS", "int", 15, "how long a writer waits for the lock", between(1, 600)),
    # People on the form wait no longer than this for the write lock, then get 503 "try again";
    # threads stay free for /livez.
    Setting("SQLITE_WRITE_WAIT_SECONDS", "number", 4, "how long a request waits for the write lock "
            "before answering 503 with Retry-After", between(0.1, 60)),
    Setting("HEALTH_MIN_FREE_BYTES", "int", 1024 * 1024, "`/healthz` reports the disk full below this "
            "much free space where the database lives", at_least(0)),
    Setting("MIGRATE_ON_START", "bool", True, "apply pending migrations at start (once, under a file lock)"),
    # --- rate limits (flask-limiter reads the RATELIMIT_* keys itself)
    Setting("RATELIMIT_ENABLED", "bool", True, "rate limits on"),
    # One process: memory-paced:// (feedback_api/limits.py says why not memory://).
    Setting("RATELIMIT_STORAGE_URI", "text", "memory-paced://", "counters: in this process, or "
            "`redis://127.0.0.1:6379/0` shared by several workers", storage_uri),
    Setting("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", "bool", False, "if Redis stops, count in each worker's "
            "memory instead of failing"),
    # X-RateLimit-* cost a window lookup per limit per request; a 429 always carries Retry-After.
    Setting("RATELIMIT_HEADERS_ENABLED", "bool", False, "send X-RateLimit-* headers on every answer"),
    Setting("RATELIMIT_STRATEGY", "text", "moving-window", "flask-limiter's strategy",
            one_of("fixed-window", "moving-window", "sliding-window-counter", fold=str.lower)),
    # Generous: many people share one address behind mobile carriers' NAT and at town halls.
    # Hourly rather than daily caps: each client's counters then live an hour, not a day.
    Setting("LIMIT_SUBMISSIONS", "text", "10 per minute;100 per hour", f"submissions, {LIMIT}", rate_limits),
    Setting("LIMIT_RATINGS", "text", "30 per minute;300 per hour", f"ratings, {LIMIT}", rate_limits),
    Setting("LIMIT_LOOKUPS", "text", "30 per minute;300 per hour", f"status lookups, {LIMIT}", rate_limits),
    # --- moderation
    # werkzeug's scrypt: about 0.1 s per check on our 2 cores. Tests set a cheap pbkdf2.
    Setting("PASSWORD_METHOD", "text", "scrypt", "how staff passwords are hashed", password_method),
    Setting("MODERATION_IDLE_MINUTES", "int", 30, "no request for this long: signed out", between(1, 24 * 60)),
    Setting("MODERATION_SESSION_HOURS", "int", 12, "signed out after this long whatever happens",
            between(1, 24 * 7)),
    # Failed sign-ins only (flask-limiter counts a failure when the page comes back with 401).
    Setting("LIMIT_SIGN_IN_ADDRESS", "text", "20 per 15 minutes;100 per day", "failed sign-ins per address",
            rate_limits),
    Setting("LIMIT_SIGN_IN_ADDRESS_USER", "text", "5 per 15 minutes;20 per day",
            "failed sign-ins per address and account", rate_limits),
    # Past this, addresses new to the account are slowed (not locked): the owner keeps signing in.
    Setting("LIMIT_SIGN_IN_USER", "text", "10 per 15 minutes", "failed sign-ins per account from anywhere "
            "before new addresses are slowed", rate_limits),
    Setting("LIMIT_SIGN_IN_ADDRESS_USER_SLOWED", "text", "1 per 15 minutes",
            "failed sign-ins per address while its account is slowed", rate_limits),
    Setting("SIGN_IN_KNOWN_BROWSER_DAYS", "int", 90, "a browser the user signed in from is never slowed "
            "for this long", between(1, 3650)),
    Setting("MODERATION_PAGE_SIZE", "int", 50, "submissions per queue page", between(5, 500)),
    Setting("MODERATION_CLAIM_MINUTES", "int", 20, "a moderator's claim on a submission or group "
            "lapses after this long (answering ends it at once)", between(1, 24 * 60)),
    # auto: Secure, __Host- cookies in production only, so plain http://127.0.0.1 works in development.
    Setting("MODERATION_SECURE_COOKIES", "auto-bool", None, "Secure `__Host-` session cookie "
            "(auto: in production)"),
    # --- the public feed
    Setting("FEED_CACHE_SECONDS", "int", 60, "feed body kept in memory this long (0: every request)",
            at_least(0)),
    Setting("FEED_MAX_AGE_SECONDS", "int", 300, "Cache-Control max-age of the feed", at_least(0)),
    Setting("FEED_ANSWERS_PER_LANGUAGE", "int", 200, "newest answers in the feed per language",
            between(1, 10_000)),
    # --- data safety
    Setting("BACKUP_DIR", "optional-text", None, "where `backup-rotate` writes (unset: `<instance>/backups`)"),
    Setting("BACKUP_KEEP", "int", 14, "backups `backup-rotate` keeps", at_least(1)),
    Setting("RETENTION_DAYS", "int", 365, "contact details and address hashes older than this are erased "
            "by `retention` (365 to confirm with the programme)", at_least(1)),
    # --- SMS through Kannel (feedback_api/sms/; README "SMS")
    # Kannel -> us: HTTP Basic user and secret in Kannel's post-url; no secret turns SMS off.
    Setting("SMS_INBOUND_USER", "text", "kannel", "user in Kannel's post-url (HTTP Basic)"),
    Setting("SMS_INBOUND_SECRET", "optional-text", None, "Kannel's password on `/api/v1/sms/*`; unset: SMS off"),
    Setting("SMS_ALLOWED_ADDRESSES", "text", "127.0.0.1/32,::1/128", "networks that may call the SMS routes"),
    # Per number (a keyed hash of it): generous for a person, a wall for a flood.
    Setting("SMS_LIMIT_PER_NUMBER", "text", "10 per minute;60 per hour;200 per day",
            "texts taken from one number; more get no reply and are not stored", rate_limits),
    # us -> Kannel: smsbox's sendsms interface and its sendsms-user.
    Setting("SMS_SENDSMS_URL", "text", "http://127.0.0.1:13013/cgi-bin/sendsms", "Kannel smsbox's sendsms address"),
    Setting("SMS_SENDSMS_USER", "text", "feedback", "Kannel's sendsms-user"),
    Setting("SMS_SENDSMS_PASSWORD", "optional-text", None, "its password; unset: no replies are sent"),
    Setting("SMS_FROM", "optional-text", None, "the short code or sender id, if the operator wants one"),
    Setting("SMS_SERVICE_URL", "text", "http://127.0.0.1:8000", "how Kannel reaches this service "
            "(delivery reports)", site_url),
    Setting("SMS_STATUS_URL", "optional-text", None, "status page in replies, e.g. "
            "`https://example.org/api/v1/submissions/{reference}`"),
    Setting("SMS_SENDER_THREAD", "bool", False, "one box: send replies from a thread of the app"),
    Setting("SMS_POLL_SECONDS", "number", 1.0, "how often the sender looks for replies to send",
            between(0.1, 60)),
    Setting("SMS_SEND_BATCH", "int", 50, "replies sent per round", between(1, 1000)),
    Setting("SMS_SEND_TIMEOUT_SECONDS", "int", 10, "seconds to wait for Kannel", between(1, 120)),
    Setting("SMS_RETRY_BASE_SECONDS", "int", 5, "first wait before a failed reply is tried again "
            "(then doubled)", between(0, 3600)),
    Setting("SMS_RETRY_MAX_SECONDS", "int", 600, "longest wait between tries", between(1, 86400)),
    Setting("SMS_MAX_ATTEMPTS", "int", 8, "tries before a reply waits in the moderators' list",
            between(1, 100)),
    # --- gunicorn (deploy/gunicorn.conf.py)
    Setting("BIND", "text", "127.0.0.1:8000", "address gunicorn listens on", app=False),
    Setting("WORKERS", "int", 1, "gunicorn processes (more than 1: Redis rate-limit counters)",
            between(1, 64), app=False),
    Setting("THREADS", "int", 8, "threads per process (they overlap SQLite's fsync)", between(1, 256),
            app=False),
    Setting("TIMEOUT", "int", 30, "seconds before a stuck request's worker is restarted", between(5, 600),
            app=False),
    Setting("ACCESS_LOG", "text", "-", "gunicorn's access log (`-`: standard output; empty: off)", app=False),
    Setting("LOG_LEVEL", "text", "info", "gunicorn's log level",
            one_of("debug", "info", "warning", "error", "critical", fold=str.lower), app=False),
    Setting("FORWARDED_ALLOW_IPS", "text", "127.0.0.1", "proxies gunicorn trusts for X-Forwarded-*",
            app=False),
)
BY_NAME = {s.name: s for s in SETTINGS}


def default(name: str):
    return BY_NAME[name].default


def value_of(setting: Setting, raw, source: str):
    """`raw` (text from the environment, or a test's Python value) as the setting's type,
    checked; ConfigError naming the variable if it cannot be."""
    parse, types, expected = KINDS[setting.kind]
    try:
        value = parse(raw) if isinstance(raw, str) and str not in types else raw
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            raise ValueError
    except ValueError:
        raise ConfigError(f"{setting.variable} must be {expected}, not {raw!r} ({source})") from None
    if isinstance(value, tuple):
        value = list(value)
    problem = setting.check(value) if setting.check and value is not None else None
    if problem:
        raise ConfigError(f"{setting.variable} {problem}, not {raw!r} ({source})")
    return value


def from_environment(name: str, environ=os.environ):
    """One setting from FEEDBACK_<name> (or its default), checked."""
    setting = BY_NAME[name]
    if setting.variable not in environ:
        return setting.default
    return value_of(setting, environ[setting.variable], "environment")


def unknown_variables(environ=os.environ) -> list[str]:
    return sorted(v for v in environ if v.startswith(PREFIX) and v[len(PREFIX):] not in BY_NAME)


def load(app: Flask, test_config: dict | None) -> None:
    """Fill app.config from the schema: defaults, then FEEDBACK_* variables, then test_config.
    An unknown FEEDBACK_* variable is refused too: a typo must not silently keep a default."""
    for variable in unknown_variables():
        names = [s.variable for s in SETTINGS]
        close = difflib.get_close_matches(variable, names, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ConfigError(f"{variable} is not a setting of the service{hint}: README \"Settings\" lists them")
    for setting in SETTINGS:
        if not setting.app:
            continue
        value = from_environment(setting.name)
        if test_config and setting.name in test_config:
            value = value_of(setting, test_config[setting.name], "test configuration")
        app.config[setting.name] = value
    if test_config:  # Flask's own keys (TESTING, ...) pass through
        app.config.from_mapping({k: v for k, v in test_config.items() if k not in BY_NAME})
    if not app.config["DATABASE"]:
        app.config["DATABASE"] = os.path.join(app.instance_path, "feedback.sqlite3")
    app.config["SECRET_KEY"] = secret_key(app)


def markdown_table() -> str:
    """The README's settings table."""
    def shown(value):
        if value is None:
            return "unset"
        if isinstance(value, bool):
            return f"`{str(value).lower()}`"
        if isinstance(value, list):
            return ", ".join(value) or "none"
        return f"`{value}`"
    rows = ["| Variable | Default | Meaning |", "|---|---|---|"]
    rows += [f"| `{s.variable}` | {shown(s.default)} | {s.meaning} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"


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


if __name__ == "__main__":
    sys.stdout.write(markdown_table())
