"""The outbox: which published answers are texted (written in the answer's own transaction),
how the sender retries and gives up when Kannel cannot take them (real sockets: a closed port,
a server that never answers), the moderators' list and "send again", delivery reports, and
what retention and STOP do. The path through real Kannel is in test_sms_kannel.py."""
from __future__ import annotations

import base64
import shutil
import socket

import pytest

from feedback_api import storage
from feedback_api.sms import parts, sender
from tests.fixtures_moderation import CHEAP_HASH, Staff, add_user
from tests.fixtures_service import free_port, make_app, read_rows
from tests.test_site_html import VNU, vnu

SMS_SECRET = "an-inbound-secret-for-tests"
AUTH = {"Authorization": "Basic " + base64.b64encode(f"kannel:{SMS_SECRET}".encode()).decode()}


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path, SMS_INBOUND_SECRET=SMS_SECRET, SMS_SENDSMS_PASSWORD="p" * 20,
                   SMS_SENDSMS_URL=f"http://127.0.0.1:{free_port()}/cgi-bin/sendsms",  # nothing listens
                   SMS_MAX_ATTEMPTS=3, SMS_RETRY_BASE_SECONDS=0, SMS_SEND_TIMEOUT_SECONDS=1,
                   PASSWORD_METHOD=CHEAP_HASH)
    add_user(app, "ada", "admin")
    yield app
    storage.close_thread_connections()


@pytest.fixture
def staff(app):
    s = Staff(app, "ada")
    assert s.sign_in().status_code == 303
    return s


def sms_question(app, number="03001234567", text="When will my Kafalat payment come? Please tell me") -> str:
    response = app.test_client().post(f"/api/v1/sms/inbound?from={number}", data=text.encode(),
                                      content_type="text/plain; charset=utf-8", headers=AUTH)
    return response.headers["X-SMS-Reference"]


def web_question(app, **fields) -> str:
    body = {"message": "When will my Kafalat payment come?", "kind": "question", "language": "en", **fields}
    return app.test_client().post("/api/v1/submissions", json=body).get_json()["reference"]


def publish(staff, reference, body="The payment comes next week.", action="publish", lang="en"):
    return staff.post(f"/moderation/submissions/{reference}/answer",
                      {"body": body, "language": lang, "action": action})


def outbox(app):
    return read_rows(app.config["DATABASE"], "SELECT o.*, s.reference FROM sms_outbox o"
                                             " JOIN submissions s ON s.id = o.submission_id ORDER BY o.id")


def test_publishing_an_sms_question_queues_the_answer_once(app, staff):
    reference = sms_question(app)
    publish(staff, reference, action="save")
    assert outbox(app) == []                       # a draft is not sent
    publish(staff, reference)
    [row] = outbox(app)
    assert row["status"] == "queued" and row["reference"] == reference
    assert row["body"] == f"Answer to your message {reference}: The payment comes next week."
    assert (row["encoding"], row["parts"]) == ("gsm7", 1)
    publish(staff, reference)                      # published again, same words: not again
    assert len(outbox(app)) == 1
    publish(staff, reference, "The payment comes next week, at the Tehsil office. Call 0300 1234567")
    assert len(outbox(app)) == 2 and "0300 1234567" not in outbox(app)[1]["body"]   # masked like the page


@pytest.mark.parametrize("contact, consent, texted", [
    ("0300 1234567", True, True), ("+923001234567", True, True),
    ("0300 1234567", False, False),                # no consent
    ("021 34567890", True, False),                 # a landline
    ("someone@example.org", True, False),
])
def test_a_web_answer_is_texted_only_to_a_consenting_pakistani_mobile(app, staff, contact, consent, texted):
    reference = web_question(app, contact=contact, consent_to_contact=consent)
    publish(staff, reference)
    assert bool(outbox(app)) == texted


def test_a_sensitive_case_never_gets_content_by_sms(app, staff):
    reference = sms_question(app, text="The agent took a bribe and cut my payment, this is fraud")
    page = staff.get(f"/moderation/submissions/{reference}").get_data(as_text=True)
    assert "No SMS on publishing: sensitive cases never get content by SMS" in page
    publish(staff, reference)
    publish(staff, reference, action="save")
    assert outbox(app) == []


def test_moderators_see_the_part_count_before_publishing(app, staff):
    reference = sms_question(app, text="میری کفالت کی قسط کب آئے گی؟ براہ کرم بتائیں")
    publish(staff, reference, "آپ کی قسط اگلے ہفتے آئے گی۔ " * 6, action="save", lang="ur")
    page = staff.get(f"/moderation/submissions/{reference}").get_data(as_text=True)
    [draft] = read_rows(app.config["DATABASE"], "SELECT body FROM answers")
    from feedback_api.sms import replies
    with app.test_request_context():
        expected = parts.count(replies.answer_message("ur", reference, draft["body"]))
    assert f"<strong>{expected['parts']} SMS parts</strong>" in page and "UCS-2" in page


def test_kannel_unreachable_retries_then_gives_up_into_the_moderators_list(app, staff, tmp_path):
    reference = sms_question(app)
    publish(staff, reference)
    for attempt in (1, 2):
        assert sender.run_once(app) == {"sent": 0, "retry": 1, "gave_up": 0, "cancelled": 0}
        [row] = outbox(app)
        assert row["status"] == "queued" and row["attempts"] == attempt
        assert row["last_error"] == "Kannel not reachable"
    assert sender.run_once(app)["gave_up"] == 1
    assert outbox(app)[0]["status"] == "gave_up"
    page = staff.get("/moderation/sms").get_data(as_text=True)
    assert reference in page and "Kannel not reachable" in page
    html = tmp_path / "outbox.html"
    html.write_text(page, encoding="utf-8")
    answer_form = tmp_path / "answer.html"
    answer_form.write_text(staff.get(f"/moderation/submissions/{reference}").get_data(as_text=True), encoding="utf-8")
    if VNU.exists() and shutil.which("java"):
        result = vnu(html, answer_form)
        assert result.returncode == 0, (result.stdout + result.stderr)[:3000]
    [row] = outbox(app)
    assert staff.post(f"/moderation/sms/{row['id']}/retry").status_code == 303
    [row] = outbox(app)
    assert (row["status"], row["attempts"]) == ("queued", 0)
    [audit] = read_rows(app.config["DATABASE"], "SELECT * FROM audit_log WHERE action = 'sms_retry'")
    assert '"gave_up"' in audit["before"]
    assert staff.post(f"/moderation/sms/{row['id']}/retry").status_code == 404   # not in trouble now


def test_a_post_that_may_have_gone_is_never_repeated(app, tmp_path):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)                              # accepts connections, never answers
    app.config["SMS_SENDSMS_URL"] = f"http://127.0.0.1:{listener.getsockname()[1]}/cgi-bin/sendsms"
    try:
        staff = Staff(app, "ada")
        staff.sign_in()
        publish(staff, sms_question(app))
        assert sender.run_once(app)["gave_up"] == 1
        [row] = outbox(app)
        assert row["status"] == "gave_up" and "may have been sent" in row["last_error"]
        assert sender.run_once(app) == {"sent": 0, "retry": 0, "gave_up": 0, "cancelled": 0}
    finally:
        listener.close()


def test_a_message_left_sending_by_a_dead_sender_goes_to_the_list(app, staff):
    publish(staff, sms_question(app))
    with app.app_context():
        from feedback_api.sms import store
        store.claim(storage.get_db())
        storage.get_db().conn.execute("UPDATE sms_outbox SET claimed_at = '2000-01-01T00:00:00Z'")
        storage.get_db().conn.commit()
    assert sender.recover(app) == 1
    assert outbox(app)[0]["last_error"] == "interrupted: may have been sent"


def test_stop_and_erased_contacts_cancel_instead_of_sending(app, staff):
    stopped, erased = sms_question(app, "03001111111"), sms_question(app, "03002222222")
    client = app.test_client()
    client.post("/api/v1/sms/inbound?from=03001111111", data=b"STOP", content_type="text/plain", headers=AUTH)
    publish(staff, stopped)
    publish(staff, erased)
    with app.app_context():
        db = storage.get_db()
        db.conn.execute("DELETE FROM contacts WHERE submission_id = (SELECT id FROM submissions WHERE reference = ?)",
                        [erased])
        db.conn.commit()
    assert sender.run_once(app)["cancelled"] == 2
    errors = {r["reference"]: r["last_error"] for r in outbox(app)}
    assert errors == {stopped: "the number sent STOP", erased: "no contact number (erased or invalid)"}


def test_delivery_reports(app, staff):
    publish(staff, sms_question(app))
    [row] = outbox(app)
    client = app.test_client()

    def report(query, headers=AUTH):
        return client.get(f"/api/v1/sms/delivery?{query}", headers=headers)
    assert report(f"id={row['id']}&status=1", headers={}).status_code == 401
    assert report("id=x&status=1").status_code == 400
    assert report("id=999&status=1").status_code == 404
    assert report(f"id={row['id']}&status=8").status_code == 200
    assert outbox(app)[0]["status"] == "delivered" and outbox(app)[0]["dlr_status"] == 8
    assert report(f"id={row['id']}&status=2").status_code == 200
    assert outbox(app)[0]["status"] == "failed"
    assert report(f"id={row['id']}&status=8").status_code == 200   # a late SMS-centre report
    assert outbox(app)[0]["status"] == "failed"


def test_retention_forgets_silent_numbers_but_keeps_stop(app):
    client = app.test_client()
    for number, body in (("03001111111", b"STOP"), ("03002222222", "سنڌي".encode())):
        client.post(f"/api/v1/sms/inbound?from={number}", data=body,
                    content_type="text/plain; charset=utf-8", headers=AUTH)
    with app.app_context():
        db = storage.get_db()
        db.conn.execute("UPDATE sms_numbers SET updated_at = '2000-01-01T00:00:00Z'")
        db.conn.commit()
        from feedback_api import maintenance
        report = maintenance.run_retention(db, 30)
    assert report["sms_numbers_forgotten"] == 1
    assert [r["stopped"] for r in read_rows(app.config["DATABASE"], "SELECT stopped FROM sms_numbers")] == [1]


def test_moderators_read_the_sms_pages_in_urdu(app, staff):
    """The outbox, its statuses and errors, and the answer form's SMS preview, in the
    moderator's language like the rest of moderation: no English left on an Urdu page."""
    import re

    from feedback_api.storage import moderation as sm

    failing = sms_question(app)
    publish(staff, failing)
    for _ in range(3):
        sender.run_once(app)                      # Kannel not reachable: gives up after 3
    with app.app_context():
        db = storage.get_db()
        sm.set_user_language(db, sm.user_by_name(db, "ada")["id"], "ur")
    page = staff.get("/moderation/sms").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in page
    for words in ("بھیجے جانے والے ایس ایم ایس", "کوشش چھوڑ دی: ۱",            # counts, Urdu digits
                  "ایس ایم ایس کے دروازے (کینل) سے رابطہ نہیں ہو سکا", "دوبارہ بھیجیں",
                  "انگریزی حروف"):
        assert words in page, words
    main = re.sub(r"<[^>]+>", " ", page.split("<main", 1)[1].split(">", 1)[1].split("</main>", 1)[0])
    assert re.findall(r"[A-Za-z]{2,}", main.replace(failing, "")) == []   # the reference aside
    # The answer form: the part count, and why a sensitive case gets no SMS.
    urdu = sms_question(app, "03005555555", "میری کفالت کی قسط کب آئے گی؟ براہ کرم بتائیں")
    publish(staff, urdu, "آپ کی قسط اگلے ہفتے آئے گی۔ " * 6, action="save", lang="ur")
    form = staff.get(f"/moderation/submissions/{urdu}").get_data(as_text=True)
    assert "حصوں میں ایس ایم ایس</strong>" in form and "اردو حروف" in form
    sensitive = sms_question(app, "03006666666", "The agent took a bribe and cut my payment, this is fraud")
    form = staff.get(f"/moderation/submissions/{sensitive}").get_data(as_text=True)
    assert "شائع کرنے پر ایس ایم ایس نہیں جائے گا: حساس معاملات میں ایس ایم ایس پر کوئی تفصیل نہیں بھیجی جاتی" in form
    assert "No SMS on publishing" not in form


def test_stored_errors_are_shown_in_the_moderators_language(app):
    from feedback_api.sms.moderation_views import error_text
    with app.test_request_context("/moderation/sms"):
        assert error_text("Kannel answered 503: Queue full") == "Kannel answered 503: Queue full"
        assert error_text("connection lost after sending: ReadError") == \
            "connection lost after sending (ReadError): may have been sent"
        assert error_text("something Kannel said that we never saw") == "something Kannel said that we never saw"
        assert error_text(None) == ""
