"""Owns validation: reading request bodies safely and turning fields into clean values.

Every check looks at the type before the value (schemathesis finds the 500 otherwise), and
every failure names the field and a code that data/strings/<lang>.yml `errors.<code>` explains.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from urllib.parse import parse_qsl

from flask import Request

from . import i18n

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
KINDS = ("question", "feedback", "complaint", "suggestion", "appreciation")
TRUE_WORDS = {"1", "true", "yes", "on", "y"}
FALSE_WORDS = {"", "0", "false", "no", "off", "n"}
# Explicit direction embeddings, overrides and isolates: in a message they can make text
# display in an order other than stored ("Trojan source"). They are removed; the marks
# LRM/RLM/ALM, which Urdu text uses legitimately, stay. Pages also show user text in <bdi>.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_STRIP = dict.fromkeys(map(ord, BIDI_CONTROLS + "\ufeff"))
# The same rules as regular expressions, for the OpenAPI document (ECMA syntax, which Python
# also reads): no control characters but tab (and line breaks in a message), and a message
# needs one character that shows (not space, not one of the invisible characters below).
_CONTROLS_ONE_LINE = "\\u0000-\\u0008\\u000A-\\u001F\\u007F-\\u009F"
_CONTROLS_MULTILINE = "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F"
# Characters that draw nothing: Unicode's Default_Ignorable_Code_Point set in the Basic
# Multilingual Plane (soft hyphen, zero-width spaces and joiners, direction marks and controls,
# the Hangul fillers U+115F U+1160 U+3164 U+FFA0, variation selectors, ...) and U+2800, the
# blank braille pattern, which Unicode does not list but which shows nothing either.
_INVISIBLE = ("\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F\\u200B-\\u200F"
              "\\u202A-\\u202E\\u2060-\\u206F\\u2800\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF0-\\uFFF8")
# The same set outside the BMP (tags, musical format controls, shorthand format controls),
# which the ECMA patterns above cannot name; the code checks them too.
_INVISIBLE_ASTRAL = ((0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
_INVISIBLE_RE = re.compile(f"[\\s{_INVISIBLE}]")
ONE_LINE_PATTERN = f"^[^{_CONTROLS_ONE_LINE}]*$"
MULTILINE_PATTERN = f"^[^{_CONTROLS_MULTILINE}]*$"
PAGE_PATTERN = f"^(/(?!/)[^\\s\\\\{_CONTROLS_ONE_LINE}]*)?$"  # one "/", no spaces, no backslash
SUBMISSION_KEY_PATTERN = "^([A-Za-z0-9_-]{16,64})?$"  # resubmits.py: "" when the form had none
MESSAGE_PATTERN = (f"^[^{_CONTROLS_MULTILINE}]*[^\\s{_CONTROLS_MULTILINE}{_INVISIBLE}]"
                   f"[^{_CONTROLS_MULTILINE}]*$")


class RequestError(Exception):
    """A request that cannot be read at all (before any field is looked at)."""

    def __init__(self, status: int, code: str, **params):
        super().__init__(code)
        self.status, self.code, self.params = status, code, params


def has_visible_text(value: str) -> bool:
    """Whether `value` has one character that shows: not space, not a control, not one of the
    invisible characters above. Zero-width joiners inside Urdu or Persian words are kept as
    typed; only a text made of nothing else is refused."""
    for char in value:
        if _INVISIBLE_RE.match(char) or unicodedata.category(char) == "Cc":
            continue
        code = ord(char)
        if any(low <= code <= high for low, high in _INVISIBLE_ASTRAL):
            continue
        return True
    return False


def kinds() -> tuple[str, ...]:
    return KINDS


def read_body(request: Request) -> tuple[dict, bool]:
    """The request's fields as a dict and whether it came from an HTML form.
    Raises RequestError for a wrong content type (415), invalid UTF-8 or malformed JSON (400);
    a body over MAX_CONTENT_LENGTH raises werkzeug's 413 while being read."""
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if mimetype not in (FORM, JSON) or charset not in ("utf-8", "utf8"):
        raise RequestError(415, "unsupported_media_type")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "invalid_encoding") from None
    if mimetype == FORM:
        try:
            pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict",
                              max_num_fields=50)
        except (UnicodeDecodeError, ValueError):
            raise RequestError(400, "invalid_encoding") from None
        data: dict = {}
        for key, value in pairs:
            data.setdefault(key, value)  # first value wins, as with request.form.get
        return data, True
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise RequestError(400, "malformed_json") from None
    if not isinstance(data, dict):
        raise RequestError(400, "malformed_json")
    return data, False


def clean_text(value, max_chars: int, multiline: bool = False,
               refuse_invisible: bool = False) -> tuple[str | None, str | None]:
    """(clean text or None if empty, error code or None). Text that shows nothing (only
    invisible characters) counts as empty, or is refused with "no_visible_text" when
    `refuse_invisible` (a message: the sender believes they wrote something)."""
    if value is None:
        return None, None
    if not isinstance(value, str):
        return None, "not_text"
    if len(value) > max_chars:  # as typed, before cleaning: the limit the OpenAPI document states
        return None, "too_long"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from JSON "\ud800"
        return None, "invalid_characters"
    allowed = "\t\n\r" if multiline else "\t"
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in value):
        return None, "control_characters"  # NUL and friends: refused, not silently dropped
    value = unicodedata.normalize("NFC", value).translate(_STRIP)
    if multiline:
        value = "\n".join(line.rstrip() for line in value.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        value = value.strip()
    else:
        value = " ".join(value.split())
    if not value:
        return None, None
    if not has_visible_text(value):
        return None, ("no_visible_text" if refuse_invisible else None)
    if len(value) > max_chars:
        return None, "too_long"
    return value, None


def clean_choice(value, choices, default=None) -> tuple[str | None, str | None]:
    """One of `choices`, exactly; absent means `default` (or "required" without one)."""
    if value is None:
        return default, ("required" if default is None else None)
    if not isinstance(value, str):
        return None, "not_text"
    if value not in choices:
        return None, "unknown_choice"
    return value, None


def clean_boolean(value, default: bool | None = False) -> tuple[bool | None, str | None]:
    if value is None:
        return default, ("required" if default is None else None)
    if isinstance(value, bool):
        return value, None
    if isinstance(value, str):
        word = value  # exactly as documented in the OpenAPI enum: what forms send
        if word in TRUE_WORDS:
            return True, None
        if word in FALSE_WORDS and not (default is None and word == ""):
            return False, None
        if word == "":
            return None, "required"
    return None, "invalid_boolean"


def clean_page(value, max_chars: int) -> tuple[str | None, str | None]:
    """A site path such as /ur/programme/kafalat/ (never a scheme or another host)."""
    if isinstance(value, str) and len(value) <= max_chars and not re.match(PAGE_PATTERN, value):
        return None, "invalid_page"  # no spaces anywhere, no scheme, no other host
    return clean_text(value, max_chars)


def clean_district(value, max_chars: int) -> tuple[str | None, str | None]:
    """Free text; a known district (data/districts.yml) is stored in its one spelling."""
    text, error = clean_text(value, max_chars)
    if text:
        text = i18n.district_lookup().get(" ".join(text.casefold().split()), text)
    return text, error


def clean_submission_key(value) -> tuple[str | None, str | None]:
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, "not_text"
    if not re.fullmatch(SUBMISSION_KEY_PATTERN, value):
        return None, "invalid_submission_key"
    return value, None


def message_hash(message: str) -> str:
    """The same words with different spacing or case count as the same message."""
    folded = " ".join(message.casefold().split())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def submission(data: dict, config, default_language: str) -> tuple[dict, dict]:
    """(clean fields, errors {field: code}) for a submission."""
    errors: dict[str, str] = {}
    clean: dict = {}

    def take(field, result):
        value, error = result
        if error:
            errors[field] = error
        clean[field] = value

    take("message", clean_text(data.get("message"), config["MESSAGE_MAX_CHARS"], multiline=True,
                               refuse_invisible=True))
    if "message" not in errors and clean["message"] is None:
        errors["message"] = "required"
    take("kind", clean_choice(data.get("kind"), KINDS, default="feedback"))
    take("component", clean_choice(data.get("component"), (*i18n.components(), "general"), default="general"))
    take("language", clean_choice(data.get("language"), i18n.languages(), default=default_language))
    take("page", clean_page(data.get("page"), config["PAGE_MAX_CHARS"]))
    take("district", clean_district(data.get("district"), config["DISTRICT_MAX_CHARS"]))
    take("name", clean_text(data.get("name"), config["NAME_MAX_CHARS"]))
    take("contact", clean_text(data.get("contact"), config["CONTACT_MAX_CHARS"]))
    take("consent_to_contact", clean_boolean(data.get("consent_to_contact"), default=False))
    take("submission_key", clean_submission_key(data.get("submission_key")))
    honeypot = data.get("website")
    clean["honeypot_filled"] = bool(honeypot) if not isinstance(honeypot, str) else bool(honeypot.strip())
    return clean, errors


def rating(data: dict, config, default_language: str) -> tuple[dict, dict]:
    errors: dict[str, str] = {}
    clean: dict = {}
    for field, result in (
        ("page", clean_page(data.get("page"), config["PAGE_MAX_CHARS"])),
        ("language", clean_choice(data.get("language"), i18n.languages(), default=default_language)),
        ("helpful", clean_boolean(data.get("helpful"), default=None)),
        ("comment", clean_text(data.get("comment"), config["COMMENT_MAX_CHARS"], multiline=True)),
    ):
        value, error = result
        if error:
            errors[field] = error
        clean[field] = value
    if "page" not in errors and clean["page"] is None:
        errors["page"] = "required"
    return clean, errors


def form_values(data: dict) -> dict:
    """What the person typed, as text, to put back into the form on an error page."""
    return {k: v for k, v in data.items() if isinstance(v, str) and k != "website"}
