"""Screenshots of closing the loop, with demo data in a throwaway database (nothing here is a fact
about the programme: the demo answers only point to official channels and to this site):

- the Urdu "answered questions" page of a site built from a real app's feed, as a 360x640 phone
  shows it without JavaScript (benchmarks/screenshots/loop-ur-answered-360.png, and the whole
  page: loop-ur-answered-360-full.png);
- a district digest in Urdu and in English, printed by Chromium to A4 PDF and rendered with
  pdftoppm (loop-digest-ur-a4.png, loop-digest-en-a4.png; PDFs beside them).

    .venv/bin/python -m benchmarks.loop_screenshots
"""
from __future__ import annotations

import functools
import http.server
import os
import subprocess
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.fixtures_browser import sign_in
from tests.fixtures_loop import Loop
from tests.fixtures_site import build_site

ROOT = Path(__file__).resolve().parent.parent

OUT = Path(__file__).resolve().parent / "screenshots"
DEMO = [  # (component, question, answer): no dates, amounts or numbers: only where to look
    ("kafalat", "کفالت کی اگلی قسط کب ملے گی؟",
     "قسط کی تاریخوں کا اعلان صرف سرکاری ذرائع سے ہوتا ہے۔ کسی ایسے فون یا پیغام پر بھروسہ نہ کریں "
     "جو آپ سے پیسے، پاس ورڈ یا پن کوڈ مانگے۔"),
    ("nashonuma", "نشوونما پروگرام کس کے لیے ہے؟",
     "نشوونما پروگرام بچوں کی غذائیت کے لیے ہے۔ تفصیل کے لیے اس سائٹ پر نشوونما کا صفحہ دیکھیں، "
     "اور کوئی بات واضح نہ ہو تو ہم سے دوبارہ پوچھیں۔"),
    ("langar", "لنگر کا کھانا کس کو ملتا ہے؟",
     "احساس لنگر مفت کھانا فراہم کرتا ہے۔ اس سائٹ پر لنگر کا صفحہ دیکھیں۔"),
]


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def demo_data(loop: Loop) -> None:
    for component, question, answer in DEMO:
        ref = loop.submit(question, component=component, district="Lahore")
        loop.answer(ref, answer, "ur", question=question)
    for message, component, kind, code in (
            ("لنگر بہت دیر سے کھلتا ہے", "langar", "complaint", "COM-ACCESS"),
            ("مرکز بہت دور ہے", "nashonuma", "feedback", "COM-ACCESS"),
            ("The centre is far from our street", "nashonuma", "suggestion", "SUG-ACCESS"),
            ("ایپ میں اپنا نام کیسے دیکھوں؟", "general", "question", "QUE-TECH")):
        ref = loop.submit(message, component=component, district="Lahore", kind=kind,
                          language="en" if message.isascii() else "ur")
        loop.admin.post(f"/moderation/submissions/{ref}/coding", {"kind": kind, "topic_code": code})
    loop.admin.post("/moderation/changes/new", {
        "component": "langar", "district": "Lahore", "published": "1",
        "said_ur": "لنگر دیر سے کھلتا ہے اور قطار لمبی ہوتی ہے۔", "done_ur": "(نمونہ) کھلنے کا وقت پہلے کر دیا گیا۔",
        "said_en": "The langar opens late and the queue is long.", "done_en": "(Sample) It now opens earlier."})


def main() -> None:
    OUT.mkdir(exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="loop-shots-"))
    loop = Loop(tmp)
    demo_data(loop)
    feed = loop.write_feed(tmp / "feed.json")
    result = build_site(tmp / "site", extra_env={"SITE_FEED": str(feed)})
    assert result.returncode == 0, result.stderr[-2000:]
    site_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                  functools.partial(Quiet, directory=str(tmp / "site")))
    threading.Thread(target=site_server.serve_forever, daemon=True).start()
    app_server = make_server("127.0.0.1", 0, loop.app, threaded=True)
    threading.Thread(target=app_server.serve_forever, daemon=True).start()
    site = f"http://127.0.0.1:{site_server.server_address[1]}"
    app = f"http://127.0.0.1:{app_server.server_port}"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            phone = browser.new_context(viewport={"width": 360, "height": 640}, java_script_enabled=False)
            page = phone.new_page()
            page.goto(f"{site}/ur/answered/")
            page.screenshot(path=str(OUT / "loop-ur-answered-360-full.png"), full_page=True)
            page.screenshot(path=str(OUT / "loop-ur-answered-360.png"))
            laptop = browser.new_context(viewport={"width": 1280, "height": 900})
            page = laptop.new_page()
            sign_in(page, app)
            for lang in ("ur", "en"):
                page.goto(f"{app}/moderation/digest?district=Lahore&from=2026-01-01&lang={lang}")
                pdf = OUT / f"loop-digest-{lang}-a4.pdf"
                page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
                subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                                str(pdf), str(OUT / f"loop-digest-{lang}-a4")], check=True)
            browser.close()
    finally:
        site_server.shutdown()
        app_server.shutdown()
    print(f"wrote {', '.join(sorted(p.name for p in OUT.glob('loop-*')))}")


if __name__ == "__main__":
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    main()
