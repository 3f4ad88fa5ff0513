"""Owns the public feed on the site, at build time: `<!-- answered -->` in a page becomes the
answered questions published in the reader's language, `<!-- you-said-we-did -->` the changes
made because of feedback, and every programme page ends with its latest answers and changes.
The reading, escaping and lists are in tools/feed.py.

Where the feed is: `extra.feed` in mkdocs.yml (a URL or a file path), or the SITE_FEED
environment variable when set (CI sets it from a repository variable). When it is empty or cannot be read, the
build uses data/feed_snapshot.json and says so in the log at INFO level: a feed that is down must
not stop `mkdocs build --strict` (which fails on any WARNING), and the log line says what happened.
"""
from __future__ import annotations

import os
import sys
import time

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority, get_plugin_logger
from mkdocs.utils import get_relative_url

import _shared

if str(_shared.ROOT) not in sys.path:  # MkDocs restores sys.path after loading each hook
    sys.path.insert(0, str(_shared.ROOT))
from tools import feed as data  # noqa: E402

log = get_plugin_logger("feed")
i18n = _shared.i18n
ANSWERED, CHANGES = "<!-- answered -->", "<!-- you-said-we-did -->"
CACHE_SECONDS = 300  # `mkdocs serve` rebuilds often: read the feed at most this often

_state: dict = {"location": None, "loaded": None, "at": 0.0}


def on_config(config):
    # SITE_FEED wins over mkdocs.yml (CI, tests). Read once: every language uses the same feed.
    if "SITE_FEED" in os.environ:
        _state["location"] = os.environ["SITE_FEED"].strip()
    elif "feed" in (config.extra or {}):
        _state["location"] = str(config.extra.get("feed") or "").strip()
    return config


def loaded() -> data.Loaded:
    if _state["loaded"] is None or time.monotonic() - _state["at"] > CACHE_SECONDS:
        try:
            result = data.load(_state["location"])
        except (data.FeedError, ValueError, OSError) as error:
            # Only the committed snapshot can fail here (the feed itself falls back to it).
            raise PluginError(f"{data.SNAPSHOT.relative_to(_shared.ROOT)} cannot be used ({error}): restore "
                              "it with `git checkout data/feed_snapshot.json`, or refresh it with "
                              "`python -m tools.feed snapshot <feed URL>`.") from error
        if result.from_snapshot:
            updated = result.doc.get("updated_at") or "never"
            log.info(f"Feed not used ({result.problem}): building the answered questions and "
                     f"'you said, we did' from the snapshot {data.SNAPSHOT.relative_to(_shared.ROOT)} "
                     f"(feed updated: {updated}). Not an error: the pages show what the snapshot holds.")
        else:
            log.info(f"Feed read from {result.origin}: {len(result.doc['answers'])} answers, "
                     f"{len(result.doc['changes'])} changes.")
        _state.update(loaded=result, at=time.monotonic())
    return _state["loaded"]


def renderer(config, page) -> data.Renderer:
    lang = _shared.current_language(config)
    root = _shared.language_root(config, lang)
    default = _shared.default_language(config)
    fallback = (config.extra or {}).get("fallback_language")
    fallbacks = [code for code in (fallback, default) if code and code != lang]

    def link(path: str) -> str:
        return get_relative_url(root + path, page.url)

    return data.Renderer(
        lang, lambda key, **values: _shared.t(lang, key, **values),
        lambda slug: _shared.t(lang, f"components.{slug}"), _shared.text_direction, fallbacks,
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
