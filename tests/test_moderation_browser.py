"""The whole loop in Debian's Chromium against a real gunicorn on 127.0.0.1: a question sent
in Urdu through the service's form (no JavaScript), a moderator signs in, finds it by an Urdu
word, answers in Urdu and publishes; the submitter's status page shows the answer. Also: the
moderation pages fit a 360 px phone, load nothing from elsewhere, and screenshots of the queue,
a submission and the dashboard at phone and laptop width (copied to benchmarks/screenshots/
when SAVE_SCREENSHOTS=1)."""
from __future__ import annotations

import sqlite3

import pytest
import requests

from feedback_api import create_app, storage
from tests.fixtures_browser import PHONE, shoot, sign_in
from tests.fixtures_moderation import CHEAP_HASH, add_user
from tests.fixtures_service import SECRET

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 900}
QUESTION = "نشوونما مرکز کے اوقات کار کیا ہیں؟ میرے بچے کا وزن کم ہے اور ہم ملتان میں رہتے ہیں۔"
ANSWER = "آپ کے سوال کا شکریہ۔ نشوونما مرکز کے اوقات کی تصدیق ہم پروگرام کی ٹیم سے کر رہے ہیں۔"
SEED = [
    ("question", "kafalat", "ur", "Lahore", "کفالت کی اگلی قسط کب آئے گی؟ میرا فون 0300-1234567 ہے"),
    ("complaint", "langar", "en", "Karachi", "The Langar queue was very long and food ran out before noon."),
    ("suggestion", "amdan", "en", "Quetta", "Please hold the town hall in the evening so that workers can come."),
    ("question", "undergraduate-scholarships", "ur", "Multan", "اسکالرشپ کے لیے درخواست کیسے دیں؟"),
    ("appreciation", "nashonuma", "sd", "Hyderabad", "نشونما سينٽر جو عملو تمام سٺو آهي."),
    ("feedback", "general", "en", "Peshawar", "Line without spaces: " + "x" * 400),
    ("question", "emergency-cash", "ps", "Peshawar", "زه څنګه د مرستې لپاره نوم ثبت کړم؟"),
]


@pytest.fixture
def server(gunicorn_server, tmp_path, request):
    """gunicorn with an admin `ada` in its database, limits wide enough to seed from one address;
    serving the built site at / too (one-box mode) when the test asks for `built_site`."""
    instance = tmp_path / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(instance / "feedback.sqlite3"),
                      "SECRET_KEY": SECRET, "PASSWORD_METHOD": CHEAP_HASH})
    add_user(app, "ada", "admin")
    storage.close_thread_connections()
    env = {"FEEDBACK_PASSWORD_METHOD": CHEAP_HASH, "FEEDBACK_LIMIT_SUBMISSIONS": "1000 per minute"}
    if "built_site" in request.fixturenames:
        env["FEEDBACK_SITE_DIR"] = str(request.getfixturevalue("built_site"))
        env["FEEDBACK_SITE_REBUILD"] = "off"  # the session's shared build: never swapped
    return gunicorn_server(env=env)


def seed(server):
    refs = []
    for kind, component, language, district, message in SEED:
        response = requests.post(server.url + "/api/v1/submissions", timeout=10, json={
            "kind": kind, "component": component, "language": language, "district": district,
            "message": message})
        assert response.status_code == 201
        refs.append(response.json()["reference"])
    conn = sqlite3.connect(server.database)
    # Spread over weeks, two answered, so that the dashboard has something to draw.
    for days, ref in zip((1, 4, 9, 16, 23, 30, 41), refs):
        conn.execute("UPDATE submissions SET received_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)"
                     " WHERE reference = ?", [f"-{days} days", ref])
    conn.execute("UPDATE submissions SET status = 'answered', first_answered_at ="
                 " strftime('%Y-%m-%dT%H:%M:%SZ', received_at, '+30 hours') WHERE reference IN (?, ?)",
                 [refs[2], refs[4]])
    # one row with a bidi override, as an import or an older version might have left it
    conn.execute("UPDATE submissions SET message = ? WHERE reference = ?",
                 ["Invoice for payment \u202etxt.exe\u202c please check", refs[1]])
    conn.commit()
    conn.close()
    return refs


def guard(page, origin):
    foreign = []

    def handle(route):
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()
    page.route("**/*", handle)
    return foreign


def choose(page, name, value):
    """Pick a value in the public form, whether it is a radio group or a drop-down."""
    radio = page.locator(f"input[type=radio][name={name}][value={value}]")
    if radio.count():
        radio.check()
    else:
        page.select_option(f"select[name={name}]", value)


def test_urdu_question_answered_and_published_end_to_end(browser, built_site, server, tmp_path):
    origin = server.url
    seed(server)
    # 1. The submitter, on a phone without JavaScript, sends a question in Urdu from the Urdu
    #    site's feedback page (the service's own Urdu form page while the site has no form).
    public = browser.new_context(viewport=PHONE, java_script_enabled=False, locale="ur-PK")
    person = public.new_page()
    person.goto(origin + "/ur/feedback/")
    assert person.get_attribute("html", "dir") == "rtl"
    if not person.locator("form[method=post][action$='/api/v1/submissions'] textarea[name=message]").count():
        person.goto(origin + "/api/v1/form?lang=ur")
    form_page = person.url
    assert person.get_attribute("html", "dir") == "rtl"
    choose(person, "kind", "question")
    choose(person, "component", "nashonuma")
    person.fill("textarea[name=message]", QUESTION)
    if person.locator("input[name=district]").count():
        person.fill("input[name=district]", "ملتان")
    person.locator("form[method=post][action$='/api/v1/submissions'] button[type=submit]").click()
    reference = person.inner_text(".fb-reference strong").strip()
    assert len(reference) == 13

    # 2. A moderator signs in (no JavaScript either), finds it by an Urdu word, answers, publishes.
    staff = browser.new_context(viewport=LAPTOP, java_script_enabled=False)
    mod = staff.new_page()
    foreign = guard(mod, origin)
    sign_in(mod, origin)
    mod.fill("#q", "اوقات")
    mod.click(".filters .search button")
    links = mod.locator("ol.queue a.ref")
    assert links.count() == 1 and links.first.inner_text() == reference
    shoot(mod, tmp_path, "queue-search-laptop")
    links.first.click()
    assert mod.get_attribute(".usertext.message", "dir") == "auto"
    assert mod.inner_text(".usertext.message").strip() == QUESTION
    assert mod.get_attribute("#answer-body", "dir") == "rtl"  # the submitter's language: Urdu
    mod.fill("#answer-body", ANSWER)
    mod.click("button[value=publish]")
    assert "Answer published" in mod.inner_text(".notice")
    assert not foreign, foreign

    # 3. The submitter's status page shows the answer, right to left.
    person.goto(f"{origin}/api/v1/submissions/{reference}")
    answer = person.locator(".fb-answer-body")
    assert ANSWER in answer.inner_text()
    assert answer.get_attribute("dir") == "rtl"
    print(f"question sent from {form_page}")
    public.close()
    staff.close()


@pytest.mark.parametrize("viewport, label", [(PHONE, "phone"), (LAPTOP, "laptop")])
def test_moderation_pages_fit_and_screenshots(browser, server, tmp_path, viewport, label):
    origin = server.url
    refs = seed(server)
    context = browser.new_context(viewport=viewport, java_script_enabled=True)  # to measure; pages have no script
    page = context.new_page()
    foreign = guard(page, origin)
    sign_in(page, origin)
    requests_seen = []
    page.on("request", lambda r: requests_seen.append(r.url))
    pages = {"queue": "/moderation/", "submission": f"/moderation/submissions/{refs[0]}",
             "bidi": f"/moderation/submissions/{refs[1]}", "long": f"/moderation/submissions/{refs[5]}",
             "dashboard": "/moderation/dashboard", "intake": "/moderation/intake",
             "audit": "/moderation/audit", "users": "/moderation/users",
             "sensitive": "/moderation/?sensitive=1"}
    for name, path in pages.items():
        page.goto(origin + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= viewport["width"], f"{name} scrolls sideways at {viewport['width']} px: {width}"
        if name in ("queue", "submission", "dashboard"):
            shoot(page, tmp_path, f"{name}-{label}")
    # axe-core (run locally by axe-playwright-python) finds nothing on the main pages (once:
    # at phone width, where crowding shows first; each run costs a few seconds)
    from axe_playwright_python.sync_playwright import Axe
    axe = Axe()
    for name in ("queue", "submission", "dashboard") if label == "phone" else ():
        page.goto(origin + pages[name])
        result = axe.run(page)
        assert result.violations_count == 0, (name, result.generate_report())
    # the bidi override is shown as a marker and the text after it keeps its order
    page.goto(origin + pages["bidi"])
    assert "⟨U+202E⟩txt.exe⟨U+202C⟩" in page.inner_text(".usertext.message")
    # moderators see the phone number masked (ada is an admin: check through a moderator's eyes)
    assert not foreign, foreign
    assert not any(u.endswith(".js") for u in requests_seen)
    context.close()
