"""In Debian's Chromium: the district digest prints to A4 with only the digest on the paper (no
moderation header or form), in Urdu; the Urdu answered page reads on a 360 px phone without
JavaScript and without sideways scrolling."""
from __future__ import annotations

import re
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from feedback_api import storage
from tests.fixtures_loop import Loop
from tests.fixtures_browser import sign_in


@pytest.fixture
def live(tmp_path):
    loop = Loop(tmp_path)
    server = make_server("127.0.0.1", 0, loop.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield loop, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    storage.close_thread_connections()


def test_digest_prints_on_a4_with_only_the_digest(live, browser, tmp_path):
    loop, base = live
    ref = loop.submit("لنگر کا وقت کیا ہے؟", component="langar", district="Lahore")
    loop.answer(ref, "اس سائٹ پر لنگر کا صفحہ دیکھیں۔", "ur", question="لنگر کا وقت کیا ہے؟")
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/moderation/digest?district=Lahore&from=2026-01-01&lang=ur")
    assert page.locator("form.digest-form").is_visible()  # on screen: the form to choose
    pdf = tmp_path / "digest.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    context.close()
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info and re.search(r"^Pages:\s+1$", info, re.M), info
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Lahore" in text and "2026" in text
    for screen_only in ("Show the digest", "Feedback moderation", "Sign out", "Ctrl+P"):
        assert screen_only not in text, screen_only


def test_urdu_answered_page_on_a_phone_without_javascript(sites_for_browser, phone_nojs):
    base = sites_for_browser
    phone_nojs.goto(f"{base}/ur/answered/")
    assert phone_nojs.locator("html").get_attribute("dir") == "rtl"
    answers = phone_nojs.locator("section.loop-answer")
    assert answers.count() >= 1 and answers.first.is_visible()
    width = phone_nojs.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways: {width}px"


@pytest.fixture(scope="module")
def sites_for_browser(tmp_path_factory):
    """A site built from a feed with one Urdu answer, served on 127.0.0.1."""
    import functools
    import http.server

    from tests.fixtures_site import build_site
    tmp = tmp_path_factory.mktemp("loop-browser")
    loop = Loop(tmp)
    ref = loop.submit("نشوونما پروگرام کس کے لیے ہے؟", component="nashonuma")
    loop.answer(ref, "نشوونما پروگرام بچوں کی غذائیت کے لیے ہے۔ " * 3, "ur",
                question="نشوونما پروگرام کس کے لیے ہے؟")
    feed = loop.write_feed(tmp / "feed.json")
    storage.close_thread_connections()
    result = build_site(tmp / "site", extra_env={"SITE_FEED": str(feed)})
    assert result.returncode == 0, result.stderr[-2000:]

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp / "site")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
