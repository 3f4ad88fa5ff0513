"""Facts in the built site (fixture `built_site`, a real strict build): what a reader of each
language sees first, numbers only from data/facts.yml, links only to official sites, and the
Urdu pages at a phone's size with JavaScript off (screenshots in benchmarks/screenshots/)."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from markupsafe import escape

from tests.test_site_build import LANGS, SITE_URL, html_pages
from ehsaas_site import facts_report as data
from feedback_api.i18n import t

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "benchmarks" / "screenshots"
FACTS = data.load_facts()
RUNNING = ("kafalat", "nashonuma", "undergraduate-scholarships")
COMPONENTS = RUNNING + ("emergency-cash", "amdan", "langar")


def page(site: Path, lang: str, path: str) -> str:
    root = site if lang == "en" else site / lang
    return (root / path / "index.html").read_text(encoding="utf-8")


def article(markup: str) -> str:
    return re.search(r"<article\b.*?</article>", markup, re.S).group(0)


def words(markup: str) -> list[str]:
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).split()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_page_opens_with_its_name_now_whether_it_runs_and_when_facts_were_checked(built_site, lang, component):
    body = article(page(built_site, lang, f"programme/{component}"))
    status = re.search(r"</h1>\s*<ul>(.*?)</ul>", body, re.S)
    assert status, f"{lang}/{component}: no status list under the heading"
    items = re.findall(r"<li>(.*?)</li>", status.group(1), re.S)
    assert len(items) >= 3, items
    assert re.search(r"<time datetime=\"\d{4}-\d{2}-\d{2}\">", items[-1]), items[-1]


def test_emergency_cash_is_told_in_the_past_with_no_way_to_register(built_site):
    body = article(page(built_site, "en", "programme/emergency-cash"))
    headings = " ".join(re.findall(r"<h2[^>]*>(.*?)</h2>", body))
    assert "What was it?" in headings and "When was it?" in headings and "register" not in headings.lower()
    assert "It has ended." in body and FACTS["emergency_cash_amount"]["value"] in body


@pytest.mark.parametrize("lang", LANGS)
def test_the_home_page_says_when_the_names_changed_first(built_site, lang):
    body = article(page(built_site, lang, ""))
    first = re.search(r"</h1>\s*<p>(.*?)</p>", body, re.S).group(1)
    assert f"<bdi>{FACTS['renamed_year']['value']}</bdi>" in first
    assert re.search(r"(?i)benazir|بینظیر|بينظير|بې نظیر|بېنظير", first), first


@pytest.mark.parametrize("lang", LANGS)
def test_stay_safe_gives_the_8171_test_and_the_real_helpline_with_its_hours(built_site, lang):
    body = article(page(built_site, lang, "stay-safe"))
    start = body[:body.index("</h2>", body.index("</h2>") + 5)]  # the first two sections
    assert '<a href="sms:8171"><bdi>8171</bdi></a>' in start or "<bdi>8171</bdi>" in start
    assert '<a href="tel:080026477"><bdi>0800-26477</bdi></a>' in body
    hours = FACTS["helpline_hours"]
    assert f"<bdi>{escape((hours.get('display') or {}).get(lang) or hours['value'])}</bdi>" in body


@pytest.mark.parametrize("component", RUNNING)
def test_english_answers_fit_two_phone_screens(built_site, component):
    """About 250 words above 'How to take part' (the issue's measure of two 360x640 screens)."""
    body = article(page(built_site, "en", f"programme/{component}"))
    above = body.split('id="how-to-take-part"')[0]
    count = len(words(above))
    assert count <= 260, f"{component}: {count} words above 'How to take part'"


@pytest.mark.parametrize("lang", LANGS)
def test_the_feedback_form_comes_first_and_the_explanation_after_it(built_site, lang):
    body = page(built_site, lang, "feedback")
    h1, form, h2 = body.index("<h1"), body.index('class="fb-form'), body.index("<h2")
    assert h1 < form < h2


def test_every_link_to_another_site_is_an_official_one_and_every_number_link_dials_digits(built_site):
    offenders, phone_links = [], 0
    own = SITE_URL.rstrip("/")
    for path in html_pages(built_site):
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', path.read_text(encoding="utf-8")):
            href = html.unescape(href)
            if href.startswith(("tel:", "sms:")):
                phone_links += 1
                if not re.fullmatch(r"(tel:\+?|sms:)\d{3,15}", href):
                    offenders.append(f"{path}: {href}")
            elif re.match(r"(?i)^([a-z][a-z0-9+.-]*:|//)", href) and not href.startswith(own):
                if not data.is_official(href):
                    offenders.append(f"{path.relative_to(built_site)}: {href}")
    assert not offenders, "\n".join(offenders[:20])
    assert phone_links > 100  # the helpline is one tap away on every page (the footer)


# Numbers a reader could dial, send or be paid: 4 or more digits, with separators (0800-26477,
# 13,500, 8171, 2022) in Latin or Urdu digits.
NUMBER = re.compile(r"[0-9۰-۹]{2,}(?:[,\- ][0-9۰-۹]{2,})+|[0-9۰-۹]{4,}")


@pytest.mark.parametrize("lang", LANGS)
def test_every_number_in_a_page_comes_from_the_facts_file(built_site, lang):
    """In the built article text of the written pages, a number of 4+ digits is inside a fact's
    <bdi> (or is the sample reference on the check page), never typed into the page. (Meetings
    and answers come from their own data files.)"""
    for name in ("", "about", "stay-safe", "feedback", "check", "communities") + tuple(f"programme/{c}" for c in COMPONENTS):
        path = (built_site if lang == "en" else built_site / lang) / name / "index.html"
        body = article(path.read_text(encoding="utf-8"))
        body = re.sub(r"<bdi>.*?</bdi>", "", body, flags=re.S)
        body = re.sub(r"<(form|script)\b.*?</\1>", "", body, flags=re.S)
        text = " ".join(words(body))
        text = re.sub(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}\b", "", text)  # the sample reference
        assert not NUMBER.findall(text), f"{path.relative_to(built_site)}: {NUMBER.findall(text)}"


@pytest.mark.parametrize("name", ["programme/kafalat", "stay-safe"])
def test_urdu_pages_show_the_real_helpline_and_sms_code_on_the_first_phone_screen(phone_nojs, site_server, name):
    """360x640, JavaScript off: the helpline and 8171 are visible without scrolling, and tappable.
    Saves benchmarks/screenshots/ur-<page>-360x640-nojs.png (a person looks at it)."""
    phone_nojs.goto(f"{site_server}/ur/{name}/")
    for href in ("tel:080026477", "sms:8171"):
        link = phone_nojs.locator(f'article a[href="{href}"]').first
        box = link.bounding_box()
        assert box and 0 <= box["y"] and box["y"] + box["height"] <= 640 and 0 <= box["x"] <= 360, (href, box)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    phone_nojs.screenshot(path=str(SCREENSHOTS / f"ur-{name.split('/')[-1]}-360x640-nojs.png"))
    assert t("ur", "site.draft_notice") in phone_nojs.content()


@pytest.mark.parametrize("lang", LANGS)
def test_with_no_operator_every_page_says_it_is_an_information_site_with_the_real_helpline(built_site, lang):
    footer = re.search(r'class="md-copyright">(.*?)</div>', page(built_site, lang, "programme/kafalat"), re.S).group(1)
    before_helpline = t(lang, "site.operator_none").split("{helpline}")[0]
    assert escape(before_helpline) in footer  # as the templates write it
    assert '<a href="tel:080026477"><bdi>0800-26477</bdi></a>' in footer


def test_the_operator_setting_names_who_runs_the_site_in_the_footer_and_on_about(tmp_path):
    from tests.fixtures_site import build_site, copy_project
    config = copy_project(tmp_path / "project")
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('  operator: ""', '  operator: "Thatta Tehsil outreach office"', 1), encoding="utf-8")
    result = build_site(tmp_path / "site", config)
    assert result.returncode == 0, result.stdout + result.stderr
    for lang, path in (("en", "about"), ("ur", "about"), ("ur", "programme/kafalat")):
        markup = page(tmp_path / "site", lang, path)
        assert markup.count("Thatta Tehsil outreach office") == (2 if path == "about" else 1), (lang, path)
        assert escape(t(lang, "site.operator_none").split("{helpline}")[0]) not in markup
