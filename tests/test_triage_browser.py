"""Triage on a 360x640 phone in Urdu, in Debian's Chromium without JavaScript, against gunicorn:
a submission's page offers the published answer most like it and one tap puts it in the answer
box; the groups view lists near-duplicates largest first; a group is taken and answered at
once. The same pages fit the phone and pass axe-core. Screenshots go to benchmarks/screenshots/
with SAVE_SCREENSHOTS=1."""
from __future__ import annotations

import pytest
import requests

from tests.fixtures_browser import PHONE, shoot
from tests.test_moderation_phone_browser import fits, make_server, sign_in

pytestmark = pytest.mark.browser
EARLIER = "میری کفالت کی قسط کب آئے گی؟ ہم مظفرگڑھ میں رہتے ہیں۔"
ANSWER = "کفالت کی قسط ہر سہ ماہی کے پہلے ہفتے میں آتی ہے۔ مزید معلومات کے لیے ہیلپ لائن پر رابطہ کریں۔"
WAVE = ["ميري قسط كب آئے گي؟", "میری قسط کب آئے گی", "میری  قسط کب آئے گی!!", "میری قسط کب آئے گی؟"]


def submit(server, message):
    response = requests.post(server.url + "/api/v1/submissions", timeout=10, json={
        "kind": "question", "component": "kafalat", "language": "ur", "message": message})
    assert response.status_code == 201
    return response.json()["reference"]


def test_triage_on_a_phone_in_urdu_without_javascript(browser, gunicorn_server, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    server = make_server(gunicorn_server, tmp_path, site, rebuild="off")
    earlier = submit(server, EARLIER)
    wave = [submit(server, m) for m in WAVE]
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server.url, "uzma")

    # An answer published to the earlier question...
    page.goto(f"{server.url}/moderation/submissions/{earlier}")
    page.fill("#answer-body", ANSWER)
    page.click("button[name=action][value=publish]")
    assert "شائع ہو گیا" in page.inner_text(".notice")

    # ...is offered on a new one with the same words, and one tap puts it in the answer box.
    page.goto(f"{server.url}/moderation/submissions/{wave[0]}")
    section = page.locator("section.similar")
    assert "اس جیسے شائع شدہ جواب" in section.inner_text() and ANSWER[:30] in section.inner_text()
    assert fits(page, PHONE["width"])
    shoot(page, tmp_path, "triage-submission-ur-phone", full_page=True)
    section.locator("a.use").first.click()
    assert page.input_value("#answer-body") == ANSWER
    assert page.get_attribute("#answer-body", "dir") == "rtl"

    # The groups view: the four near-duplicates as one group, largest first.
    page.goto(f"{server.url}/moderation/groups")
    assert page.get_attribute("html", "dir") == "rtl" and fits(page, PHONE["width"])
    first = page.locator("a.group-link").first
    assert first.inner_text().startswith("۴ کھلے")
    shoot(page, tmp_path, "triage-groups-ur-phone", full_page=True)
    first.click()
    page.click("button[name=action][value=claim]")
    assert "آپ کے ذمے" in page.inner_text("#claim")
    assert fits(page, PHONE["width"])
    shoot(page, tmp_path, "triage-group-ur-phone", full_page=True)
    page.locator("section.similar a.use").first.click()
    assert page.input_value("#answer-body") == ANSWER
    page.click("button[name=action][value=publish]")
    assert "جواب ۴ پیغامات پر شائع ہو گیا" in page.inner_text(".notice")
    for ref in wave:
        status = requests.get(f"{server.url}/api/v1/submissions/{ref}", timeout=10,
                              headers={"Accept": "application/json"}).json()
        assert status["status"] == "answered" and status["answer"]["body"] == ANSWER
    context.close()


def test_triage_pages_pass_axe_on_a_phone(browser, gunicorn_server, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    site = tmp_path / "site"
    site.mkdir()
    server = make_server(gunicorn_server, tmp_path, site, rebuild="off")
    wave = [submit(server, m) for m in WAVE]
    axe = Axe()
    for user in ("uzma", "ada"):
        context = browser.new_context(viewport=PHONE, java_script_enabled=True)  # to measure; pages have no script
        page = context.new_page()
        sign_in(page, server.url, user)
        page.goto(server.url + "/moderation/groups")
        group = page.locator("a.group-link").first.get_attribute("href")
        for path in (f"/moderation/submissions/{wave[0]}", "/moderation/groups", group):
            page.goto(server.url + path)
            assert fits(page, PHONE["width"]), (user, path)
            result = axe.run(page)
            assert result.violations_count == 0, (user, path, result.generate_report())
        context.close()
