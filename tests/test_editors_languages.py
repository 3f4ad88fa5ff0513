"""Sindhi, Pashto and Punjabi (Shahmukhi) in the built site: language and direction, the draft and
not-yet-translated notices in the reader's language, the language switcher, and search that
finds only the reader's language. Uses the session's `built_site` and ONE extra build
(`variant_site`: a page removed in each regional language)."""
from __future__ import annotations

import html
import json
import posixpath
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from markupsafe import escape

from feedback_api.i18n import t
from tests.fixtures_editors import OUTDATED_PAGE, REMOVED, REMOVED_PASHTO_PAGE
from tests.fixtures_site import ROOT
from ehsaas_site.translations import OUTDATED, build_report

REGIONAL = ("sd", "ps", "pa-Arab")
NAMES = {"sd": "سنڌي", "ps": "پښتو", "pa-Arab": "پنجابی", "ur": "اردو", "en": "English"}
# A word written only in that language (Sindhi ڪ, Pashto ې, Punjabi "your"), and a heading.
WORDS = {"sd": "ڪفالت", "ps": "وړیا", "pa-Arab": "تہاڈا"}
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def page(site: Path, lang: str, path: str = "") -> str:
    return (site / lang / path / "index.html").read_text(encoding="utf-8")


def notice(lang: str, key: str) -> str:
    return html.escape(t(lang, f"site.{key}"), quote=False)


@pytest.mark.parametrize("lang", REGIONAL)
def test_pages_are_marked_with_their_language_and_read_right_to_left(built_site, lang):
    for path in ("", "programme/kafalat", "stay-safe", "feedback"):
        text = page(built_site, lang, path)
        assert re.search(rf'<html lang="{lang}" dir="rtl"', text), f"/{lang}/{path}"
        assert '<body dir="rtl"' in text
        # a draft translation says so, in the reader's language, before the text
        assert notice(lang, "draft_notice") in text, f"/{lang}/{path}: no draft notice"
        assert text.index(notice(lang, "draft_notice")) < text.index("<h1")


@pytest.mark.parametrize("lang", REGIONAL)
def test_language_switcher_names_each_language_in_its_own_script(built_site, lang):
    text = page(built_site, lang, "programme/langar")
    for code, name in NAMES.items():
        link = re.search(rf'<a href="([^"]+)" hreflang="{code}" class="md-select__link">\s*'
                         rf"{re.escape(name)}\s*</a>", text)
        assert link, f"{lang}: no switcher entry {name} for {code}"
        # it leads to the same page in that language (links are relative to /<lang>/programme/langar/)
        target = posixpath.normpath(f"/{lang}/programme/langar/{link.group(1)}")
        expected = "/programme/langar" if code == "en" else f"/{code}/programme/langar"
        assert target == expected, (code, link.group(1))


@pytest.mark.parametrize("lang", REGIONAL)
def test_untranslated_page_shows_urdu_text_with_notice_in_readers_language(variant_site, lang):
    name = REMOVED[lang][:-3]
    text = page(variant_site, lang, name)
    assert notice(lang, "missing_notice") in text
    assert notice(lang, "draft_notice") not in text
    after = text[text.index(notice(lang, "missing_notice")):]
    assert re.search(r'<div lang="ur" dir="rtl">\s*<h1', after), "the Urdu text is marked as Urdu"
    urdu_title = re.search(r"<h1[^>]*>([^<]+)", page(variant_site, "ur", name)).group(1)
    assert urdu_title in after


def test_removed_pashto_page_shows_the_notice_in_pashto(variant_site):
    text = page(variant_site, "ps", REMOVED_PASHTO_PAGE[:-3])
    assert re.search(r'<html lang="ps" dir="rtl"', text)
    assert notice("ps", "missing_notice") in text
    assert "لا په پښتو نه ده ژباړل شوې" in text  # "not yet translated into Pashto", as a reader sees it
    after = text[text.index(notice("ps", "missing_notice")):]
    assert re.search(r'<div lang="ur" dir="rtl">\s*<h1[^>]*>محفوظ رہیں', after)
    assert notice("ps", "draft_notice") not in text
    # the other Pashto pages are unaffected
    assert notice("ps", "missing_notice") not in page(variant_site, "ps", "feedback")


@pytest.mark.parametrize("lang", ("ur", *REGIONAL))
def test_a_translation_older_than_its_english_page_says_so(variant_site, built_site, lang):
    outdated = escape(t(lang, "translation.outdated_notice"))  # as the templates write it
    text = page(variant_site, lang, OUTDATED_PAGE[:-3])
    assert outdated in text
    assert text.index(notice(lang, "draft_notice")) < text.index(outdated) < text.index("<h1")
    assert outdated not in page(variant_site, lang, "programme/kafalat")
    # on the real site, exactly the pages the report calls outdated carry the notice
    report = build_report(ROOT)
    for name in report.pages:
        shown = outdated in page(built_site, lang, "" if name == "index.md" else name[:-3])
        assert shown == (report.status[name, lang] == OUTDATED), (lang, name)


def load_index(site: Path, lang: str) -> dict:
    root = "" if lang == "en" else f"{lang}/"
    return json.loads((site / root / "search" / "index.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("lang", REGIONAL)
def test_search_index_holds_only_the_languages_pages_and_finds_its_words(built_site, lang):
    index = load_index(built_site, lang)
    assert index["lang"] == lang
    assert index["docs"] and all(d["location"].startswith(f"{lang}/") for d in index["docs"])
    assert index["strings"]["none"] == t(lang, "site.search_none")
    hits = [d["location"] for d in index["docs"] if WORDS[lang] in d["title"] + " " + d["text"]]
    assert hits, f"{WORDS[lang]!r} not in the {lang} index"
    for other in ("en", "ur", *REGIONAL):
        if other != lang:
            text = json.dumps(load_index(built_site, other)["docs"], ensure_ascii=False)
            assert WORDS[lang] not in text, f"{lang}'s word found in the {other} index"


@pytest.mark.browser
@pytest.mark.parametrize("lang", REGIONAL)
def test_search_in_chromium_finds_the_word_on_that_languages_pages_only(browser, site_server, lang):
    context = browser.new_context(viewport={"width": 360, "height": 640})
    tab = context.new_page()
    fetched = []
    tab.on("request", lambda request: fetched.append(urlsplit(request.url).path))
    tab.goto(f"{site_server}/{lang}/programme/langar/")
    tab.click("label.md-header__button[for=__search]")
    tab.wait_for_function("document.querySelector('.md-search-result__meta').textContent.trim()"
                          f" === {t(lang, 'site.search_type')!r}", timeout=5000)
    tab.keyboard.type(WORDS[lang])
    tab.wait_for_selector(".md-search-result__link", timeout=5000)
    hrefs = tab.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
    assert hrefs and all(urlsplit(h).path.startswith(f"/{lang}/") for h in hrefs), hrefs
    assert [p for p in fetched if p.endswith(".json")] == [f"/{lang}/search/index.json"]
    context.close()


@pytest.mark.browser
def test_the_browser_reads_each_lang_code_as_arabic_script_in_pakistan(browser, site_server):
    """Why Punjabi is pa-Arab (EDITING.md): Chromium's own locale data, from the page's <html lang>."""
    context = browser.new_context(java_script_enabled=True)
    tab = context.new_page()
    expected = {"sd": ("Arab", "PK"), "ps": ("Arab", "AF"), "pa-Arab": ("Arab", "PK"), "ur": ("Arab", "PK")}
    for lang, (script, region) in expected.items():
        tab.goto(f"{site_server}/{lang}/")
        full = tab.evaluate("new Intl.Locale(document.documentElement.lang).maximize()"
                            ".toString()")
        assert full.split("-")[1:] == [script, region], (lang, full)
    # and what the alternatives would have meant
    assert tab.evaluate("new Intl.Locale('pa').maximize().script") == "Guru"
    context.close()


@pytest.mark.browser
def test_phone_screenshots_of_sindhi_and_pashto_pages_and_a_draft_notice(browser, site_server):
    """Saves test-artifacts/{sd-home,ps-kafalat,pa-Arab-draft-notice}.png (a person looks at them)
    and checks what a phone reader would notice: no sideways scrolling, the notice on screen."""
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=False)
    tab = context.new_page()
    for lang, path, name in (("sd", "", "sd-home"), ("ps", "programme/kafalat/", "ps-kafalat"),
                             ("pa-Arab", "stay-safe/", "pa-Arab-draft-notice")):
        tab.goto(f"{site_server}/{lang}/{path}")
        assert tab.evaluate("document.scrollingElement.scrollWidth") <= 360, f"{lang}: scrolls sideways"
        box = tab.locator(".site-notice--draft").bounding_box()
        assert box and box["y"] + box["height"] <= 640, f"{lang}: draft notice not on the first screen"
        assert tab.evaluate("getComputedStyle(document.querySelector('.md-typeset')).direction") == "rtl"
        if name.endswith("notice"):
            tab.locator(".site-notice--draft").screenshot(path=str(ARTIFACTS / f"{name}.png"))
        else:
            tab.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    context.close()


@pytest.mark.browser
def test_regional_pages_add_no_accessibility_problem_to_the_urdu_ones(browser, site_server):
    """axe-core on the home and meetings pages in each regional language
    finds no rule broken that the same Urdu page does not already break: the languages, their
    notices and texts add no problem. (Site-wide findings belong to the site's own tests.)"""
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 360, "height": 640})
    tab = context.new_page()
    axe = Axe()

    def broken(url):
        tab.goto(url)
        return {v["id"]: v for v in axe.run(tab).response["violations"]}
    try:
        for path in ("", "meetings/"):  # axe takes ~1 s a page: the home page and our meetings list
            urdu = broken(f"{site_server}/ur/{path}")
            for lang in REGIONAL:
                new = {rule: v for rule, v in broken(f"{site_server}/{lang}/{path}").items() if rule not in urdu}
                assert not new, (lang, path, {r: [n["target"] for n in v["nodes"]] for r, v in new.items()})
    finally:
        context.close()
