"""The build makes HTML one way (ehsaas_site/html.py: Jinja templates with autoescaping): hostile
text in the public feed, meetings or facts comes out as the same text a reader can see, never
as markup, and without the invisible direction controls that would reorder the page."""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import markdown

from ehsaas_site import build, facts, feed, html, meetings
from feedback_api import i18n

BIDI = "\u202e\u2067"  # right-to-left override, isolate: invisible, they reorder what follows
HOSTILE = f'<script>alert("x")</script><img src=x onerror=alert(1)> {BIDI}"quoted" & \'single\''
SEEN = HOSTILE.replace("\u202e", "").replace("\u2067", "")  # what a reader must see, literally
FEED_TAGS = {"div", "section", "h2", "p", "small", "strong", "br", "a", "span", "ul", "li"}


class Parsed(HTMLParser):
    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs, self.text = [], [], []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [value for _, value in attrs if value]

    def handle_data(self, data):
        self.text.append(data)


def renderer(lang: str = "ur") -> feed.Renderer:
    t = lambda key, **values: build.t(lang, key, **values)  # noqa: E731
    return feed.Renderer(lang, t, lambda slug: build.t(lang, f"components.{slug}"), build.text_direction,
                         ["en"], {"answered": "../answered/", "changes": "../you-said-we-did/", "check": "../check/"})


def test_hostile_feed_text_stays_text_in_every_list():
    doc = {"answers": [{"id": f'answer-1" onmouseover="alert(1)', "language": "ur", "component": "kafalat",
                        "question": HOSTILE, "answer": f"{HOSTILE}\nsecond line", "published_on": "2026-11-01"}],
           "changes": [{"id": "change-1", "component": "kafalat", "happened_on": "2026-10-01",
                        "texts": {"en": {"said": HOSTILE, "done": HOSTILE, "place": HOSTILE}}}]}
    render = renderer()
    listing, shown = render.answered_page(doc)
    section = render.component_section(doc, "kafalat", set(shown))
    for markup in (listing, render.changes_page(doc), section):
        page = Parsed(markup)
        assert set(page.tags) <= FEED_TAGS, page.tags          # no script, no img
        assert SEEN in "".join(page.text)                    # the same words, literally
        assert not any(c in markup for c in BIDI)
        assert "onmouseover" not in re.sub(r'"[^"]*"', "", markup)  # the id never breaks out of its quotes
    assert f'answer-1" onmouseover="alert(1)' in Parsed(listing).attrs  # the id is kept, as a value
    # the English change shown to an Urdu reader is marked as English, around the escaped text
    assert '<span lang="en" dir="ltr">&lt;script&gt;' in render.changes_page(doc)


def test_hostile_meeting_details_stay_text_on_the_meetings_page():
    entry = {"date": "2027-01-15", "start": "10:00", "end": "12:00", "kind": "town_hall",
             "district": HOSTILE, "place": HOSTILE, "languages": ["ur"]}
    found = meetings.parse([entry])
    now = dt.datetime(2027, 1, 1, tzinfo=meetings.PAKISTAN)
    text = meetings.render_list(found, "ur", lambda key: i18n.t("ur", key), {"ur": "اردو"},
                                lambda slug: slug, lambda m: f"{m.id}.ics", now)
    page = Parsed(markdown.markdown(text))
    assert "script" not in page.tags and "img" not in page.tags
    assert HOSTILE.replace(BIDI, "") in "".join(page.text).replace(BIDI, "")


def test_a_fact_whose_display_text_is_hostile_stays_text(monkeypatch):
    monkeypatch.setitem(i18n.facts(), "test_hostile", {"value": "0800-1", "kind": "phone", "source": "test",
                                                       "display": {"en": HOSTILE}})
    out = facts.render_fact("test_hostile", "en", "en")
    page = Parsed(out)
    assert page.tags == ["a", "bdi"] and "".join(page.text) == HOSTILE


def test_every_template_escapes_and_no_python_module_writes_html_by_hand():
    env = html.environment()
    names = env.list_templates()
    assert {"feed.html", "meetings.md", "facts.html"} <= set(names)
    assert all(env.select_template([name]).environment.autoescape(name) for name in names)
    package = Path(html.__file__).parent
    by_hand = [f"{path.name}:{n}" for path in package.glob("*.py")
               for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"""\bf["']<[a-zA-Z/]""", line)]
    assert by_hand == []
