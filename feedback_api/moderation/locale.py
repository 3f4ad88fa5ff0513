"""Owns the language and the clock of moderation pages: which interface language a member of
staff reads (their stored choice; a language whose data/strings/<lang>.yml has no `moderation`
part shows English), its strings and digits, and times in the deployment's time zone
(FEEDBACK_TIME_ZONE, default Asia/Karachi), labelled, with waiting times in plain words.
Times stay stored in UTC (storage.now()); only what is shown changes."""
from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

from flask import current_app, g, request
from markupsafe import Markup, escape

from .. import i18n

DEFAULT_TIME_ZONE = "Asia/Karachi"
ASCII_DIGITS = "0123456789"


@functools.cache
def ui_languages() -> tuple[str, ...]:
    """Languages moderation can be shown in: those whose strings file has a `moderation` part."""
    return tuple(code for code in i18n.languages() if "moderation" in i18n.strings(code))


def current() -> str:
    """This request's interface language: the signed-in user's choice; before sign-in, ?lang=
    or the browser's preference among the languages moderation has."""
    user = getattr(g, "user", None)
    choice = (user or {}).get("language")
    if not user:
        choice = request.args.get("lang") or request.form.get("lang") or \
            request.accept_languages.best_match(ui_languages())
    return choice if choice in ui_languages() else i18n.DEFAULT_LANGUAGE


def ui_draft() -> bool:
    """Whether this request's interface language is a draft translation of moderation, not yet
    checked by a reader of it (data/translation_review.yml): every page then says so."""
    return i18n.is_draft(current(), "moderation")


def answers_draft(lang: str) -> bool:
    """Whether the template replies in `lang` are a draft translation (data/translation_review.yml):
    the submission page says so where it offers them, since they are sent to the public."""
    return i18n.is_draft(lang, "answer_templates")


def direction(lang: str | None = None) -> str:
    return i18n.text_direction(lang or current())


def digits(value, lang: str | None = None) -> str:
    """`value` as text with the language's own digits (Urdu: ۰-۹; its strings file says which)."""
    own = i18n.t(lang or current(), "moderation.digits")
    text = str(value)
    return text if own == ASCII_DIGITS else text.translate(str.maketrans(ASCII_DIGITS, own))


def mt(key: str, **values) -> Markup:
    """The moderation string `key` in this request's language (English where it lacks one),
    as HTML: the string escaped, values escaped unless already markup (a <time>), numbers in
    the language's digits."""
    lang = current()
    shown = {k: digits(f"{v:,}" if isinstance(v, int) else v, lang)
             if isinstance(v, (int, float)) and not isinstance(v, bool) else v
             for k, v in values.items()}
    return escape(i18n.t(lang, f"moderation.{key}")).format(**shown)


# ---------------------------------------------------------------- time

def zone() -> ZoneInfo:
    """FEEDBACK_TIME_ZONE (config checks the name at start)."""
    return _zone(str(current_app.config.get("TIME_ZONE") or DEFAULT_TIME_ZONE))


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def parse(stamp: str) -> dt.datetime:
    return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def zone_label() -> str:
    """"Pakistan time" for Asia/Karachi, else "<abbreviation> time" (e.g. "GMT time")."""
    tz = zone()
    if tz.key == DEFAULT_TIME_ZONE:
        return mt("time.zone_pakistan")
    return mt("time.zone_other", zone=dt.datetime.now(tz).tzname() or tz.key)


def local(stamp: str | None, with_label: bool = True) -> Markup:
    """A stored UTC stamp as a <time> element in the deployment's zone, in words and digits of
    the reader's language, labelled with the zone; the UTC moment stays in datetime=."""
    if not stamp:
        return Markup("")
    moment = parse(stamp).astimezone(zone())
    lang = current()
    shown = mt("time.format", day=moment.day, month=i18n.t(lang, f"meetings.months.m{moment.month}"),
               year=digits(moment.year, lang), time=digits(moment.strftime("%H:%M"), lang))
    if with_label:
        shown = mt("time.labelled", moment=shown, zone=zone_label())
    return Markup('<time datetime="{}">{}</time>').format(stamp, shown)


def local_date(stamp: str | None) -> str:
    """The day (YYYY-MM-DD) a UTC stamp falls on in the deployment's zone."""
    return parse(stamp).astimezone(zone()).date().isoformat() if stamp else ""


def today() -> dt.date:
    return dt.datetime.now(zone()).date()


def duration(seconds: float) -> str:
    """Plain words: "just now", "40 minutes", "5 hours", "1 day and 4 hours", "12 days"."""
    seconds = max(0, int(seconds))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400

    def unit(name: str, n: int) -> str:
        return mt(f"time.{name}_one") if n == 1 else mt(f"time.{name}", n=n)

    if minutes < 1:
        return mt("time.just_now")
    if hours < 1:
        return unit("minutes", minutes)
    if days < 1:
        return unit("hours", hours)
    if days < 2 and hours % 24:
        return mt("time.and", a=unit("days", 1), b=unit("hours", hours % 24))
    return unit("days", days)


def since(stamp: str | None) -> str:
    """How long ago `stamp` was, in plain words."""
    if not stamp:
        return ""
    return duration((dt.datetime.now(dt.timezone.utc) - parse(stamp)).total_seconds())


def waiting(stamp: str | None) -> str:
    return mt("time.waiting", duration=since(stamp)) if stamp else ""


def template_globals() -> dict:
    return {"mt": mt, "ui_lang": current, "ui_dir": direction, "UI_LANGUAGES": ui_languages(),
            "zone_label": zone_label, "ui_draft": ui_draft,
            "answers_draft": answers_draft}


def template_filters() -> dict:
    return {"local_time": local, "since": since, "waiting": waiting, "num": digits,
            "local_date": local_date}
