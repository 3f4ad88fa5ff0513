"""Production layout: the static site on one origin, the service on another. The forms' target
is the one setting `extra.feedback_api` in mkdocs.yml; the service lists the site's origin in
FEEDBACK_CORS_ORIGINS and links back to it with FEEDBACK_SITE_URL. Both with and without
JavaScript a question arrives, and the links the reader gets lead to the right origin."""
from __future__ import annotations

import functools
import http.server
import re
import threading
import uuid
from urllib.parse import urljoin

import pytest

from feedback_api import i18n
from tests.fixtures_service import Gunicorn, free_port
from tests.fixtures_site import build_site, copy_project

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def two_origins(tmp_path_factory):
    base = tmp_path_factory.mktemp("two-origins")
    site_port = free_port()
    site_origin = f"http://127.0.0.1:{site_port}"
    service = Gunicorn(base / "instance", env={
        "FEEDBACK_CORS_ORIGINS": site_origin, "FEEDBACK_SITE_URL": site_origin + "/",
        "FEEDBACK_RATELIMIT_ENABLED": "false"}).start()
    config = copy_project(base / "project")
    text = config.read_text(encoding="utf-8")
    assert '  feedback_api: ""' in text
    config.write_text(text.replace('  feedback_api: ""', f'  feedback_api: "{service.url}"', 1), encoding="utf-8")
    site = base / "site"
    result = build_site(site, config)
    assert result.returncode == 0, result.stderr[-3000:]
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", site_port), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield site_origin, service
    server.shutdown()
    server.server_close()
    service.stop()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def test_question_and_rating_cross_to_the_service_and_back(two_origins, phone):
    site_origin, service = two_origins
    page, js = phone, phone.js_enabled
    page.goto(site_origin + "/ur/feedback/")
    assert page.get_attribute("form.fb-form[method=post]", "action") == service.url + "/api/v1/submissions"
    message = f"سوال دوسری جگہ سے {uuid.uuid4().hex[:8]}"
    page.fill("#fb-message", message)
    if js:
        page.locator("form.fb-form[method=post][data-js]").wait_for()
    page.click("form.fb-form[method=post] button[type=submit]")
    page.locator(".fb-reference").wait_for()
    reference = page.inner_text(".fb-reference").strip()
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", reference)
    if js:   # in place, on the site's origin
        assert page.url == site_origin + "/ur/feedback/"
    else:
        assert page.url.startswith(service.url + "/api/v1/submissions/")
    # The status link goes to the service, "check later" to the site's own check page.
    def link(selector):
        return urljoin(page.url, page.get_attribute(selector, "href"))
    assert link(f"a[href*='{reference}']").startswith(service.url + "/api/v1/submissions/")
    assert link("a[href$='/ur/check/']") == site_origin + "/ur/check/"
    import sqlite3
    conn = sqlite3.connect(service.database)
    try:
        assert conn.execute("SELECT language FROM submissions WHERE message = ?", (message,)).fetchall() == [("ur",)]
    finally:
        conn.close()

    page.goto(site_origin + "/ur/about/")
    page.check("form.fb-rating input[value=yes]")
    if js:
        page.locator("form.fb-rating[data-js]").wait_for()
    page.click("form.fb-rating button[type=submit]")
    thanks = i18n.t("ur", "rating.thanks_title")
    if js:
        page.locator(".fb-done").wait_for()
        assert thanks in page.inner_text(".fb-done") and page.url == site_origin + "/ur/about/"
    else:
        assert thanks in page.inner_text("h1")
        page.click(f"text={i18n.t('ur', 'rating.back')}")
        assert page.url == site_origin + "/ur/about/"
