"""Sending a question or feedback: stored once, safely, and answered with a reference; every bad
input gets a clear error in the sender's language and changes nothing."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from feedback_api import references

GOOD = {"kind": "question", "component": "kafalat", "language": "en",
        "message": "When will the next Kafalat payment be made?"}
REF_IN_LOCATION = re.compile(r"/api/v1/submissions/([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3})/received")


def count(db_rows, table="submissions"):
    return db_rows(f"SELECT count(*) AS n FROM {table}")[0]["n"]


# ---------------------------------------------------------------- the happy paths

def test_json_submission_is_stored_and_answered_with_a_reference(api, db_rows):
    response = api.post("/api/v1/submissions", json=GOOD)
    assert response.status_code == 201
    body = response.get_json()
    assert references.normalise(body["reference"]) == body["reference"]
    assert body["status_url"] == f"/api/v1/submissions/{body['reference']}"
    [row] = db_rows("SELECT * FROM submissions")
    assert row["reference"] == body["reference"]
    assert (row["kind"], row["component"], row["language"]) == ("question", "kafalat", "en")
    assert row["message"] == GOOD["message"]
    assert row["status"] == "new" and row["channel"] == "web" and row["sensitive"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["received_at"])
    assert count(db_rows, "contacts") == 0  # nothing personal was sent, nothing stored


def test_form_post_redirects_to_a_confirmation_in_urdu_showing_the_reference(api, db_rows):
    response = api.post("/api/v1/submissions", data={**GOOD, "language": "ur",
                                                      "message": "کفالت کی اگلی قسط کب ملے گی؟"})
    assert response.status_code == 303
    reference = REF_IN_LOCATION.search(response.headers["Location"]).group(1)
    page = api.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<html lang="ur" dir="rtl">' in html
    assert reference in html
    assert "شکریہ۔ ہمیں آپ کا پیغام مل گیا ہے" in html
    assert db_rows("SELECT message FROM submissions")[0]["message"] == "کفالت کی اگلی قسط کب ملے گی؟"


def test_english_form_confirmation_is_left_to_right(api):
    response = api.post("/api/v1/submissions", data=GOOD)
    page = api.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "Thank you. We received your message" in page


def test_contact_details_go_to_their_own_table(api, db_rows):
    api.post("/api/v1/submissions", json={**GOOD, "name": "Amina Bibi", "contact": "0300 0000000",
                                          "consent_to_contact": True})
    [contact] = db_rows("SELECT * FROM contacts")
    assert (contact["name"], contact["contact"], contact["consent_to_contact"]) == ("Amina Bibi", "0300 0000000", 1)
    columns = {r["name"] for r in db_rows("PRAGMA table_info(submissions)")}
    assert not {"name", "contact"} & columns


def test_form_checkbox_consent(api, db_rows):
    api.post("/api/v1/submissions", data={**GOOD, "contact": "amina@example.org", "consent_to_contact": "yes"})
    assert db_rows("SELECT consent_to_contact FROM contacts")[0]["consent_to_contact"] == 1


def test_defaults_when_only_a_message_is_sent(api, db_rows):
    response = api.post("/api/v1/submissions", json={"message": "Thank you"},
                        headers={"Accept-Language": "ur,en;q=0.5"})
    assert response.status_code == 201
    [row] = db_rows("SELECT kind, component, language FROM submissions")
    assert row == {"kind": "feedback", "component": "general", "language": "ur"}


def test_client_address_is_never_stored_raw(service_app, api, db_rows):
    api.post("/api/v1/submissions", json=GOOD, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    api.post("/api/v1/ratings", json={"page": "/", "helpful": True}, environ_base={"REMOTE_ADDR": "203.0.113.77"})
    [row] = db_rows("SELECT client_hash FROM submissions")
    assert re.fullmatch(r"[0-9a-f]{32}", row["client_hash"])
    for path in Path(service_app.config["DATABASE"]).parent.glob("feedback.sqlite3*"):
        assert b"203.0.113.77" not in path.read_bytes()


def test_honeypot_gets_the_same_answer_and_is_stored_as_spam(api, db_rows):
    response = api.post("/api/v1/submissions", json={**GOOD, "website": "http://spam.example"})
    assert response.status_code == 201 and set(response.get_json()) == {"reference", "status", "status_url", "duplicate"}
    [row] = db_rows("SELECT status, spam_reason FROM submissions")
    assert row == {"status": "spam", "spam_reason": "honeypot"}
    # Looking it up shows nothing that tells a bot it was caught.
    status = api.get(response.get_json()["status_url"]).get_json()
    assert status["status"] == "received"


def test_honeypot_form_post_also_redirects_to_the_confirmation(api, db_rows):
    response = api.post("/api/v1/submissions", data={**GOOD, "website": "x"})
    assert response.status_code == 303 and REF_IN_LOCATION.search(response.headers["Location"])
    assert db_rows("SELECT status FROM submissions")[0]["status"] == "spam"


def test_a_resend_within_minutes_is_stored_once_with_the_first_reference(api, db_rows):
    # The same form sent again (its key: resubmits.py), with different spacing or case.
    keyed = {**GOOD, "submission_key": "k" * 22}
    first = api.post("/api/v1/submissions", json=keyed)
    again = api.post("/api/v1/submissions", json={**keyed, "message": "  when will the next KAFALAT payment be made? "})
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert again.get_json()["duplicate"] is True
    assert count(db_rows) == 1
    # A form resubmission (double tap) lands on the same confirmation.
    form = api.post("/api/v1/submissions", data=keyed)
    assert first.get_json()["reference"] in form.headers["Location"]
    assert count(db_rows) == 1


def test_same_message_from_another_client_is_a_new_submission(api, db_rows):
    api.post("/api/v1/submissions", json=GOOD, environ_base={"REMOTE_ADDR": "198.51.100.1"})
    api.post("/api/v1/submissions", json=GOOD, environ_base={"REMOTE_ADDR": "198.51.100.2"})
    assert count(db_rows) == 2


def test_duplicate_window_is_configurable(make_service_app):
    app = make_service_app(DUPLICATE_WINDOW_SECONDS=0)
    client = app.test_client()
    keyed = {**GOOD, "submission_key": "k" * 22}
    a = client.post("/api/v1/submissions", json=keyed).get_json()["reference"]
    import time
    time.sleep(1.1)
    b = client.post("/api/v1/submissions", json=keyed).get_json()["reference"]
    assert a != b


@pytest.mark.parametrize("message, category", [
    ("The retailer deducted 1,000 rupees from my Kafalat payment", True),
    ("دکاندار نے میری رقم میں سے کٹوتی کی", True),
    ("Agent ne rishwat maangi", True),
    ("ایک شخص نے جنسی ہراسانی کی", True),
    ("A man at the centre harassed me", True),
    ("When does registration open?", False),
    ("انگور اور علاج", False),
    ("I like grapes and therapeutic care", False),
])
def test_fraud_deduction_and_abuse_are_flagged_sensitive_on_arrival(api, db_rows, message, category):
    api.post("/api/v1/submissions", json={**GOOD, "kind": "complaint", "message": message})
    assert db_rows("SELECT sensitive FROM submissions")[0]["sensitive"] == int(category)


# ---------------------------------------------------------------- bad input: clear error, nothing changes

@pytest.mark.parametrize("payload, field, code", [
    ({**GOOD, "message": None}, "message", "required"),
    ({k: v for k, v in GOOD.items() if k != "message"}, "message", "required"),
    ({**GOOD, "message": ""}, "message", "required"),
    ({**GOOD, "message": " \n\t "}, "message", "required"),
    ({**GOOD, "message": "x" * 3001}, "message", "too_long"),
    ({**GOOD, "message": 42}, "message", "not_text"),
    ({**GOOD, "message": ["a"]}, "message", "not_text"),
    ({**GOOD, "message": {"a": 1}}, "message", "not_text"),
    ({**GOOD, "kind": "rant"}, "kind", "unknown_choice"),
    ({**GOOD, "kind": ["question"]}, "kind", "not_text"),
    ({**GOOD, "component": "bisp-loans"}, "component", "unknown_choice"),
    ({**GOOD, "language": "fr"}, "language", "unknown_choice"),
    ({**GOOD, "language": 1}, "language", "not_text"),
    ({**GOOD, "message": "hello\x00world"}, "message", "control_characters"),
    ({**GOOD, "message": "bell\x07"}, "message", "control_characters"),
    ({**GOOD, "message": "half a \ud800 surrogate"}, "message", "invalid_characters"),
    ({**GOOD, "name": "x" * 101}, "name", "too_long"),
    ({**GOOD, "page": "javascript:alert(1)"}, "page", "invalid_page"),
    ({**GOOD, "page": "//evil.example/"}, "page", "invalid_page"),
    ({**GOOD, "consent_to_contact": "maybe"}, "consent_to_contact", "invalid_boolean"),
    ({**GOOD, "consent_to_contact": 3}, "consent_to_contact", "invalid_boolean"),
])
def test_invalid_fields_are_named_and_nothing_is_stored(api, db_rows, payload, field, code):
    response = api.post("/api/v1/submissions", json=payload)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["fields"][field]["code"] == code
    assert error["fields"][field]["message"]
    assert count(db_rows) == 0


def test_error_messages_are_in_the_senders_language(api):
    error = api.post("/api/v1/submissions", json={**GOOD, "language": "ur", "message": ""}).get_json()["error"]
    assert error["fields"]["message"]["message"] == "یہ خانہ خالی نہیں ہو سکتا۔"


@pytest.mark.parametrize("body, content_type, status, code", [
    (b'{"message": "unclosed', "application/json", 400, "malformed_json"),
    (b"[1, 2]", "application/json", 400, "malformed_json"),
    (b'"just a string"', "application/json", 400, "malformed_json"),
    (b"", "application/json", 400, "malformed_json"),
    (b'{"message": "caf\xe9"}', "application/json", 400, "invalid_encoding"),
    (b"message=caf\xe9", "application/x-www-form-urlencoded", 400, "invalid_encoding"),
    (b"message=caf%E9", "application/x-www-form-urlencoded", 400, "invalid_encoding"),
    (b"message=hello", "text/plain", 415, "unsupported_media_type"),
    (b"message=hello", "multipart/form-data; boundary=x", 415, "unsupported_media_type"),
    (b'{"message": "hello"}', "application/json; charset=latin-1", 415, "unsupported_media_type"),
    (b'{"message": "hello"}', None, 415, "unsupported_media_type"),
])
def test_unreadable_bodies_get_a_clear_error(api, db_rows, body, content_type, status, code):
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post("/api/v1/submissions", data=body, headers=headers)
    assert response.status_code == status
    if content_type == "application/x-www-form-urlencoded":  # a browser: a page saying what happened
        html = response.get_data(as_text=True)
        assert response.mimetype == "text/html" and "not valid UTF-8" in html
    else:
        assert response.get_json()["error"]["code"] == code
    assert count(db_rows) == 0


def test_oversized_body_gets_413(api, db_rows):
    response = api.post("/api/v1/submissions", json={**GOOD, "message": "x" * 40_000})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert count(db_rows) == 0


def test_oversized_form_post_gets_a_page_in_its_language(api):
    # The body was not read, so the page uses the browser's language.
    response = api.post("/api/v1/submissions", data={"message": "x" * 40_000, "language": "ur"},
                        headers={"Accept-Language": "ur"})
    assert response.status_code == 413 and response.mimetype == "text/html"
    assert 'lang="ur"' in response.get_data(as_text=True)


def test_message_at_exactly_the_limit_is_accepted(api):
    assert api.post("/api/v1/submissions", json={**GOOD, "message": "ب" * 3000}).status_code == 201


def test_form_error_page_lists_what_to_fix_and_keeps_what_was_typed(api, db_rows):
    typed = {"language": "ur", "kind": "complaint", "component": "langar", "message": "",
             "name": "عائشہ <b>", "contact": "0300-0000000", "district": "Multan"}
    response = api.post("/api/v1/submissions", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert '<html lang="ur" dir="rtl">' in html
    assert "ایک مسئلہ ہے" in html                                    # error summary title
    assert 'href="#fb-message"' in html and "یہ خانہ خالی نہیں ہو سکتا۔" in html
    assert 'value="عائشہ &lt;b&gt;"' in html                           # kept, and escaped
    assert 'value="0300-0000000"' in html and 'value="Multan"' in html
    assert re.search(r'value="complaint"\s+checked', html)
    assert re.search(r'<option value="langar" selected>', html)
    assert count(db_rows) == 0


def test_form_error_keeps_a_long_message_to_shorten(api):
    response = api.post("/api/v1/submissions", data={**GOOD, "message": "word " * 700})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "word word word" in html
    assert "This is too long. Please shorten it." in html


# ---------------------------------------------------------------- hostile text is kept harmless

def test_bidi_overrides_are_removed_and_urdu_marks_kept(api, db_rows):
    message = "رقم \u202eگنہ ہے\u202c ملی \u2067x\u2069 \u200fok"
    api.post("/api/v1/submissions", json={**GOOD, "message": message})
    stored = db_rows("SELECT message FROM submissions")[0]["message"]
    assert not any(c in stored for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    assert "\u200f" in stored and stored.startswith("رقم گنہ ہے ملی x")


@pytest.mark.parametrize("message", [
    "<script>alert('x')</script>",
    "'; DROP TABLE submissions; --",
    "Robert'); DELETE FROM contacts WHERE ('1'='1",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
])
def test_hostile_text_is_stored_verbatim_as_data(api, db_rows, message):
    response = api.post("/api/v1/submissions", json={**GOOD, "message": message})
    assert response.status_code == 201
    assert db_rows("SELECT message FROM submissions")[0]["message"] == message
    assert {r["name"] for r in db_rows("SELECT name FROM sqlite_master WHERE type='table'")} >= {"submissions", "contacts"}


def test_script_in_a_kept_form_value_is_escaped(api):
    html = api.post("/api/v1/submissions", data={**GOOD, "message": "", "district": "<script>alert(1)</script>"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_every_reference_is_unique_and_well_formed(api):
    refs = {api.post("/api/v1/submissions", json={**GOOD, "message": f"message {i}"}).get_json()["reference"]
            for i in range(50)}
    assert len(refs) == 50 and all(references.normalise(r) == r for r in refs)


def test_json_accepts_unicode_escapes_and_urdu(api, db_rows):
    body = json.dumps({**GOOD, "message": "سوال: رجسٹریشن کیسے ہو گی؟"}, ensure_ascii=True)
    assert api.post("/api/v1/submissions", data=body, content_type="application/json").status_code == 201
    assert db_rows("SELECT message FROM submissions")[0]["message"] == "سوال: رجسٹریشن کیسے ہو گی؟"


@pytest.mark.parametrize("typed, stored", [
    ("  larkana ", "Larkana"), ("DERA  ghazi khan", "Dera Ghazi Khan"), ("لاڑکانہ", "لاڑکانہ"),
    ("Some new district", "Some new district"),
])
def test_known_districts_get_one_spelling_others_are_kept(api, db_rows, typed, stored):
    api.post("/api/v1/submissions", json={**GOOD, "district": typed})
    assert db_rows("SELECT district FROM submissions")[0]["district"] == stored
