"""Owns the community meetings on the site: `<!-- meetings -->` in a page (docs/<lang>/meetings.md)
becomes the list of upcoming and past meetings from data/meetings.yml in the reader's language,
and every meeting gets a calendar file per language, site/<lang>/meetings/<id>.ics.

Upcoming/past is decided when the site is built (CI rebuilds and publishes it on every push
to main); each page says on which day its list was made.
A mistake in data/meetings.yml stops the build with a message saying which meeting to fix.
"""
from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.utils import get_relative_url

import _shared

# MkDocs restores sys.path after loading each hook, so the repo root _shared added on first
# import may be gone by now: add it again before importing from tools/.
if str(_shared.ROOT) not in sys.path:
    sys.path.insert(0, str(_shared.ROOT))
from tools import meetings as data  # noqa: E402

i18n = _shared.i18n


def _meetings() -> list[data.Meeting]:
    try:
        return data.load(_shared.ROOT / "data" / "meetings.yml", i18n.components())
    except data.MeetingError as error:
        raise PluginError(f"data/meetings.yml: {error}") from error


def _helpers(lang: str):
    names = {code: i18n.strings(code)["meta"]["name"] for code in i18n.languages()}
    return (lambda key: i18n.t(lang, key)), names, (lambda slug: i18n.t(lang, f"components.{slug}"))


def ics_path(config, lang: str, meeting: data.Meeting) -> str:
    return f"{_shared.language_root(config, lang)}meetings/{meeting.id}.ics"


@event_priority(10)  # before hooks/facts.py checks the page for anything it does not understand
def on_page_markdown(markdown, page, config, files):
    if data.MARKER not in markdown:
        return markdown
    lang = _shared.current_language(config)
    t, names, component = _helpers(lang)
    listing = data.render_list(_meetings(), lang, t, names, component,
                               lambda m: get_relative_url(ics_path(config, lang, m), page.url))
    return markdown.replace(data.MARKER, listing)


def on_post_build(config):
    """Runs once per language build: that language's calendar files."""
    lang = _shared.current_language(config)
    t, names, _ = _helpers(lang)
    site = Path(config.site_dir)
    page_url = f"{(config.site_url or '').rstrip('/')}/{_shared.language_root(config, lang)}meetings/"
    for meeting in _meetings():
        path = site / ics_path(config, lang, meeting)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(data.render_ics(meeting, lang, t, names, page_url), encoding="utf-8", newline="")
