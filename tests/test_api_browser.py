"""The service's own pages in Chromium at 360x640 without JavaScript: the Urdu form, its error
page and the confirmation work, read right to left, make no outside request, and pass axe.
Screenshots: test-artifacts/api-*.png (a person looks at them)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
pytestmark = pytest.mark.browser


@pytest.fixture
def server(gunicorn_server):
    return gunicorn_server(env={"FEEDBACK_RATELIMIT_ENABLED": "false"})


def _outside_requests(page, origin):
    seen = []
    page.on("request", lambda r: None if r.url.startswith(origin) else seen.append(r.url))
    return seen


def test_urdu_form_error_then_confirmation_without_javascript(server, phone_nojs):
    ARTIFACTS.mkdir(exist_ok=True)
    page = phone_nojs
    outside = _outside_requests(page, server.url)
    page.goto(server.url + "/api/v1/form?lang=ur&page=/ur/programme/kafalat/")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360   # nothing sticks out sideways
    page.check("input[name=kind][value=complaint]")
    page.fill("#fb-name", "زینب")
    page.fill("#fb-message", "   ")          # only spaces: the browser's "required" lets it through
    page.click("button[type=submit]")
    assert page.locator(".fb-error-summary").is_visible()
    assert "یہ خانہ خالی نہیں ہو سکتا۔" in page.inner_text(".fb-error-summary")
    assert page.input_value("#fb-name") == "زینب"
    assert page.is_checked("input[name=kind][value=complaint]")
    page.screenshot(path=str(ARTIFACTS / "api-form-error-ur.png"), full_page=True)

    page.fill("#fb-message", "کفالت کی رقم میں سے کٹوتی کی گئی")
    page.click("button[type=submit]")
    assert page.url.endswith("/received?lang=ur")
    reference = page.inner_text(".fb-reference").strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", reference)
    page.screenshot(path=str(ARTIFACTS / "api-confirmation-ur.png"), full_page=True)
    # The reference stays readable left to right inside the right-to-left page.
    assert page.eval_on_selector(".fb-reference", "e => getComputedStyle(e).direction") == "ltr"

    page.click("text=جواب دیکھیں")
    assert "موصول ہو گیا، پڑھے جانے کا منتظر" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "api-status-ur.png"), full_page=True)
    assert outside == []


def test_service_pages_pass_axe(server, browser):
    from axe_playwright_python.sync_playwright import Axe

    context = browser.new_context(viewport={"width": 360, "height": 640}, bypass_csp=True)
    page = context.new_page()
    axe = Axe()
    try:
        page.goto(server.url + "/api/v1/form?lang=ur")
        page.fill("#fb-message", "x" * 10)
        page.fill("#fb-contact", "0300")
        urls = [server.url + "/api/v1/form?lang=ur", server.url + "/api/v1/form?lang=en"]
        for url in urls:
            page.goto(url)
            results = axe.run(page)
            assert results.violations_count == 0, (url, results.generate_report())
        # The error page and the confirmation, reached by posting the form.
        page.goto(server.url + "/api/v1/form?lang=ur")
        page.evaluate("document.querySelector('#fb-message').removeAttribute('required')")
        page.click("button[type=submit]")
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        page.fill("#fb-message", "سوال")
        page.click("button[type=submit]")
        assert "/received" in page.url
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()
