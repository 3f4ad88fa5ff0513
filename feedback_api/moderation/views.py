"""Owns what every moderation page shares: the sign-in gate and headers on the blueprint,
reading the queue's filters from a query string, the Jinja filters that make untrusted text
safe to show, and the error pages."""
from __future__ import annotations

import datetime as dt
import json
import re

from flask import Flask, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError

from .. import i18n, storage, text, validation
from ..urls import SQLITE_MAX_INTEGER, whole_number
from ..storage import moderation as sm
from . import bp, coding, locale, security

STATUSES = storage.STATUSES
CHANNELS = storage.CHANNELS
OFFLINE_CHANNELS = tuple(c for c in CHANNELS if c != "web")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def valid_date(value) -> str | None:
    if isinstance(value, str) and DATE_RE.match(value):
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            return None
    return None


def parse_filters(args) -> dict:
    """The queue's filters from a query string: unknown values are dropped, never passed on."""
    def choice(key, choices):
        value = args.get(key)
        return value if value in choices else None

    filters = {
        "status": choice("status", (*STATUSES, "open", "all")) or "open",
        "kind": choice("kind", validation.KINDS),
        "component": choice("component", (*i18n.components(), "general")),
        "language": choice("language", i18n.languages()),
        "channel": choice("channel", CHANNELS),
        "topic_code": choice("topic_code", coding.topic_codes()),
        "date_from": valid_date(args.get("date_from")),
        "date_to": valid_date(args.get("date_to")),
        "district": (args.get("district") or "").strip()[:100] or None,
        "q": search_words(args.get("q")),
        "sensitive": "1" if args.get("sensitive") == "1" and security.is_admin() else None,
        "order": choice("order", ("oldest", "newest")),
    }
    if filters["order"] is None:
        # The sensitive queue is triage: whoever has waited longest comes first.
        filters["order"] = "oldest" if filters["sensitive"] else "newest"
    return filters


FILTER_NAMES = {"status": "Status", "kind": "Kind", "component": "Programme part", "language": "Language",
                "channel": "Channel", "topic_code": "Topic code", "date_from": "From date",
                "date_to": "To date", "district": "District", "q": "Search", "sensitive": "Sensitive queue",
                "order": "Order"}


def filter_problems(args, filters: dict) -> list[str]:
    """Filters in the query string that `parse_filters` had to drop or change: the queue shows
    the rest, but an export must not quietly hold more than was asked for."""
    problems = []
    for key, label in FILTER_NAMES.items():
        raw = args.get(key)
        if raw is None or raw == "":
            continue
        if key == "q":
            if filters["q"] != " ".join(raw.split())[:200]:
                problems.append(f"{label}: words with long numbers cannot be searched by moderators")
        elif key == "district":
            if filters["district"] != raw.strip():
                problems.append(f"{label}: at most 100 characters")
        elif key == "sensitive":
            if filters["sensitive"] != raw:
                problems.append(f"{label}: only admins, with the value 1")
        elif filters[key] != raw:
            problems.append(f"{label}: {raw[:40]!r} is not a value it can take")
    return problems


def search_words(raw) -> str | None:
    """The search box's words. For moderators, words holding a number they would see masked, or
    five digits or more in any digit set, are dropped: searching for a CNIC or phone number would
    tell them which message holds it."""
    words = " ".join((raw if isinstance(raw, str) else "").split())[:200].split()
    if not security.is_admin():
        # Masking keeps every character's place, so the masked words line up with the typed ones.
        masked = (text.mask_numbers(" ".join(words)) or "").split()
        words = [w for w, m in zip(words, masked)
                 if text.MASK not in m and len(text.ascii_digits(w)) < 5]
    return " ".join(words) or None


def query_args(filters: dict, **changes) -> dict:
    """Filters as URL query arguments (defaults and empties left out)."""
    merged = {**filters, **changes}
    default_order = "oldest" if merged.get("sensitive") else "newest"
    return {k: v for k, v in merged.items()
            if v and not (k == "status" and v == "open") and not (k == "order" and v == default_order)}


def viewer() -> dict:
    return g.user or {}


# ---------------------------------------------------------------- Jinja

def private(value):
    """Free text as this viewer may see it: admins see it whole; moderators see CNIC-like and
    phone-like numbers masked."""
    return value if security.is_admin() else text.mask_numbers(value)


def lang_dir(lang: str | None) -> str:
    return i18n.text_direction(lang) if lang in i18n.languages() else "auto"


def changes(entry: dict) -> list[tuple[str, str | None, str]]:
    """An audit entry's before/after JSON as (field, before, after) text, each cut to 300
    characters (the full text stays in the log and the export)."""
    def load(raw):
        try:
            value = json.loads(raw) if raw else {}
        except ValueError:
            value = {"value": raw}
        return value if isinstance(value, dict) else {"value": value}

    def show(value):
        if value is None:
            return None
        value = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        return value if len(value) <= 300 else value[:300] + "…"

    before, after = load(entry.get("before")), load(entry.get("after"))
    return [(key, show(before.get(key)), show(after.get(key)) or "—")
            for key in sorted(set(before) | set(after))]


def count(value: int, capped: bool = False) -> str:
    """A count as shown, in the reader's digits: 12,345; "1,000+" when counting stopped there
    (see status_counts)."""
    return locale.digits(f"{value:,}+" if capped else f"{value:,}")


def action_name(action: str) -> str:
    """An audit action in the reader's language where the strings have it, else as stored."""
    try:
        return locale.mt(f"actions.{action}")
    except KeyError:
        return action.replace("_", " ")


def init_jinja(app: Flask) -> None:
    app.jinja_env.filters.update(show=text.show_text, private=private, masked=text.mask_numbers, changes=changes,
                                 without_bidi=text.without_bidi, count=count, **locale.template_filters())
    app.jinja_env.globals.update(lang_dir=lang_dir, action_name=action_name, **locale.template_globals())


@bp.context_processor
def moderation_context():
    user = getattr(g, "user", None)
    extra = {}
    if user and user["role"] == "admin":
        extra["sensitive_waiting"] = sm.sensitive_waiting(storage.get_db())
    ui = locale.current()
    return {"user": user, "is_admin": security.is_admin(), "STATUSES": STATUSES, "CHANNELS": CHANNELS,
            "OFFLINE_CHANNELS": OFFLINE_CHANNELS, "KINDS": validation.KINDS,
            "COMPONENTS": (*i18n.components(), "general"), "LANGUAGES": i18n.languages(),
            "TOPIC_CODES": coding.topic_codes(ui), "lang_name": lambda c: i18n.t(c, "meta.name"),
            "component_name": lambda c: i18n.t(ui, f"components.{c}"),
            "kind_name": lambda k: i18n.t(ui, f"kinds.{k}"), **extra}


# ---------------------------------------------------------------- errors

def error_page(status: int, key: str, message: str | None = None, **values):
    """An error page in the reader's language: moderation.errors.<key> and <key>_text; or, with
    `message`, `key` is the title itself (words a view wrote)."""
    if message is not None:
        return render_template("moderation/error.html", title=key, message=message), status
    return render_template("moderation/error.html", title=locale.mt(f"errors.{key}"),
                           message=locale.mt(f"errors.{key}_text", **values)), status


def _has_control(value: str) -> bool:
    return any(c < " " or "\x7f" <= c <= "\x9f" for c in value)


def refuse_control_characters():
    """Blueprint before_request: a NUL (or another control character) in a query string is
    refused with a clear 400 before anything runs (SQLite's full-text search fails on NUL in
    the middle of a request otherwise). Form fields are left to each form's own validation,
    which names the field and gives the typed text back."""
    for key, value in request.args.items(multi=True):
        if _has_control(key) or _has_control(value):
            return error_page(400, "Not understood",
                              f"The address holds an invisible control character (in {key[:40]!r}), "
                              "so nothing was done. Type the search or filter again.")
    return None


bp.before_request(refuse_control_characters)  # first: nothing else reads a request it refuses
bp.before_request(security.require_user)
bp.after_request(security.security_headers)


@bp.errorhandler(CSRFError)
def csrf_error(exc):
    return error_page(400, "form_expired")


@bp.errorhandler(403)
def forbidden(exc):
    return error_page(403, "forbidden")


@bp.errorhandler(404)
def not_found(exc):
    return error_page(404, "not_found")


@bp.errorhandler(405)
def method_not_allowed(exc):
    return error_page(405, "method")


def page_size() -> int:
    return int(current_app.config["MODERATION_PAGE_SIZE"])


def cursor(name: str) -> int | None:
    """A keyset paging position from the query string (the id of the row at a page's edge)."""
    return whole_number(request.args.get(name), 1, SQLITE_MAX_INTEGER)


def render(template: str, **context) -> str:
    return render_template(f"moderation/{template}", **context)

