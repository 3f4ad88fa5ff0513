"""The one record of translation review (data/translation_review.yml): an entry for every
language and part that exists, fields checked; a moderation page in a draft language says so
(in that language and in English, with where to report a word), an English one does not, and
the mark goes once the part is recorded as reviewed; the site's draft notice reads the same
record; a phone screenshot of an Urdu moderation page in Chromium."""
from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from feedback_api import create_app, i18n, storage
from tests.fixtures_moderation import CHEAP_HASH, add_user
from tests.fixtures_service import SECRET

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
MARK = 'class="draft-mark'


def test_every_translated_language_and_part_has_an_entry():
    record = i18n.review_record()  # raises on a malformed entry
    expected = {(lang, part) for lang in i18n.languages() for part in i18n.translated_parts(lang)}
    recorded = {(lang, part) for lang, parts in record.items() for part in parts}
    assert ("ur", "moderation") in expected and ("ur", "answer_templates") in expected
    assert {("sd", "sms"), ("ps", "site"), ("pa-Arab", "site")} <= expected
    assert not any(lang == "en" for lang, _ in expected)  # English is the source, not a translation
    assert expected - recorded == set(), f"no entry in data/{i18n.REVIEW_FILE}: {sorted(expected - recorded)}"
    assert recorded - expected == set(), f"entries for parts that do not exist: {sorted(recorded - expected)}"


@pytest.fixture
def data_copy(tmp_path):
    """A copy of data/ the test may change, read instead of the real one until the test ends."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    i18n.use_data_dir(copy)
    yield copy
    i18n.use_data_dir(DATA)


def set_entry(data: Path, lang: str, part: str, entry) -> None:
    path = data / i18n.REVIEW_FILE
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    if entry is None:
        record[lang].pop(part)
    else:
        record.setdefault(lang, {})[part] = entry
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    i18n.use_data_dir(DATA)  # forget what was read, then read the copy again
    i18n.use_data_dir(data)


@pytest.mark.parametrize("entry, problem", [
    ({"status": "reviewed"}, "ur.moderation: reviewed needs `by:`"),
    ({"status": "reviewed", "by": "Urdu-speaking moderator"}, "needs `date:` as YYYY-MM-DD"),
    ({"status": "reviewed", "by": "Urdu-speaking moderator", "date": "last week"}, "needs `date:`"),
    ({"status": "checked"}, "status must be draft or reviewed"),
    ("draft", "status must be draft or reviewed"),
    ({"status": "reviewed", "by": "Urdu-speaking moderator", "date": dt.date.today() + dt.timedelta(days=30)},
     "is in the future"),
])
def test_a_wrong_entry_is_refused_naming_it(data_copy, entry, problem):
    set_entry(data_copy, "ur", "moderation", entry)
    with pytest.raises(ValueError, match=re.escape(problem)):
        i18n.review_record()


def test_an_unknown_part_or_language_is_refused(data_copy):
    set_entry(data_copy, "ur", "moderation_pages", {"status": "draft"})
    with pytest.raises(ValueError, match="ur.moderation_pages: unknown part"):
        i18n.review_record()
    set_entry(data_copy, "ur", "moderation_pages", None)
    set_entry(data_copy, "xx", "site", {"status": "draft"})
    with pytest.raises(ValueError, match="xx: not a translated language"):
        i18n.review_record()


def test_a_part_without_an_entry_counts_as_a_draft(data_copy):
    set_entry(data_copy, "ur", "moderation", None)
    assert i18n.is_draft("ur", "moderation") and not i18n.is_draft("en", "moderation")


# ---------------------------------------------------------------- moderation pages

def mark_of(html: str) -> str:
    match = re.search(r'<aside class="draft-mark[^>]*>.*?</aside>', html, re.S)
    return match.group(0) if match else ""


PAGES = ("/moderation/", "/moderation/dashboard", "/moderation/ratings", "/moderation/intake",
         "/moderation/groups", "/moderation/sms", "/moderation/digest?district=Multan",
         "/moderation/submissions/no-such-reference", "/moderation/users")  # a 404 and a 403


def test_every_urdu_moderation_page_says_its_translation_is_a_draft_and_where_to_report(urdu, submit):
    ref = submit("Nashonuma centre closed on Tuesday", district="Multan")
    for path in (*PAGES, f"/moderation/submissions/{ref}"):
        html = urdu.get(path).get_data(as_text=True)
        mark = mark_of(html)
        assert mark, f"{path}: no draft mark"
        # in Urdu, right to left, and in English, each with the site's feedback form
        assert 'lang="ur" dir="rtl"' in mark and i18n.t("ur", "moderation.draft_mark.text") in mark
        assert f'<a href="/ur/feedback/">{i18n.t("ur", "moderation.draft_mark.report")}</a>' in mark
        assert '<p lang="en" dir="ltr">' in mark and "Draft translation, not yet checked." in mark
        assert '<a href="/feedback/">Report a word</a>' in mark
        # under the header, before the page's own content
        assert html.index("</header>") < html.index(MARK) < html.index('id="main"'), path


def test_the_sign_in_page_in_urdu_carries_the_mark_and_in_english_does_not(anonymous):
    assert mark_of(anonymous.get("/moderation/sign-in?lang=ur").get_data(as_text=True))
    assert MARK not in anonymous.get("/moderation/sign-in?lang=en").get_data(as_text=True)


def test_english_moderation_pages_carry_no_mark(moderator, submit):
    ref = submit()
    for path in (*PAGES, f"/moderation/submissions/{ref}"):
        assert MARK not in moderator.get(path).get_data(as_text=True), path


def test_the_mark_goes_once_urdu_moderation_is_recorded_as_reviewed(data_copy, urdu):
    assert mark_of(urdu.get("/moderation/").get_data(as_text=True))
    set_entry(data_copy, "ur", "moderation",
              {"status": "reviewed", "by": "Urdu-speaking moderator", "date": dt.date(2026, 11, 1)})
    html = urdu.get("/moderation/").get_data(as_text=True)
    assert MARK not in html and '<html lang="ur" dir="rtl">' in html  # still Urdu, no longer marked
    # reviewing another part does not stand in for this one
    set_entry(data_copy, "ur", "moderation", {"status": "draft"})
    set_entry(data_copy, "ur", "site", {"status": "reviewed", "by": "Urdu editor", "date": dt.date(2026, 11, 1)})
    assert mark_of(urdu.get("/moderation/").get_data(as_text=True))


def test_urdu_template_replies_are_offered_with_a_draft_note_until_reviewed(data_copy, moderator, submit):
    ref = submit("Nashonuma centre closed on Tuesday", district="Multan")
    note = i18n.t("en", "moderation.submission.templates_draft", language="اردو")

    def offered(lang):
        return moderator.get(f"/moderation/submissions/{ref}?answer_lang={lang}").get_data(as_text=True)
    assert note in offered("ur")            # Urdu replies exist and nobody has checked them
    assert "draft-note" not in offered("en")
    assert "draft-note" not in offered("sd")  # no Sindhi replies: the English ones are offered
    set_entry(data_copy, "ur", "answer_templates",
              {"status": "reviewed", "by": "Urdu-speaking moderator", "date": dt.date(2026, 11, 1)})
    assert "draft-note" not in offered("ur")


# ---------------------------------------------------------------- the site reads the same record

def site_context(lang: str, page_status: str | None, text_lang: str | None = None) -> dict:
    from ehsaas_site import theme
    config = SimpleNamespace(plugins={}, theme={"language": lang}, site_url="https://example.org/")
    meta = {"translation": {"status": page_status}} if page_status else {}
    page = SimpleNamespace(file=SimpleNamespace(locale=text_lang or lang), meta=meta,
                           url=("" if lang == "en" else f"{lang}/") + "about/")
    return theme.site_context(config, page)


def test_the_sites_draft_notice_reads_the_record_for_the_interface(data_copy):
    # a page whose own translation is reviewed still shows the notice while the language's
    # interface (menus, forms) is a draft; once both are reviewed, it shows none
    assert site_context("sd", "reviewed")["draft"]
    set_entry(data_copy, "sd", "site", {"status": "reviewed", "by": "Sindhi editor", "date": dt.date(2026, 11, 2)})
    assert not site_context("sd", "reviewed")["draft"]
    assert site_context("sd", "draft")["draft"]  # the page's own status still counts
    assert not site_context("en", None)["draft"]
    assert not site_context("ps", None, text_lang="ur")["draft"]  # an untranslated page: its own notice


def test_a_wrong_record_stops_the_site_build(data_copy):
    from mkdocs.exceptions import PluginError

    from ehsaas_site import build
    (data_copy.parent / "mkdocs.yml").write_text("site_name: x\n", encoding="utf-8")
    set_entry(data_copy, "ur", "site", {"status": "reviewed"})
    config = SimpleNamespace(config_file_path=str(data_copy.parent / "mkdocs.yml"))
    with pytest.raises(PluginError, match="ur.site: reviewed needs"):
        build.on_config(config)


# ---------------------------------------------------------------- on a phone

@pytest.mark.browser
def test_urdu_queue_on_a_phone_shows_the_mark_on_the_first_screen(browser, gunicorn_server, tmp_path):
    from tests.fixtures_browser import PHONE, shoot, sign_in
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(instance / "feedback.sqlite3"),
                      "SECRET_KEY": SECRET, "PASSWORD_METHOD": CHEAP_HASH})
    add_user(app, "uzma", "moderator", language="ur")
    storage.close_thread_connections()
    server = gunicorn_server(env={"FEEDBACK_PASSWORD_METHOD": CHEAP_HASH})
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server.url, "uzma")
    mark = page.locator(".draft-mark")
    box = mark.bounding_box()
    assert box and box["y"] + box["height"] <= PHONE["height"] / 2, f"mark not near the top: {box}"
    assert box["height"] <= 56, f"the mark takes {box['height']:.0f} px of a 640 px screen"
    assert box["width"] <= PHONE["width"] and page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert page.locator(".draft-mark a[href='/ur/feedback/']").is_visible()
    assert page.locator(".draft-mark p[lang=en] a[href='/feedback/']").is_visible()
    shoot(page, tmp_path, "draft-mark-ur-phone")
    context.close()
