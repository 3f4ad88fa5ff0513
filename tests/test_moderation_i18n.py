"""Moderation in Urdu and English: the language is chosen per user, stored with them and
switchable; Urdu pages are right to left with Urdu digits and local (Pakistan) time, labelled;
user text keeps its own direction; every string a page asks for exists; invalid input comes
back with the typed text kept; storage refuses a listed answer without a public question."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from feedback_api import storage
from feedback_api.storage import moderation as sm
from tests.fixtures_moderation import Staff

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "feedback_api" / "templates" / "moderation"
PYTHON = ROOT / "feedback_api" / "moderation"
SMS = ROOT / "feedback_api" / "sms"   # its moderation pages (moderation_views.py)
URDU_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def flat(node, prefix=""):
    out = {}
    for key, value in node.items():
        out.update(flat(value, f"{prefix}{key}.") if isinstance(value, dict) else {f"{prefix}{key}": value})
    return out


def moderation_strings(lang):
    data = yaml.safe_load((ROOT / "data" / "strings" / f"{lang}.yml").read_text(encoding="utf-8"))
    return flat(data["moderation"])


def test_every_string_a_page_or_view_asks_for_exists_in_english_and_urdu():
    used, families = set(), set()
    sources = [*TEMPLATES.glob("*.html"), *PYTHON.glob("*.py"), *SMS.glob("*.py")]
    for path in sources:
        source = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bmt\(\s*["']([a-z_.]+)["']\s*[,)]""", source))
        used |= {m for pair in re.findall(r"""\bmt\(\s*["']([a-z_.]+)["'] if [^)]*? else ["']([a-z_.]+)["']""", source)
                 for m in pair}
        families |= set(re.findall(r"""\bmt\(\s*["']([a-z_]+\.)["']\s*~""", source))
        families |= set(re.findall(r"""\bmt\(f["']([a-z_]+\.)\{""", source))
    assert len(used) > 150 and {"channels.", "statuses.", "fields.", "sms_status.", "sms_why."} <= families
    for lang in ("en", "ur"):
        keys = moderation_strings(lang)
        missing = sorted(k for k in used if k not in keys)
        assert not missing, (lang, missing)
        for family in families:
            assert any(k.startswith(family) for k in keys), (lang, family)


def test_urdu_user_reads_moderation_right_to_left_with_urdu_digits_and_pakistan_time(urdu, moderator, submit, mod_rows):
    ref = submit("Nashonuma centre closed on Tuesday", district="Multan")
    conn_stamp = mod_rows("SELECT received_at FROM submissions")[0]["received_at"]
    html = urdu.get("/moderation/").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in html
    assert "پیغامات" in html and "Queue" not in html
    assert "پاکستانی وقت" in html  # times are labelled with their zone
    assert f'<time datetime="{conn_stamp}">' in html  # the UTC moment stays machine-readable
    assert any(d in html for d in URDU_DIGITS) and "منتظر: ایک منٹ سے کم" in html
    # the reference and the English message keep their own direction inside the Urdu page
    assert f'dir="ltr">{ref}</a>' in html and 'class="usertext excerpt" dir="auto" lang="en"' in html
    # an English user at the same moment reads English
    english = moderator.get("/moderation/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "Queue" in english and "Pakistan time" in english


def test_times_are_shown_in_the_configured_zone_and_stored_in_utc(mod_app, moderator, submit, mod_rows):
    ref = submit()
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    with conn:
        conn.execute("UPDATE submissions SET received_at = '2026-03-04T19:30:00Z'")
    conn.close()
    html = moderator.get(f"/moderation/submissions/{ref}").get_data(as_text=True)
    # 19:30 UTC is 00:30 the next day in Pakistan (UTC+5)
    assert '<time datetime="2026-03-04T19:30:00Z">5 March 2026, 00:30 Pakistan time</time>' in html
    mod_app.config["TIME_ZONE"] = "Europe/London"
    html = moderator.get(f"/moderation/submissions/{ref}").get_data(as_text=True)
    assert "4 March 2026, 19:30 GMT time" in html
    assert mod_rows("SELECT received_at FROM submissions")[0]["received_at"] == "2026-03-04T19:30:00Z"


def test_waiting_times_in_plain_words(mod_app, moderator, submit):
    from feedback_api.moderation import locale
    with mod_app.test_request_context("/moderation/"):
        words = [locale.duration(s) for s in (20, 60, 40 * 60, 3600, 5 * 3600, 86400 + 4 * 3600, 3 * 86400)]
    assert words == ["under a minute", "1 minute", "40 minutes", "1 hour", "5 hours", "1 day and 4 hours", "3 days"]
    submit()
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    with conn:
        conn.execute("UPDATE submissions SET received_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 days', '-2 hours')")
    conn.close()
    html = moderator.get("/moderation/dashboard").get_data(as_text=True)
    assert '<span class="n">3 days</span> oldest waiting:' in html
    assert "waiting 3 days" in moderator.get("/moderation/").get_data(as_text=True)


def test_the_language_is_stored_with_the_user_and_switchable(mod_app, moderator, mod_rows):
    html = moderator.get("/moderation/").get_data(as_text=True)
    assert 'name="language" value="ur"' in html and "اردو" in html
    response = moderator.post("/moderation/language", {"language": "ur", "next": "/moderation/dashboard"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/moderation/dashboard")
    assert mod_rows("SELECT language FROM users WHERE username = 'mo'") == [{"language": "ur"}]
    # a second browser (another phone) of the same user opens in Urdu too
    other = Staff(mod_app, "mo")
    other.sign_in()
    assert '<html lang="ur" dir="rtl">' in other.get("/moderation/dashboard").get_data(as_text=True)
    # a language without moderation strings, or a made-up one, is refused (nothing changes)
    for value in ("sd", "xx", ""):
        moderator.post("/moderation/language", {"language": value})
    assert mod_rows("SELECT language FROM users WHERE username = 'mo'") == [{"language": "ur"}]
    moderator.post("/moderation/language", {"language": "en", "next": "https://evil.example/"})
    assert mod_rows("SELECT language FROM users WHERE username = 'mo'") == [{"language": "en"}]


def test_sign_in_page_offers_urdu_and_remembers_the_choice(anonymous, mod_rows):
    page = anonymous.get("/moderation/sign-in").get_data(as_text=True)
    assert 'href="/moderation/sign-in?lang=ur&amp;next=/moderation/"' in page
    urdu = anonymous.get("/moderation/sign-in?lang=ur").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in urdu and "داخل ہوں" in urdu
    token = re.search(r'name="csrf_token" value="([^"]+)"', urdu).group(1)
    response = anonymous.client.post("/moderation/sign-in", data={
        "username": "ada", "password": "wrong password here", "csrf_token": token, "lang": "ur"})
    assert response.status_code == 401 and "یہ صارف کا نام اور پاس ورڈ" in response.get_data(as_text=True)
    response = anonymous.client.post("/moderation/sign-in", data={
        "username": "ada", "password": "correct horse battery", "csrf_token": token, "lang": "ur"})
    assert response.status_code == 303
    assert mod_rows("SELECT language FROM users WHERE username = 'ada'") == [{"language": "ur"}]


def test_urdu_topic_codes_template_replies_and_errors(urdu, submit):
    ref = submit("کفالت کب ملے گی؟", language="ur")
    html = urdu.get(f"/moderation/submissions/{ref}").get_data(as_text=True)
    assert "شکایت: ادائیگی" in html  # topic code labels in Urdu
    assert "موصول ہو گیا، جانچ جاری ہے" in html  # the Urdu template reply
    missing = urdu.get("/moderation/submissions/AAAA-AAAA-AAA")
    assert missing.status_code == 404 and "نہیں ملا" in missing.get_data(as_text=True)


def test_a_language_without_moderation_strings_shows_english(mod_app, moderator, mod_rows):
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    with conn:
        conn.execute("UPDATE users SET language = 'sd' WHERE username = 'mo'")
    conn.close()
    moderator.client.get("/moderation/")  # new request, same session
    html = moderator.get("/moderation/").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html and "Queue" in html


# ---------------------------------------------------------------- no error dropped

def test_an_invalid_public_question_is_shown_back_with_the_typed_text(moderator, submit, mod_rows, mod_app):
    ref = submit("When does Langar open in Quetta?")
    answer = "Langar opens at noon. Typed for ten minutes on a phone."
    question = "When does Langar open? " * 200  # over 3,000 characters
    response = moderator.post(f"/moderation/submissions/{ref}/answer", {
        "body": answer, "language": "en", "action": "publish", "listed": "1", "public_question": question})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="public-question-error"' in html and "longer than 3,000 characters" in html
    assert question.strip() in html  # the typed question is kept too
    assert f">{answer}</textarea>" in html and 'id="listed" name="listed" value="1" checked' in html
    assert mod_rows("SELECT count(*) AS n FROM answers") == [{"n": 0}]  # nothing stored, nothing "published"
    # a question with a control character: refused, the typed answer kept
    response = moderator.post(f"/moderation/submissions/{ref}/answer", {
        "body": answer, "language": "en", "action": "publish", "listed": "1", "public_question": "When\x00?"})
    assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)
    assert f">{answer}</textarea>" in response.get_data(as_text=True)
    # an answer too long: refused with the reason, the typed text kept (not cut)
    long = "ب" * 5001
    response = moderator.post(f"/moderation/submissions/{ref}/answer", {"body": long, "language": "ur", "action": "save"})
    assert response.status_code == 400 and long in response.get_data(as_text=True)
    assert "longer than 5,000 characters" in response.get_data(as_text=True)
    assert mod_rows("SELECT count(*) AS n FROM answers") == [{"n": 0}]
    # put right, it is published and listed with its question
    response = moderator.post(f"/moderation/submissions/{ref}/answer", {
        "body": answer, "language": "en", "action": "publish", "listed": "1",
        "public_question": "When does Langar open?"})
    assert response.status_code == 303
    feed = mod_app.test_client().get("/api/v1/feed.json").get_json()
    assert [a["question"] for a in feed["answers"]] == ["When does Langar open?"]


def test_an_invalid_note_is_shown_back_with_the_typed_text(moderator, submit):
    ref = submit()
    note = "x" * 3001
    response = moderator.post(f"/moderation/submissions/{ref}/notes", {"body": note})
    assert response.status_code == 400 and f">{note}</textarea>" in response.get_data(as_text=True)


def test_storage_refuses_a_listed_answer_without_a_public_question(mod_app, submit):
    ref = submit()
    with mod_app.app_context():
        db = storage.get_db()
        sid = sm.submission_id(db, ref)
        user = sm.user_by_name(db, "ada")["id"]
        for question in (None, "", "  \n "):
            with pytest.raises(ValueError, match="public question"):
                sm.save_answer(db, sid, user, "An answer", "en", question, True, True)
        # and the database itself refuses it, whatever writes
        with pytest.raises(sqlite3.IntegrityError, match="public question"):
            db.conn.execute("INSERT INTO answers (submission_id, body, language, public_question, published,"
                            " listed, created_at, updated_at) VALUES (?, 'a', 'en', NULL, 1, 1, 'x', 'x')", [sid])
        db.conn.rollback()
        assert sm.save_answer(db, sid, user, "An answer", "en", None, True, False) == "published"
