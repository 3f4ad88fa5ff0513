"""Owns the public feed on the static site: reading it (a URL or a file), falling back to the
committed snapshot (data/feed_snapshot.json) when it cannot be read, and turning it into HTML in
a reader's language: the "Answered questions" list, the "You said, we did" list, and the short
lists at the end of each programme page, during the build (hooks/feed.py calls the `on_*`
events below).

    python -m ehsaas_site.feed check [LOCATION]       # read a feed (or the snapshot) and summarise it
    python -m ehsaas_site.feed snapshot LOCATION      # save a feed as the new data/feed_snapshot.json

Everything from the feed is escaped (templates/feed.html, autoescaped): it is public text written
by moderators, but the site must stay safe even if the feed were not. Lists are cut to a gzip byte budget so that every page stays
within the page-weight budget (benchmarks/page_weight.py) however long the answers are.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.utils import get_relative_url

from feedback_api import i18n

from . import build, html
from .html import Markup
from .pages import ROOT

SNAPSHOT = ROOT / "data" / "feed_snapshot.json"  # the build passes its own (build.data_dir)
FEED_VERSION = 1
FETCH_TIMEOUT_SECONDS = 10
MAX_FEED_BYTES = 20 * 1024 * 1024
# gzip bytes the feed may add to a page: the answered page holds a further-page budget of 6 KB
# with about 3.5 KB of Material around it; a programme page already weighs about 4.3 KB.
ANSWERS_PAGE_BUDGET = 2000
COMPONENT_BUDGET = 1100
CHANGES_PAGE_BUDGET = 2000
COMPONENT_ANSWERS = 3
COMPONENT_CHANGES = 2
EXCERPT_CHARS = 160


class FeedError(ValueError):
    """The feed could not be read or is not a feed (the message says why)."""


@dataclass
class Loaded:
    doc: dict
    origin: str                 # where it came from: a URL, a path, or the snapshot
    from_snapshot: bool
    problem: str | None = None  # why the configured feed was not used
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading

def check(doc) -> dict:
    """The document if it looks like a feed we can show; FeedError otherwise."""
    if not isinstance(doc, dict):
        raise FeedError("not a JSON object")
    if doc.get("feed_version") != FEED_VERSION:
        raise FeedError(f"feed_version is {doc.get('feed_version')!r}, expected {FEED_VERSION}")
    for key in ("answers", "changes"):
        items = doc.get(key)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise FeedError(f"`{key}` must be a list of objects")
    for item in doc["answers"]:
        for key in ("id", "language", "component", "question", "answer"):
            if not isinstance(item.get(key), str):
                raise FeedError(f"an answer lacks `{key}`")
    for item in doc["changes"]:
        if not isinstance(item.get("texts"), dict) or not isinstance(item.get("component"), str):
            raise FeedError("a change lacks `texts` or `component`")
    return doc


def read(location: str, timeout: float = FETCH_TIMEOUT_SECONDS) -> dict:
    """A feed from an http(s) URL or a file path (relative to the repository)."""
    try:
        if location.startswith(("http://", "https://")):
            request = urllib.request.Request(location, headers={"Accept": "application/json",
                                                                "User-Agent": "site-build"})
            with urllib.request.urlopen(request, timeout=timeout) as response:
                raw = response.read(MAX_FEED_BYTES + 1)
        else:
            path = Path(location)
            raw = (path if path.is_absolute() else ROOT / path).read_bytes()
    except (OSError, urllib.error.URLError, ValueError) as error:
        raise FeedError(f"could not read {location}: {error}") from error
    if len(raw) > MAX_FEED_BYTES:
        raise FeedError(f"{location} is larger than {MAX_FEED_BYTES} bytes")
    try:
        return check(json.loads(raw.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise FeedError(f"{location} is not JSON: {error}") from error


def load(location: str | None, snapshot: Path = SNAPSHOT) -> Loaded:
    """The configured feed, else the snapshot (with the reason). Changes that the snapshot
    takes from the programme's own document are kept either way: they are not in the service."""
    snap = check(json.loads(snapshot.read_text(encoding="utf-8")))
    documented = [c for c in snap["changes"] if c.get("origin") == "programme_document"]
    if not location:
        return Loaded(snap, str(snapshot), True, "no feed configured (extra.feed is empty)")
    try:
        doc = read(location)
    except FeedError as error:
        return Loaded(snap, str(snapshot), True, str(error))
    ids = {c.get("id") for c in doc["changes"]}
    doc["changes"] = doc["changes"] + [c for c in documented if c.get("id") not in ids]
    return Loaded(doc, location, False)


# ---------------------------------------------------------------- small helpers

def blocks(text: str) -> list[list[str]]:
    """Plain text as paragraphs, each a list of its lines (single line breaks kept)."""
    found = [b.strip() for b in str(text).replace("\r\n", "\n").split("\n\n") if b.strip()]
    return [b.splitlines() for b in found]


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + "…"


def format_date(value: str | None, t) -> str | None:
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None
    return f"{day.day} {t(f'meetings.months.m{day.month}')} {day.year}"


def gz_size(text: str) -> int:
    return len(gzip.compress(text.encode("utf-8"), 6, mtime=0))


def fit(parts: list[str], budget: int, head: str = "", tail: str = "") -> int:
    """How many of `parts` (in order) fit in `budget` gzip bytes with head and tail; at least one."""
    count = 0
    for n in range(1, len(parts) + 1):
        if n > 1 and gz_size(head + "".join(parts[:n]) + tail) > budget:
            break
        count = n
    return count


def answers_for(doc: dict, lang: str, component: str | None = None) -> list[dict]:
    items = [a for a in doc["answers"] if a.get("language") == lang
             and (component is None or a.get("component") == component)]
    # The feed lists newest first; a stable sort by day keeps that order within a day.
    return sorted(items, key=lambda a: str(a.get("published_on") or ""), reverse=True)


def changes_for(doc: dict, component: str | None = None) -> list[dict]:
    items = [c for c in doc["changes"] if component is None or c.get("component") == component]
    return sorted(items, key=lambda c: str(c.get("happened_on") or c.get("published_on") or ""), reverse=True)


def change_text(change: dict, lang: str, fallbacks: list[str]) -> tuple[str, dict] | None:
    """(language, text) of a change in the reader's language, else the first fallback it has."""
    for code in (lang, *fallbacks):
        text = change["texts"].get(code)
        if isinstance(text, dict) and text.get("said") and text.get("done"):
            return code, text
    return None


# ---------------------------------------------------------------- the lists

class Renderer:
    """HTML for one reader's language, written by the macros of templates/feed.html (this class
    chooses what goes in and what fits the budgets). `t(key, **values)` answers a string in
    that language; `component_name(slug)`; `direction(code)`; `fallbacks`: languages to show a
    change in when it has no text in the reader's; `links`: {"answered", "changes", "check": href}."""

    def __init__(self, lang, t, component_name, direction, fallbacks, links):
        self.lang, self.t, self.component_name, self.fallbacks = lang, t, component_name, fallbacks
        self.html = html.Fragments("feed.html", t=t, reader=lang, direction=direction,
                                   component_name=component_name, links=links, excerpt=excerpt)

    def _answer(self, item: dict) -> str:
        meta = [self.component_name(item["component"])]
        day = format_date(item.get("published_on"), self.t)
        if day:
            meta.append(self.t("loop.published_on", date=day))
        return self.html("answer", item, meta, blocks(item["answer"]))

    def updated_line(self, doc: dict) -> str:
        day = format_date(doc.get("updated_at"), self.t)
        return self.html("updated", day) if day else ""

    def figures(self, doc: dict) -> str:
        totals = ((doc.get("stats") or {}).get("totals")) or {}
        received, answered = totals.get("received"), totals.get("answered")
        if not received:
            return ""
        text = self.t("loop.figures", received=received, answered=answered or 0)
        days = totals.get("median_days_to_answer")
        if days is not None:
            text += " " + (self.t("loop.median_within_a_day") if days < 1 else
                           self.t("loop.median_days", days=f"{days:g}"))
        return self.html("figures", text)

    def answered_page(self, doc: dict) -> tuple[str, list[str]]:
        """The answered page's list, and the ids of the answers it shows."""
        items = answers_for(doc, self.lang)
        head = self.figures(doc)
        parts = [self._answer(a) for a in items]
        if parts and gz_size(head + parts[0]) > ANSWERS_PAGE_BUDGET:
            # One answer longer than the page's budget: shown shortened (the feed has it whole).
            parts[0] = self._answer({**items[0], "answer": excerpt(items[0]["answer"], 1200)})
        shown = fit(parts, ANSWERS_PAGE_BUDGET, head)
        listing = self.html("answered_page", Markup(head), [Markup(p) for p in parts[:shown]],
                            len(items) - shown, Markup(self.updated_line(doc)))
        return listing, [a["id"] for a in items[:shown]]

    def _change(self, item: dict) -> str:
        found = change_text(item, self.lang, self.fallbacks)
        if found is None:
            return ""
        code, text = found
        where = text.get("place") or item.get("district") or ""
        meta = [format_date(item.get("happened_on"), self.t) or self.t("loop.date_not_stated")]
        if item.get("submissions"):
            meta.append(self.t("loop.in_answer_to", count=item["submissions"]))
        return self.html("change", item, code, text, where, meta)

    def changes_page(self, doc: dict) -> str:
        parts = [p for p in (self._change(c) for c in changes_for(doc)) if p]
        shown = fit(parts, CHANGES_PAGE_BUDGET)
        return self.html("changes_page", [Markup(p) for p in parts[:shown]], len(parts) - shown)

    def component_section(self, doc: dict, component: str, on_answered_page: set[str]) -> str:
        """The end of a programme page: its latest answers (question and the answer's first
        words, linking to the full answer) and changes, or "" when there are none. Older
        items are dropped until the section fits its gzip budget."""
        answers = answers_for(doc, self.lang, component)[:COMPONENT_ANSWERS]
        changes = [c for c in changes_for(doc, component)
                   if change_text(c, self.lang, self.fallbacks)][:COMPONENT_CHANGES]
        while True:
            section = self.html("component", answers, on_answered_page,
                                [change_text(c, self.lang, self.fallbacks) for c in changes])
            if gz_size(section) <= COMPONENT_BUDGET or len(answers) + len(changes) <= 1:
                return section
            if len(changes) > 1 or (changes and len(answers) <= 1):
                changes = changes[:-1]
            else:
                answers = answers[:-1]


# ---------------------------------------------------------------- the build (hooks/feed.py)
#
# Where the feed is: `extra.feed` in mkdocs.yml (a URL or a file path), or the SITE_FEED
# environment variable when set (CI sets it from a repository variable). When it is empty or
# cannot be read, the build uses data/feed_snapshot.json and says so in the log at INFO level: a
# feed that is down must not stop `mkdocs build --strict` (which fails on any WARNING), and the
# log line says what happened.

ANSWERED, CHANGES = "<!-- answered -->", "<!-- you-said-we-did -->"
CACHE_SECONDS = 300  # `mkdocs serve` rebuilds often: read the feed at most this often
SNAPSHOT_NAME = Path("data") / "feed_snapshot.json"
log = get_plugin_logger("feed")

_state: dict = {"location": None, "snapshot": SNAPSHOT, "loaded": None, "at": 0.0}


def on_config(config):
    # SITE_FEED wins over mkdocs.yml (CI, tests). Read once: every language uses the same feed.
    snapshot = build.data_dir(config) / SNAPSHOT_NAME.name
    if snapshot != _state["snapshot"]:  # another project's build in this process
        _state.update(snapshot=snapshot, loaded=None)
    if "SITE_FEED" in os.environ:
        _state["location"] = os.environ["SITE_FEED"].strip()
    elif "feed" in (config.extra or {}):
        _state["location"] = str(config.extra.get("feed") or "").strip()
    return config


def loaded() -> Loaded:
    if _state["loaded"] is None or time.monotonic() - _state["at"] > CACHE_SECONDS:
        try:
            result = load(_state["location"], _state["snapshot"])
        except (FeedError, ValueError, OSError) as error:
            # Only the committed snapshot can fail here (the feed itself falls back to it).
            raise PluginError(f"{SNAPSHOT_NAME} cannot be used ({error}): restore "
                              "it with `git checkout data/feed_snapshot.json`, or refresh it with "
                              "`python -m ehsaas_site.feed snapshot <feed URL>`.") from error
        if result.from_snapshot:
            updated = result.doc.get("updated_at") or "never"
            log.info(f"Feed not used ({result.problem}): building the answered questions and "
                     f"'you said, we did' from the snapshot {SNAPSHOT_NAME} "
                     f"(feed updated: {updated}). Not an error: the pages show what the snapshot holds.")
        else:
            log.info(f"Feed read from {result.origin}: {len(result.doc['answers'])} answers, "
                     f"{len(result.doc['changes'])} changes.")
        _state.update(loaded=result, at=time.monotonic())
    return _state["loaded"]


def renderer(config, page) -> Renderer:
    lang = build.current_language(config)
    root = build.language_root(config, lang)
    default = build.default_language(config)
    fallback = (config.extra or {}).get("fallback_language")
    fallbacks = [code for code in (fallback, default) if code and code != lang]

    def link(path: str) -> str:
        return get_relative_url(root + path, page.url)

    return Renderer(
        lang, lambda key, **values: build.t(lang, key, **values),
        lambda slug: build.t(lang, f"components.{slug}"), build.text_direction, fallbacks,
        {"answered": link("answered/"), "changes": link("you-said-we-did/"), "check": link("check/")})


# After translations.py (priority 0) wrapped a fallback page's text in its own language: our
# lists are in the reader's language and go outside that wrapper.
@event_priority(-50)
def on_page_content(html, page, config, files):
    path = getattr(page.file, "norm_src_uri", page.file.src_uri)
    is_component = path.startswith("programme/") and path[len("programme/"):-3] in i18n.components()
    if ANSWERED not in html and CHANGES not in html and not is_component:
        return html
    doc = loaded().doc
    render = renderer(config, page)
    listing, shown = render.answered_page(doc)
    html = html.replace(ANSWERED, listing).replace(CHANGES, render.changes_page(doc))
    if is_component:
        html += render.component_section(doc, path[len("programme/"):-3], set(shown))
    return html


# ---------------------------------------------------------------- command line

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ehsaas_site.feed", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check", help="read a feed (default: the snapshot) and summarise it")
    p_check.add_argument("location", nargs="?")
    p_snap = sub.add_parser("snapshot", help="save a feed as data/feed_snapshot.json")
    p_snap.add_argument("location")
    p_snap.add_argument("--to", type=Path, default=SNAPSHOT, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "check":
        try:
            doc = read(args.location) if args.location else check(json.loads(SNAPSHOT.read_text("utf-8")))
        except FeedError as error:
            print(f"Not a usable feed: {error}", file=sys.stderr)
            return 1
        langs = sorted({a["language"] for a in doc["answers"]})
        print(f"{len(doc['answers'])} answers ({', '.join(langs) or 'none'}), "
              f"{len(doc['changes'])} changes, updated {doc.get('updated_at') or 'never'}")
        return 0
    try:
        doc = read(args.location)
    except FeedError as error:
        print(f"Snapshot not changed: {error}", file=sys.stderr)
        return 1
    # Keep the programme document's own entries: the service does not hold them.
    old = json.loads((args.to if args.to.is_file() else SNAPSHOT).read_text("utf-8"))
    ids = {c.get("id") for c in doc["changes"]}
    doc["changes"] += [c for c in old["changes"] if c.get("origin") == "programme_document" and c.get("id") not in ids]
    for key in ("note",):
        if key in old:
            doc[key] = old[key]
    args.to.write_text(json.dumps(doc, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"Saved {len(doc['answers'])} answers and {len(doc['changes'])} changes to {args.to}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
