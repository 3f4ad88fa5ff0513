"""End to end through real Kannel: phones (fakesmsc) -> bearerbox -> smsbox -> the service
under gunicorn -> the reply back to the phone; answers published by a moderator go out
through the outbox sender (`flask sms-sender`) -> smsbox's sendsms -> the phone, with
delivery reports back. Kannel stopped while answers wait: each arrives once, none lost."""
from __future__ import annotations

import requests

from feedback_api import references, storage
from feedback_api.sms import parts, replies
from tests.fixtures_moderation import CHEAP_HASH, Staff, add_user
from tests.fixtures_service import SECRET, make_app, read_rows
from tests.fixtures_sms import INBOUND_SECRET, SENDSMS_PASSWORD, sms_sender

URDU_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def moderation_app(stack, tmp_path):
    """The moderation UI in-process, on the same database as the gunicorn service."""
    app = make_app(tmp_path / "mod", DATABASE=str(stack.server.database), SECRET_KEY=SECRET,
                   PASSWORD_METHOD=CHEAP_HASH, SMS_SENDSMS_PASSWORD=SENDSMS_PASSWORD,
                   SMS_INBOUND_SECRET=INBOUND_SECRET, SMS_SENDSMS_URL=stack.kannel.sendsms_url,
                   SMS_SERVICE_URL=stack.server.url)
    add_user(app, "mo", "moderator")
    staff = Staff(app, "mo")
    assert staff.sign_in().status_code == 303
    return app, staff


def publish(staff, reference: str, body: str, language: str = "ur"):
    response = staff.post(f"/moderation/submissions/{reference}/answer",
                          {"body": body, "language": language, "action": "publish"})
    assert response.status_code == 303


def outbox(stack) -> list[dict]:
    return read_rows(str(stack.server.database), "SELECT * FROM sms_outbox ORDER BY id")


KEYWORDS = [   # (texted first, keyword, reply language, component)
    (None, "کفالت", "ur", "kafalat"),               # shared by ur/ps/pa: a new number gets Urdu
    (None, "ڪفالت", "sd", "kafalat"),               # Sindhi's own letter: Sindhi
    (None, "لنګر", "ps", "langar"),                 # Pashto's own letter: Pashto
    ("پنجابی", "كفالت", "pa-Arab", "kafalat"),      # chose Punjabi; the Arabic kaf folds to ک
    ("English", "KAFALAT", "en", "kafalat"),        # chose English; a Roman spelling
]


def test_a_keyword_in_each_language_gets_the_summary_and_helpline(kannel_stack):
    for i, (first, keyword, lang, slug) in enumerate(KEYWORDS):
        number = f"030012345{i:02d}"
        if first:
            [chosen] = kannel_stack.phones.text(number, first)
            assert chosen.startswith(replies.language_set(lang)[:20])
        [reply] = kannel_stack.phones.text(number, keyword)
        assert reply == replies.component(lang, slug), keyword
        assert parts.parts(reply) <= 2 and replies.helpline(lang) in reply


def test_question_reference_status_answer_and_stop(kannel_onebox, tmp_path):
    """One box: the service itself sends the outbox (FEEDBACK_SMS_SENDER_THREAD)."""
    stack, number = kannel_onebox, "03011234567"
    question = "میری کفالت کی قسط تین مہینے سے نہیں آئی، کب آئے گی؟"
    [receipt] = stack.phones.text(number, question)
    [row] = read_rows(str(stack.server.database),
                      "SELECT s.reference, s.channel, s.language, s.component, s.message, c.contact"
                      " FROM submissions s JOIN contacts c ON c.submission_id = s.id")
    assert row["channel"] == "sms" and row["language"] == "ur" and row["component"] == "kafalat"
    assert row["message"] == question and row["contact"] == "+923011234567"
    assert row["reference"] in receipt

    # Status by reference, typed loosely: small letters, spaces, Urdu digits.
    typed = row["reference"].lower().replace("-", " ").translate(URDU_DIGITS)
    [status] = stack.phones.text(number, typed)
    assert status.startswith(f"{row['reference']}: ") and "موصول" in status

    # A moderator publishes; the sender texts the answer; Kannel's delivery report comes back.
    app, staff = moderation_app(stack, tmp_path)
    answer = "آپ کی قسط اگلے ہفتے آپ کے قریبی مرکز پر ملے گی۔ کسی کو پیسے نہ دیں۔"
    publish(staff, row["reference"], answer)
    [queued] = outbox(stack)
    assert queued["parts"] == parts.parts(queued["body"])
    [got] = stack.phones.listen(1)
    assert got["to"] == "+923011234567" and answer in got["text"] and row["reference"] in got["text"]
    _wait(lambda: outbox(stack)[0]["status"] == "delivered")

    # Status now carries the answer.
    [status] = stack.phones.text(number, row["reference"])
    assert answer in status

    # STOP: one last reply; then nothing, not even an answer; START undoes it.
    [bye] = stack.phones.text(number, "بند")
    assert bye == replies.stopped("ur")
    assert stack.phones.text(number, "کفالت", replies=0) == []
    assert stack.phones.text(number, "دوسرا سوال: میری بیٹی کا نام فہرست میں کیسے آئے گا؟", replies=0) == []
    refs = [r["reference"] for r in read_rows(str(stack.server.database),
                                              "SELECT reference FROM submissions ORDER BY id")]
    assert len(refs) == 2  # the question was still stored
    publish(staff, refs[1], "فہرست کے لیے قریبی دفتر جائیں۔")
    _wait(lambda: outbox(stack)[-1]["status"] == "cancelled")
    assert outbox(stack)[-1]["last_error"] == "the number sent STOP"
    [back] = stack.phones.text(number, "شروع")
    assert back == replies.started("ur")
    storage.close_thread_connections()


def test_kannel_down_while_answers_wait_each_arrives_once(kannel_stack, tmp_path):
    stack = kannel_stack
    numbers = [f"0345{i:07d}" for i in range(6)]
    refs = []
    for i, number in enumerate(numbers):
        [receipt] = stack.phones.text(number, f"Question number {i}: when will my Kafalat payment come?")
        refs.append(references.normalise(receipt.split("reference: ")[1][:13]))
    app, staff = moderation_app(stack, tmp_path)
    stack.kannel.stop()
    sms_sender(stack, FEEDBACK_SMS_MAX_ATTEMPTS="50")
    for i, ref in enumerate(refs):
        publish(staff, ref, f"Answer {i}: the payment comes next week.", "en")
    _wait(lambda: all(r["attempts"] >= 2 for r in outbox(stack)))   # tried, refused, waiting
    assert {r["status"] for r in outbox(stack)} <= {"queued", "sending"}
    stack.kannel.start()
    got = stack.phones.listen(len(refs), timeout=60)
    _wait(lambda: all(r["status"] == "delivered" for r in outbox(stack)), timeout=30)
    more = stack.phones.listen(len(refs) + 1, timeout=3)  # anything sent twice would show now
    texts = sorted(m["text"] for m in got + more)
    assert texts == sorted(f"Answer to your message {ref}: Answer {i}: the payment comes next week."
                           for i, ref in enumerate(refs))
    storage.close_thread_connections()


def test_a_forged_inbound_request_is_refused_and_stores_nothing(kannel_stack):
    url = kannel_stack.server.url + "/api/v1/sms/inbound?from=03001112223"
    body = "میری کفالت کی قسط کب آئے گی؟".encode()
    headers = {"Content-Type": "text/plain; charset=utf-8"}
    assert requests.post(url, data=body, headers=headers, timeout=10).status_code == 401
    assert requests.post(url, data=body, headers=headers, auth=("kannel", "guessed-secret"),
                         timeout=10).status_code == 401
    assert requests.get(kannel_stack.server.url + "/api/v1/sms/delivery?id=1&status=1",
                        timeout=10).status_code == 401
    assert read_rows(str(kannel_stack.server.database), "SELECT id FROM submissions") == []


def _wait(condition, timeout: float = 30) -> None:
    import time
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")
