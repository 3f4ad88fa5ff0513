"""The inbound SMS route in-process (every response checked against the OpenAPI document):
who may call it, bad and hostile input, what a text is taken as and answered with, the
reply's language, per-number limits, and what is stored (and where the number is kept)."""
from __future__ import annotations

import base64

import pytest

from feedback_api import storage
from feedback_api.sms import phone, replies
from tests.fixtures_service import SECRET, make_app, read_rows

SMS_SECRET = "an-inbound-secret-for-tests"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"kannel:{SMS_SECRET}".encode()).decode()}


@pytest.fixture
def sms_app(tmp_path):
    app = make_app(tmp_path, SMS_INBOUND_SECRET=SMS_SECRET, SMS_SENDSMS_PASSWORD="x" * 20)
    yield app
    storage.close_thread_connections()


@pytest.fixture
def text(sms_app):
    client = sms_app.test_client()

    def send(body, number="03001234567", headers=AUTH, charset="utf-8", remote="127.0.0.1", **kwargs):
        data = body.encode(charset if charset != "utf-16be" else "utf-16-be") if isinstance(body, str) else body
        return client.post(f"/api/v1/sms/inbound?from={number}", data=data,
                           content_type=kwargs.pop("content_type", f"text/plain; charset={charset}"),
                           headers=headers, environ_base={"REMOTE_ADDR": remote}, **kwargs)
    return send


def rows(app, sql, params=()):
    return read_rows(app.config["DATABASE"], sql, params)


# ---------------------------------------------------------------- who may call

def test_without_the_secret_nothing_passes_and_nothing_is_stored(sms_app, text):
    question = "میری کفالت کی قسط کب آئے گی؟"
    assert text(question, headers={}).status_code == 401
    wrong = {"Authorization": "Basic " + base64.b64encode(b"kannel:not-the-secret").decode()}
    assert text(question, headers=wrong).status_code == 401
    other_user = {"Authorization": "Basic " + base64.b64encode(f"admin:{SMS_SECRET}".encode()).decode()}
    assert text(question, headers=other_user).status_code == 401
    assert text(question, headers={"Authorization": "Bearer " + SMS_SECRET}).status_code == 401
    response = text(question, headers={})
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert rows(sms_app, "SELECT id FROM submissions") == []


def test_only_configured_addresses_may_call(sms_app, text):
    response = text("کفالت", remote="203.0.113.9")
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden_address"
    assert text("کفالت", remote="::1").status_code == 200


def test_without_a_configured_secret_the_channel_is_off(tmp_path):
    app = make_app(tmp_path)
    response = app.test_client().post("/api/v1/sms/inbound?from=03001234567", data=b"x",
                                      content_type="text/plain", headers=AUTH)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "sms_not_configured"
    storage.close_thread_connections()


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("number", ["", "abc", "03<script>", "1" * 30, "+92 300 12x"])
def test_a_bad_sender_is_refused(sms_app, text, number):
    response = text("کفالت", number=number)
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_sender"


def test_unreadable_bodies_get_a_clear_error_and_store_nothing(sms_app, text):
    assert text(b"\xff\xfe\xfa", charset="utf-8").status_code == 400
    assert text("x", content_type="application/octet-stream").status_code == 415
    assert text("x", content_type="text/plain; charset=koi8-r").status_code == 415
    big = ("ا" * 20000)
    assert text(big).status_code == 413
    assert rows(sms_app, "SELECT id FROM submissions") == []


@pytest.mark.parametrize("hostile", [
    "question with a NUL \x00 inside it please",
    "a question " + "long " * 700,
])
def test_a_message_that_cannot_be_taken_is_answered_and_not_stored(sms_app, text, hostile):
    response = text(hostile)
    assert response.status_code == 200
    assert response.headers["X-SMS-Outcome"].startswith("refused:")
    assert response.get_data(as_text=True) in (replies.problem("en", "too_long"), replies.problem("en", "x"))
    assert rows(sms_app, "SELECT id FROM submissions") == []


def test_hostile_text_is_stored_as_text(sms_app, text):
    message = "=HYPERLINK(\"x\") <script>alert(1)</script> '; DROP TABLE submissions; -- \u202ereversed"
    response = text(message)
    assert response.headers["X-SMS-Outcome"] == "submission"
    [row] = rows(sms_app, "SELECT message FROM submissions")
    assert "<script>" in row["message"] and "\u202e" not in row["message"]


def test_ucs2_and_latin1_bodies_are_read(sms_app, text):
    assert text("ڪفالت", charset="utf-16be").get_data(as_text=True) == replies.component("sd", "kafalat")
    assert text("café kafalat question about my payment", charset="iso-8859-1").headers["X-SMS-Outcome"] == "submission"


# ---------------------------------------------------------------- what a text means

def test_keywords_menu_and_reply_language(sms_app, text):
    assert text("کفالت", number="03000000001").get_data(as_text=True) == replies.component("ur", "kafalat")
    assert text("ڪفالت", number="03000000002").get_data(as_text=True) == replies.component("sd", "kafalat")
    # A shared word answers in the number's last language: Sindhi here.
    assert text("کفالت", number="03000000002").get_data(as_text=True) == replies.component("sd", "kafalat")
    # A language's name switches; the reply says so in that language, with the menu.
    assert text("پښتو", number="03000000002").get_data(as_text=True) == replies.language_set("ps")
    assert text("KAFALAT", number="03000000002").get_data(as_text=True) == replies.component("ps", "kafalat")
    # One or two unknown words: the menu, in the language of the script (Urdu for a new number).
    response = text("ہیلو جی", number="03000000003")
    assert response.headers["X-SMS-Outcome"] == "menu" and response.get_data(as_text=True) == replies.menu("ur")
    assert text("HELP", number="03000000004").get_data(as_text=True) == replies.menu("en")
    assert rows(sms_app, "SELECT id FROM submissions") == []
    # Every reply fits: at most 2 parts.
    from feedback_api.sms import parts
    for lang in ("en", "ur", "sd", "ps", "pa-Arab"):
        assert parts.parts(replies.menu(lang)) <= 2 and parts.parts(replies.language_set(lang)) <= 2


def test_a_question_is_stored_like_a_web_submission(sms_app, text):
    question = "ميري ڪفالت جي قسط ڪڏهن ايندي؟ مهرباني ڪري ٻڌايو"
    response = text(question, number="%2B923007654321")
    assert response.headers["X-SMS-Outcome"] == "submission"
    reference = response.headers["X-SMS-Reference"]
    assert reference in response.get_data(as_text=True)
    [row] = rows(sms_app, "SELECT s.*, c.contact, c.consent_to_contact, c.name FROM submissions s"
                          " JOIN contacts c ON c.submission_id = s.id")
    assert row["channel"] == "sms" and row["language"] == "sd" and row["component"] == "kafalat"
    assert row["contact"] == "+923007654321" and row["consent_to_contact"] == 1 and row["name"] is None
    # The number is kept only with the contact details: elsewhere only its keyed hash.
    assert row["client_hash"] == phone.number_hash(SECRET, "+923007654321")
    dump = "\n".join(sms_app_dump(sms_app))
    assert dump.count("+923007654321") == 1 and "3007654321" not in dump.replace("+923007654321", "")
    # The same text again within the duplicate window: the same reference, nothing new.
    again = text(question, number="03007654321")
    assert again.headers["X-SMS-Outcome"] == "duplicate" and again.headers["X-SMS-Reference"] == reference
    assert len(rows(sms_app, "SELECT id FROM submissions")) == 1


def sms_app_dump(app):
    import sqlite3
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        yield from conn.iterdump()
    finally:
        conn.close()


def test_a_sensitive_message_gets_only_receipt_reference_and_helpline(sms_app, text):
    response = text("ایک آدمی نے پیسے مانگے اور رشوت لی، میری کفالت کی رقم کاٹ لی")
    [row] = rows(sms_app, "SELECT reference, sensitive FROM submissions")
    assert row["sensitive"] == 1
    assert response.get_data(as_text=True) == replies.received("ur", row["reference"])


def test_status_by_reference_in_any_form(sms_app, text):
    reference = text("When will the Kafalat payment come to my area?").headers["X-SMS-Reference"]
    urdu_digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    for typed in (reference, reference.lower(), reference.replace("-", " "), reference.translate(urdu_digits)):
        response = text(typed)
        assert response.headers["X-SMS-Outcome"] == "status", typed
        assert response.get_data(as_text=True).startswith(reference)
    wrong = reference[:-1] + ("A" if reference[-1] != "A" else "B")
    assert text(wrong).headers["X-SMS-Outcome"] == "invalid_reference"


def test_status_with_a_long_answer_is_cut_to_three_parts(sms_app):
    from feedback_api.sms import parts
    with sms_app.test_request_context():
        public = {"reference": "7KQ2-MXR4-TZF", "status": "answered",
                  "answer": {"body": "لمبا جواب " * 80, "language": "ur", "published_at": None}}
        reply = replies.status("ur", public)
        assert parts.parts(reply) == 3 and reply.endswith(replies._read_rest("ur", "7KQ2-MXR4-TZF"))


def test_stop_and_start_in_every_language(sms_app, text):
    for i, (stop, start, lang) in enumerate([("STOP", "START", "en"), ("بند", "شروع", "ur"),
                                             ("روڪيو", "شروع", "sd"), ("ودروئ", "پیل", "ps"),
                                             ("روکو", "شروع", "pa-Arab")]):
        number = f"0333000000{i}"
        if lang not in ("en", "ur"):
            text({"sd": "سنڌي", "ps": "پښتو", "pa-Arab": "پنجابی"}[lang], number=number)
        assert text(stop, number=number).get_data(as_text=True) == replies.stopped(lang)
        quiet = text("کفالت", number=number)
        assert quiet.get_data(as_text=True) == "" and quiet.headers["X-SMS-Outcome"] == "component:stopped"
        assert text(stop, number=number).get_data(as_text=True) == ""   # confirmed once only
        assert text(start, number=number).get_data(as_text=True) == replies.started(lang)


def _texter(app):
    client = app.test_client()

    def send(number, body):
        return client.post(f"/api/v1/sms/inbound?from={number}", data=body.encode(),
                           content_type="text/plain; charset=utf-8", headers=AUTH)
    return send


def test_per_number_limit_stops_a_flood_from_one_phone_only(tmp_path):
    app = make_app(tmp_path, SMS_INBOUND_SECRET=SMS_SECRET, RATELIMIT_ENABLED=True,
                   SMS_LIMIT_PER_NUMBER="3 per minute")
    client, send = app.test_client(), _texter(app)
    responses = [send("03001111111", f"question number {i} about my payment") for i in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert 1 <= int(responses[-1].headers["Retry-After"]) <= 60   # when this number may text again
    assert responses[-1].get_json()["error"]["code"] == "rate_limited"
    assert send("03002222222", "another person asks about the payment").status_code == 200
    # Forged requests do not use up a real number's quota.
    for _ in range(5):
        client.post("/api/v1/sms/inbound?from=03003333333", data=b"x", content_type="text/plain")
    assert send("03003333333", "my own question about kafalat payment").status_code == 200
    assert len(read_rows(app.config["DATABASE"], "SELECT id FROM submissions")) == 5
    storage.close_thread_connections()


def test_per_number_limit_holds_across_workers_without_redis(tmp_path):
    """Two apps on one database, each with its own in-process limiter storage, as two gunicorn
    workers without Redis: the number's texts are counted once, in the database."""
    first, second = (make_app(tmp_path, SMS_INBOUND_SECRET=SMS_SECRET, RATELIMIT_ENABLED=True,
                              SMS_LIMIT_PER_NUMBER="3 per minute;4 per hour") for _ in range(2))
    a, b = _texter(first), _texter(second)
    # Every kind of text counts: a question, a keyword, a reference, STOP.
    assert a("03001111111", "when will my payment come please").status_code == 200
    assert b("03001111111", "KAFALAT").status_code == 200
    assert a("03001111111", "ABCDEFGH234").status_code == 200
    refused = b("03001111111", "STOP")
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    # Over the limit nothing is stored: not the STOP, not a question.
    assert a("03001111111", "another question about my payment").status_code == 429
    assert rows(first, "SELECT stopped FROM sms_numbers") == [{"stopped": 0}]
    assert len(rows(first, "SELECT id FROM submissions")) == 1
    # A minute later (the texts moved back in time) the minute's limit has room, the hour's one.
    with first.app_context():
        db = storage.get_db()
        db.conn.execute("UPDATE sms_texts SET at = at - 61")
        db.conn.commit()
    assert b("03001111111", "STOP").status_code == 200
    hour = a("03001111111", "STOP")
    assert hour.status_code == 429 and 60 < int(hour.headers["Retry-After"]) <= 3600 - 61
    assert b("03002222222", "KAFALAT").status_code == 200   # another number is not held back
    storage.close_thread_connections()


def test_counted_texts_are_kept_no_longer_than_the_longest_limit(tmp_path):
    app = make_app(tmp_path, SMS_INBOUND_SECRET=SMS_SECRET, RATELIMIT_ENABLED=True,
                   SMS_LIMIT_PER_NUMBER="5 per minute;10 per hour")
    send = _texter(app)
    for number in ("03001111111", "03001111111", "03002222222"):
        assert send(number, "HELP").status_code == 200
    with app.app_context():
        db = storage.get_db()
        db.conn.execute("UPDATE sms_texts SET at = at - 3601")
        db.conn.commit()
    assert send("03001111111", "HELP").status_code == 200    # drops its own old ones
    counted = rows(app, "SELECT number_hash FROM sms_texts")
    assert len(counted) == 2 and counted[0]["number_hash"] != counted[1]["number_hash"]
    with app.app_context():
        from feedback_api import maintenance
        db = storage.get_db()
        db.conn.execute("UPDATE sms_texts SET at = at - 40 * 86400")
        db.conn.commit()
        maintenance.run_retention(db, 30)                     # and retention the rest
    assert rows(app, "SELECT * FROM sms_texts") == []
    storage.close_thread_connections()
