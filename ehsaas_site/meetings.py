"""Owns community meetings: reading data/meetings.yml (with errors an editor can act on), splitting
them into upcoming and past, the meetings list in a reader's language, and one .ics calendar
file per meeting, during the build (hooks/meetings.py calls the `on_*` events below).

    python -m ehsaas_site.meetings            # check data/meetings.yml and list what the site will show
"""
from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

from feedback_api import i18n

from . import build, html
from .pages import ROOT

DATA_FILE = ROOT / "data" / "meetings.yml"  # the build passes its own (build.data_dir)
KINDS = ("town_hall", "feedback_session", "workshop", "awareness_session")
PAKISTAN = dt.timezone(dt.timedelta(hours=5), "PKT")   # Pakistan keeps UTC+5 all year
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MARKER = "<!-- meetings -->"


class MeetingError(ValueError):
    """data/meetings.yml has a mistake; the message names the meeting and what to change."""


@dataclass(frozen=True)
class Meeting:
    id: str
    date: dt.date
    start: dt.time
    end: dt.time | None
    kind: str
    district: str
    place: str | dict
    languages: tuple[str, ...]
    about: str | None = None

    @property
    def starts_at(self) -> dt.datetime:
        return dt.datetime.combine(self.date, self.start, PAKISTAN)

    @property
    def ends_at(self) -> dt.datetime:
        end = self.end or (dt.datetime.combine(self.date, self.start) + dt.timedelta(hours=2)).time()
        return dt.datetime.combine(self.date, end, PAKISTAN)

    def place_in(self, lang: str, default: str = "en") -> str:
        if isinstance(self.place, dict):
            return str(self.place.get(lang) or self.place.get(default) or next(iter(self.place.values())))
        return str(self.place)


def _problem(path: Path, number: int, entry, what: str) -> MeetingError:
    name = entry.get("date", "?") if isinstance(entry, dict) else "?"
    return MeetingError(f"{path.name}: meeting {number} (date {name}): {what}")


def _time(path, number, entry, key, required=True) -> dt.time | None:
    value = entry.get(key)
    if value is None and not required:
        return None
    if isinstance(value, int):  # YAML reads an unquoted 10:00 as a number of minutes (600)
        value = f"{value // 60}:{value % 60:02d}"
    match = TIME.match(str(value or ""))
    if not match:
        raise _problem(path, number, entry, f'{key} must be a 24-hour time in quotes, like "14:30" '
                                            f"(got {value!r}).")
    return dt.time(int(match.group(1)), int(match.group(2)))


def parse(entries, path: Path = DATA_FILE, known_components=()) -> list[Meeting]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise MeetingError(f"{path.name}: `meetings:` must be a list: each meeting starts with '- date:'.")
    meetings, seen = [], set()
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise _problem(path, number, {}, "each meeting is a block of `key: value` lines.")
        missing = [k for k in ("date", "start", "kind", "district", "place", "languages") if not entry.get(k)]
        if missing:
            raise _problem(path, number, entry, f"add {', '.join(missing)} (see the example at the top "
                                                "of the file).")
        date = entry["date"]
        if not isinstance(date, dt.date):
            try:
                date = dt.date.fromisoformat(str(date))
            except ValueError:
                raise _problem(path, number, entry, "date must be written YYYY-MM-DD, like 2027-01-15.") from None
        start, end = _time(path, number, entry, "start"), _time(path, number, entry, "end", required=False)
        if end is not None and end <= start:
            raise _problem(path, number, entry, "end must be later than start.")
        if entry["kind"] not in KINDS:
            raise _problem(path, number, entry, f"kind must be one of {', '.join(KINDS)} "
                                                f"(got {entry['kind']!r}).")
        languages = entry["languages"]
        if isinstance(languages, str):
            languages = [part.strip() for part in languages.split(",")]
        if not isinstance(languages, list) or not all(isinstance(x, str) and x for x in languages):
            raise _problem(path, number, entry, "languages is a list, like [sd, ur].")
        if not isinstance(entry["place"], (str, dict)):
            raise _problem(path, number, entry, "place is a line of text (or one line per language).")
        about = entry.get("about")
        if about is not None and known_components and about not in known_components:
            raise _problem(path, number, entry, f"about must be a programme part: {', '.join(known_components)}.")
        ident = str(entry.get("id") or f"{date.isoformat()}-{_slug(entry['district'])}-{entry['kind']}")
        if ident in seen:
            raise _problem(path, number, entry, f"two meetings have the id {ident!r}: give one an `id:`.")
        seen.add(ident)
        meetings.append(Meeting(ident, date, start, end, entry["kind"], str(entry["district"]),
                                entry["place"], tuple(languages), about))
    return sorted(meetings, key=lambda m: m.starts_at)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-") or "meeting"


def load(path: Path = DATA_FILE, known_components=()) -> list[Meeting]:
    if not path.is_file():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise MeetingError(f"{path.name} is not valid YAML: {error}. Check indentation and quotes.") from error
    except ValueError as error:  # YAML reads 2027-02-30 as a date and fails on it
        raise MeetingError(f"{path.name}: a date is not a real day ({error}): date must be written "
                           "YYYY-MM-DD, like 2027-01-15, with a month and day that exist.") from error
    if not isinstance(data, dict):
        raise MeetingError(f"{path.name}: the file must start with `meetings:`.")
    return parse(data.get("meetings"), path, known_components)


def split(meetings: list[Meeting], now: dt.datetime | None = None) -> tuple[list[Meeting], list[Meeting]]:
    """(upcoming soonest first, past most recent first); a meeting is upcoming until it ends."""
    now = now or dt.datetime.now(PAKISTAN)
    upcoming = [m for m in meetings if m.ends_at >= now]
    past = [m for m in meetings if m.ends_at < now]
    return upcoming, list(reversed(past))


# --- the page ------------------------------------------------------------------------------------

def format_date(day: dt.date, t) -> str:
    return f"{day.day} {t(f'meetings.months.m{day.month}')} {day.year}"


def language_name(code: str, names: dict[str, str]) -> str:
    return names.get(code, code)


def render_list(meetings: list[Meeting], lang: str, t, names: dict[str, str], component_name,
                ics_href, now: dt.datetime | None = None) -> str:
    """The Markdown (with a little HTML: templates/meetings.md) that replaces <!-- meetings -->
    in a meetings page. `t(key)` answers a string in the reader's language;
    `ics_href(meeting)` is the link to its calendar file."""
    today = (now or dt.datetime.now(PAKISTAN)).date()
    comma = "، " if t("meta.dir") == "rtl" else ", "
    upcoming, past = split(meetings, now)
    return html.render(
        "meetings.md", upcoming=upcoming, past=past, t=t, comma=comma, component_name=component_name,
        ics_href=ics_href, updated=t("meetings.updated").format(date=format_date(today, t)),
        day=lambda day: format_date(day, t), place=lambda m: m.place_in(lang),
        hours=lambda m: f"{m.start:%H:%M}" + (f"–{m.end:%H:%M}" if m.end else ""),
        spoken=lambda m: comma.join(language_name(code, names) for code in m.languages)) + "\n"


# --- calendar files --------------------------------------------------------------------------------

def _ics_text(value: str) -> str:
    return (str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > 75:
            out.append(current.decode("utf-8"))
            current = b" "
        current += encoded
    out.append(current.decode("utf-8"))
    return "\r\n".join(out)


def render_ics(m: Meeting, lang: str, t, names: dict[str, str], url: str = "",
               stamp: dt.datetime | None = None) -> str:
    utc = lambda moment: moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    spoken = ", ".join(language_name(code, names) for code in m.languages)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Ehsaas community outreach//meetings//EN",
        "CALSCALE:GREGORIAN", "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:{m.id}@ehsaas-community-outreach",
        f"DTSTAMP:{utc(stamp or dt.datetime.now(dt.timezone.utc))}",
        f"DTSTART:{utc(m.starts_at)}", f"DTEND:{utc(m.ends_at)}",
        f"SUMMARY:{_ics_text(t(f'meetings.kinds.{m.kind}') + ': ' + m.district)}",
        f"LOCATION:{_ics_text(m.place_in(lang) + ', ' + m.district)}",
        f"DESCRIPTION:{_ics_text(t('meetings.languages') + ': ' + spoken)}",
    ]
    if url:
        lines.append(f"URL:{url}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


# ---------------------------------------------------------------- the build (hooks/meetings.py)


def _meetings(config) -> list[Meeting]:
    try:
        return load(build.data_dir(config) / "meetings.yml", i18n.components())
    except MeetingError as error:
        raise PluginError(f"data/meetings.yml: {error}") from error


def _helpers(lang: str):
    names = {code: i18n.strings(code)["meta"]["name"] for code in i18n.languages()}
    return (lambda key: i18n.t(lang, key)), names, (lambda slug: i18n.t(lang, f"components.{slug}"))


def ics_path(config, lang: str, meeting: Meeting) -> str:
    return f"{build.language_root(config, lang)}meetings/{meeting.id}.ics"


@event_priority(10)  # before hooks/facts.py checks the page for anything it does not understand
def on_page_markdown(markdown, page, config, files):
    if MARKER not in markdown:
        return markdown
    lang = build.current_language(config)
    t, names, component = _helpers(lang)
    listing = render_list(_meetings(config), lang, t, names, component,
                               lambda m: get_relative_url(ics_path(config, lang, m), page.url))
    return markdown.replace(MARKER, listing)


def on_post_build(config):
    """Runs once per language build: that language's calendar files."""
    lang = build.current_language(config)
    t, names, _ = _helpers(lang)
    site = Path(config.site_dir)
    page_url = f"{(config.site_url or '').rstrip('/')}/{build.language_root(config, lang)}meetings/"
    for meeting in _meetings(config):
        path = site / ics_path(config, lang, meeting)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_ics(meeting, lang, t, names, page_url), encoding="utf-8", newline="")


# ---------------------------------------------------------------- command line

def main() -> int:
    try:
        meetings = load(DATA_FILE, i18n.components())
    except MeetingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    upcoming, past = split(meetings)
    print(f"{DATA_FILE.relative_to(ROOT)}: {len(meetings)} meeting(s), {len(upcoming)} upcoming, {len(past)} past")
    for m in upcoming + past:
        print(f"  {m.date} {m.start:%H:%M} {m.kind} {m.district}: site/<lang>/meetings/{m.id}.ics")
    return 0


if __name__ == "__main__":
    sys.exit(main())
