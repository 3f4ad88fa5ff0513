"""The pages the forms lead to are valid HTML (the Nu HTML Checker, run once over all of them):
the service's error page, confirmation, status and thank-you pages in English and Urdu, and the
site's feedback page after forms.js has shown errors and then the confirmation in place.
(The built site's own pages, forms included, are checked by tests/test_site_html.py.)"""
from __future__ import annotations

import re
import shutil
import uuid

import pytest
import requests

from tests.test_site_html import VNU, vnu

pytestmark = pytest.mark.skipif(not VNU.exists() or not shutil.which("java"), reason="vnu-jar or java missing")


def test_form_result_pages_are_valid_html(onebox, browser, tmp_path):
    pages = {}
    api = onebox.url + "/api/v1"
    for lang in ("en", "ur"):
        tag = uuid.uuid4().hex[:8]
        error = requests.post(api + "/submissions", data={"language": lang, "kind": "question", "message": " ",
                                                           "name": "نام", "district": "Multan"}, timeout=10)
        assert error.status_code == 400
        pages[f"{lang}-error"] = error.text
        done = requests.post(api + "/submissions", data={"language": lang, "kind": "question",
                                                          "message": f"Valid HTML? {tag}"}, timeout=10)
        assert done.status_code == 200 and "/received" in done.url
        pages[f"{lang}-confirmation"] = done.text
        reference = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", done.text).group(0)
        pages[f"{lang}-status"] = requests.get(f"{api}/submissions/{reference}?lang={lang}",
                                               headers={"Accept": "text/html"}, timeout=10).text
        pages[f"{lang}-lookup-error"] = requests.get(f"{api}/submissions?reference=nope&lang={lang}",
                                                     headers={"Accept": "text/html"}, timeout=10).text
        thanks = requests.post(api + "/ratings", data={"language": lang, "page": "/", "helpful": "no",
                                                        "comment": tag}, timeout=10)
        assert thanks.status_code == 200
        pages[f"{lang}-rating-thanks"] = thanks.text
        pages[f"{lang}-rating-error"] = requests.post(api + "/ratings", data={"language": lang, "page": "/"},
                                                      timeout=10).text

    # The DOM after forms.js answered in place (errors, then the confirmation), serialised.
    context = browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        page.goto(onebox.url + "/ur/feedback/")
        page.fill("#fb-message", " ")
        page.locator("form.fb-form[method=post][data-js]").wait_for()
        page.click("form.fb-form[method=post] button[type=submit]")
        page.locator(".fb-error-summary").wait_for()
        pages["ur-site-errors-in-place"] = "<!doctype html>\n" + page.evaluate("document.documentElement.outerHTML")
        page.fill("#fb-message", f"سوال {uuid.uuid4().hex[:8]}")
        page.click("form.fb-form[method=post] button[type=submit]")
        page.locator(".fb-done").wait_for()
        pages["ur-site-confirmation-in-place"] = "<!doctype html>\n" + page.evaluate("document.documentElement.outerHTML")
    finally:
        context.close()

    files = []
    for name, html in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(path)
    result = vnu(*files)
    assert result.returncode == 0, (result.stdout + result.stderr)[:4000]
