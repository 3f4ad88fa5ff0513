"""The site's forms in Debian's Chromium at 360x640, against the one-box server (the built site
and the service under one gunicorn, a real SQLite file), in English and in Urdu, with
JavaScript on and off: what a reader does and sees, and what lands in the database.

Screenshots (looked at by a person): test-artifacts/forms-*.png."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from feedback_api import i18n

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
REFERENCE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}")
LANGS = ["en", "ur"]
pytestmark = pytest.mark.browser


def root(lang: str) -> str:
    return "/" if lang == i18n.DEFAULT_LANGUAGE else f"/{lang}/"


def unique(lang: str) -> str:
    tag = uuid.uuid4().hex[:8]
    if lang == "ur":
        return f"کفالت کی اگلی قسط کب آئے گی؟ میرے گاؤں میں کسی کو معلوم نہیں۔ {tag}"
    return f"When is the next Kafalat payment? Nobody in my village knows. {tag}"


def shot(page, name: str) -> None:
    """The whole page (an element shot would catch Material's sticky header over the form)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"forms-{name}.png"), full_page=True)


def enhanced(page, js: bool, form: str = "form.fb-form[method=post]") -> None:
    """With JavaScript on, wait for forms.js (loaded on the first touch of a form) to take the
    form over; a reader quicker than that gets the plain post, which the nojs runs test."""
    if js:
        page.locator(form + "[data-js]").wait_for()


def outside_requests(page, origin: str) -> list:
    seen: list = []
    page.on("request", lambda r: None if r.url.startswith(origin) else seen.append(r.url))
    return seen


@pytest.mark.parametrize("lang", LANGS)
def test_question_is_stored_and_can_be_checked(lang, phone, onebox, onebox_rows):
    page, js = phone, phone.js_enabled
    outside = outside_requests(page, onebox.url)
    page.goto(onebox.url + root(lang) + "feedback/")
    assert page.get_attribute("html", "lang") == lang
    form = page.locator("form.fb-form[method=post]").first
    assert form.get_attribute("action") == "/api/v1/submissions"
    message = unique(lang)
    page.check("input[name=kind][value=question]")
    page.select_option("#fb-component", "kafalat")
    page.fill("#fb-district", "lahore")          # any case: stored in the list's spelling
    page.fill("#fb-message", message)
    page.fill("#fb-name", "زینب بی بی" if lang == "ur" else "Zainab Bibi")
    page.fill("#fb-contact", "0300 1234567")
    page.check("input[name=consent_to_contact]")
    if not js:
        shot(page, f"{lang}-nojs-form")
    enhanced(page, js)
    page.click("form.fb-form[method=post] button[type=submit]")

    if js:   # answered in place: same page, the service's confirmation in the reader's language
        done = page.locator(".fb-done")
        done.wait_for()
        assert page.url == onebox.url + root(lang) + "feedback/"
        assert page.evaluate("document.activeElement.tagName") == "H2"
        assert i18n.t(lang, "confirm.title") in done.inner_text()
        reference = page.inner_text(".fb-done .fb-reference").strip()
        # big and clear, left to right inside a right-to-left page
        assert page.eval_on_selector(".fb-done .fb-reference", "e => parseFloat(getComputedStyle(e).fontSize)") >= 24
        assert page.eval_on_selector(".fb-done .fb-reference", "e => getComputedStyle(e).direction") == "ltr"
        shot(page, f"{lang}-js-confirmation")
    else:    # 303 to the service's confirmation page
        assert re.search(r"/api/v1/submissions/[0-9A-Z-]+/received\?lang=" + lang + "$", page.url)
        assert page.get_attribute("html", "lang") == lang
        assert i18n.t(lang, "confirm.title") in page.inner_text("h1")
        reference = page.inner_text(".fb-reference").strip()
        shot(page, f"{lang}-nojs-confirmation")
    assert REFERENCE.fullmatch(reference)
    assert i18n.t(lang, "confirm.next") in page.inner_text("main")

    rows = onebox_rows("SELECT s.*, c.name, c.contact, c.consent_to_contact FROM submissions s "
                       "LEFT JOIN contacts c ON c.submission_id = s.id WHERE reference = ?", (reference,))
    assert len(rows) == 1
    row = rows[0]
    assert (row["message"], row["language"], row["kind"], row["component"], row["district"]) == \
        (message, lang, "question", "kafalat", "Lahore")
    assert row["contact"] == "0300 1234567" and row["consent_to_contact"] == 1
    # The form says which page it was sent from, so moderators see more than "—".
    assert row["status"] == "new" and row["page"] == ("/feedback/" if lang == "en" else f"/{lang}/feedback/")

    # "Check my question": typed loosely (small letters, no dashes), found, in the reader's language.
    page.goto(onebox.url + root(lang) + "check/")
    page.fill("#lk-reference", reference.replace("-", "").lower())
    page.click("form.fb-form[method=get] button[type=submit]")
    assert reference in page.inner_text("h1")
    assert i18n.t(lang, "status.states.received") in page.inner_text("main")
    assert page.get_attribute("html", "lang") == lang
    assert outside == []


@pytest.mark.parametrize("lang", LANGS)
def test_errors_are_listed_and_shown_by_their_field_in_the_readers_language(lang, phone, onebox, onebox_rows):
    page, js = phone, phone.js_enabled
    page.goto(onebox.url + root(lang) + "feedback/")
    name = ("عائشہ" if lang == "ur" else "Ayesha") + " " + uuid.uuid4().hex[:6]   # shared database
    page.check("input[name=kind][value=complaint]")
    page.fill("#fb-name", name)
    page.fill("#fb-message", "   ")    # only spaces: the browser's "required" lets it through
    enhanced(page, js)
    page.click("form.fb-form[method=post] button[type=submit]")
    summary = page.locator(".fb-error-summary")
    summary.wait_for()
    if js:
        assert page.url == onebox.url + root(lang) + "feedback/"
        assert page.evaluate("document.activeElement.classList.contains('fb-error-summary')")
    else:
        assert page.url.endswith("/api/v1/submissions")
    text = summary.inner_text()
    assert i18n.t(lang, "errors.summary_title") in text
    assert i18n.t(lang, "errors.required") in text
    # Next to the field, tied to it for screen readers; the summary links to the field.
    assert i18n.t(lang, "errors.required") in page.inner_text("#fb-message-error")
    assert "fb-message-error" in page.get_attribute("#fb-message", "aria-describedby").split()
    assert summary.locator("a").first.get_attribute("href") == "#fb-message"
    # What they typed is kept.
    assert page.input_value("#fb-name") == name
    assert page.is_checked("input[name=kind][value=complaint]")
    assert not onebox_rows("SELECT 1 FROM contacts WHERE name = ?", (name,))

    if lang == "ur":   # right to left: text of labels and the summary starts at the right edge
        for selector in (".fb-error-summary h2", "label[for=fb-message]", "#fb-message", "#fb-message-error"):
            assert page.eval_on_selector(selector, "e => getComputedStyle(e).direction") == "rtl", selector
        for selector in ("label[for=fb-message]", ".fb-error-summary h2"):
            edges = page.eval_on_selector(selector, """e => { const r = document.createRange();
                r.selectNodeContents(e); const t = r.getBoundingClientRect(), b = e.getBoundingClientRect();
                return [t.left - b.left, b.right - t.right]; }""")
            assert edges[1] < 2 and edges[0] > 20, (selector, edges)   # flush right, space on the left
    assert page.evaluate("document.documentElement.scrollWidth") <= 360   # nothing sticks out sideways
    if not js:
        shot(page, f"{lang}-nojs-errors")
    # Corrected and sent: the Urdu (or English) text arrives exactly as typed.
    message = unique(lang)
    page.fill("#fb-message", message)
    page.click("form.fb-form[method=post] button[type=submit]")
    page.locator(".fb-reference").wait_for()
    assert onebox_rows("SELECT kind FROM submissions WHERE message = ?", (message,)) == [{"kind": "complaint"}]


@pytest.mark.parametrize("lang", LANGS)
def test_rate_a_page(lang, phone, onebox, onebox_rows):
    page, js = phone, phone.js_enabled
    path = root(lang) + "programme/kafalat/"
    page.goto(onebox.url + path)
    rating = page.locator("form.fb-rating")
    assert i18n.t(lang, "rating.question") in rating.inner_text()
    comment_box = page.locator("#rt-comment")
    assert comment_box.is_visible()       # with or without JavaScript, until "Yes" is chosen
    page.check("form.fb-rating input[value=yes]")
    if js:
        enhanced(page, js, "form.fb-rating")
        comment_box.wait_for(state="hidden")
    page.check("form.fb-rating input[value=no]")
    assert comment_box.is_visible()
    comment = ("مثالیں کم ہیں" if lang == "ur" else "More examples please") + " " + uuid.uuid4().hex[:8]
    page.fill("#rt-comment", comment)
    page.click("form.fb-rating button[type=submit]")
    if js:
        page.locator(".fb-done").wait_for()
        assert page.url == onebox.url + path
        assert i18n.t(lang, "rating.thanks_title") in page.inner_text(".fb-done")
        assert page.locator(".fb-done a").count() == 0     # no link back to the page it is on
    else:
        assert "/api/v1/ratings/thanks" in page.url
        assert page.get_attribute("html", "lang") == lang
        assert i18n.t(lang, "rating.thanks_title") in page.inner_text("h1")
        page.click(f"text={i18n.t(lang, 'rating.back')}")
        assert page.url == onebox.url + path
    rows = onebox_rows("SELECT page, language, helpful FROM ratings WHERE comment = ?", (comment,))
    assert rows == [{"page": path, "language": lang, "helpful": 0}]


def test_rating_needs_an_answer_before_it_sends(phone, onebox):
    """"Yes" or "No" is required, as the service requires it: the browser stops the post."""
    page = phone
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.goto(onebox.url + "/ur/stay-safe/")
    page.click("form.fb-rating button[type=submit]")
    assert page.locator("form.fb-rating input[value=yes]:invalid").count() == 1
    assert page.url == onebox.url + "/ur/stay-safe/" and posts == []


def test_network_drop_keeps_the_text_and_a_retry_sends_it(browser, onebox, onebox_rows):
    """JavaScript on, Urdu: the connection drops on Send; the reader is told in Urdu, the text
    stays, survives a reload, and Send again delivers it once."""
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        page.goto(onebox.url + "/ur/feedback/")
        message = unique("ur")
        page.fill("#fb-message", message)
        page.fill("#fb-name", "زینب")
        enhanced(page, True)
        context.set_offline(True)
        page.click("form.fb-form[method=post] button[type=submit]")
        notice = page.locator(".fb-notice")
        notice.wait_for()
        assert i18n.t("ur", "form.offline") in notice.inner_text()
        assert page.evaluate("document.activeElement.classList.contains('fb-notice')")
        assert page.input_value("#fb-message") == message
        assert not onebox_rows("SELECT 1 FROM submissions WHERE message = ?", (message,))
        shot(page, "ur-js-offline")

        context.set_offline(False)
        page.reload()                                   # kept on the phone across a reload
        enhanced(page, True)                            # loaded at once: there is unsent text
        assert page.input_value("#fb-message") == message
        assert page.input_value("#fb-name") == "زینب"
        page.click("form.fb-form[method=post] button[type=submit]")
        page.locator(".fb-done .fb-reference").wait_for()
        assert len(onebox_rows("SELECT 1 FROM submissions WHERE message = ?", (message,))) == 1
        page.reload()                                   # sent: forgotten
        assert page.input_value("#fb-message") == ""
    finally:
        context.close()


def test_forms_pages_pass_axe(browser, onebox):
    """axe-core in Chromium at 360x640: the form, its errors and the confirmation shown in place
    (the site's forms only: the rest of a site page is the site's own test), the check form,
    and the service's own pages that a reader without JavaScript gets (error page,
    confirmation, status), in English and Urdu. axe itself needs JavaScript in the page, and
    those service pages carry no script, so they are scanned as served."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    failures = []
    context = browser.new_context(viewport={"width": 360, "height": 640}, bypass_csp=True)
    page = context.new_page()

    def scan(what, region=None):
        result = axe.run(page, context=region)
        if result.violations_count:
            failures.append((what, result.generate_report()))

    def send(message):
        page.fill("#fb-message", message)
        enhanced(page, "/api/v1/" not in page.url)   # the service's own page has no script
        page.click("form.fb-form[method=post] button[type=submit]")

    try:
        for lang in LANGS:
            page.goto(onebox.url + root(lang) + "feedback/")
            scan(f"{lang} form", ".fb-form")
            send(" ")
            page.locator(".fb-error-summary").wait_for()
            scan(f"{lang} errors in place", ".fb-form")
            send(unique(lang))
            page.locator(".fb-done .fb-reference").wait_for()
            scan(f"{lang} confirmation in place", ".fb-done")

            page.goto(onebox.url + f"/api/v1/form?lang={lang}")      # what a reader without JS posts to
            send(" ")
            page.locator(".fb-error-summary").wait_for()
            scan(f"{lang} service error page")
            send(unique(lang))
            page.locator(".fb-reference").wait_for()
            scan(f"{lang} service confirmation")
            reference = page.inner_text(".fb-reference").strip()

            page.goto(onebox.url + root(lang) + "check/")
            scan(f"{lang} check page forms", ".fb-form")
            page.fill("#lk-reference", reference)
            page.click("form.fb-form[method=get] button[type=submit]")
            assert reference in page.inner_text("h1")
            scan(f"{lang} status page")
    finally:
        context.close()
    assert not failures, failures
