"""One submission: status, coding, duplicates, notes, the sensitive flag, answers from template
replies in the submitter's language, publishing to the status page, offline intake, and the
history from the audit log."""
from __future__ import annotations

import sqlite3

import pytest


def page(staff, ref) -> str:
    response = staff.get(f"/moderation/submissions/{ref}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_message_shown_in_its_language_and_direction(moderator, submit):
    ref = submit("کفالت کی رقم کب ملے گی؟\nدوسری سطر", language="ur", district="لاہور")
    html = page(moderator, ref)
    assert '<div class="usertext message" dir="auto" lang="ur">کفالت کی رقم کب ملے گی؟\nدوسری سطر</div>' in html
    assert '<bdi dir="auto">لاہور</bdi>' in html


def test_status_coding_and_audit_history(moderator, submit, mod_rows):
    ref = submit()
    assert moderator.post(f"/moderation/submissions/{ref}/status", {"status": "in_review"}).status_code == 303
    moderator.post(f"/moderation/submissions/{ref}/coding", {"kind": "complaint", "topic_code": "COM-PAY"})
    row = mod_rows("SELECT status, kind, topic_code FROM submissions WHERE reference = ?", [ref])[0]
    assert row == {"status": "in_review", "kind": "complaint", "topic_code": "COM-PAY"}
    html = page(moderator, ref)
    assert "<strong>mo</strong> status" in html and "<strong>mo</strong> coding" in html
    assert "COM-PAY" in html and "Complaint: Payment" in html
    assert moderator.post(f"/moderation/submissions/{ref}/status", {"status": "deleted"}).status_code == 400
    assert moderator.post(f"/moderation/submissions/{ref}/coding", {"kind": "question", "topic_code": "NOPE"}).status_code == 400
    log = mod_rows("SELECT action, before, after FROM audit_log WHERE action IN ('status', 'coding') ORDER BY id")
    assert log[0] == {"action": "status", "before": '{"status": "new"}', "after": '{"status": "in_review"}'}


def test_audit_log_is_append_only(mod_app, moderator, submit):
    ref = submit()
    moderator.post(f"/moderation/submissions/{ref}/status", {"status": "closed"})
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    try:
        for sql in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_duplicates_link_to_the_original_and_share_its_answer(moderator, submit, mod_app):
    original = submit("When is the next Kafalat payment?")
    copy = submit("when is the next kafalat payment???")
    third = submit("Next Kafalat payment date please")
    moderator.post(f"/moderation/submissions/{copy}/duplicate", {"duplicate_of": original.lower()})
    moderator.post(f"/moderation/submissions/{third}/duplicate", {"duplicate_of": copy})
    assert f'href="/moderation/submissions/{original}">{original}</a>' in page(moderator, third), \
        "a duplicate of a duplicate points at the original"
    assert copy in page(moderator, original) and third in page(moderator, original)
    moderator.post(f"/moderation/submissions/{original}/answer", {
        "body": "Payments are announced on the official channels.", "language": "en", "action": "publish"})
    status = mod_app.test_client().get(f"/api/v1/submissions/{copy}").get_json()
    assert status["answer"]["body"] == "Payments are announced on the official channels."
    response = moderator.post(f"/moderation/submissions/{copy}/duplicate", {"duplicate_of": "ZZZZ-ZZZZ-ZZZ"})
    assert "done=duplicate_missing" in response.headers["Location"]
    moderator.post(f"/moderation/submissions/{copy}/duplicate", {"duplicate_of": ""})
    assert "<dt>Duplicate of</dt>" not in page(moderator, copy)


def test_notes_are_internal(moderator, admin, submit, mod_app):
    ref = submit()
    moderator.post(f"/moderation/submissions/{ref}/notes", {"body": "Called the district office"})
    admin.post(f"/moderation/submissions/{ref}/notes", {"body": "They will check"})
    html = page(moderator, ref)
    assert html.index("Called the district office") < html.index("They will check")
    assert "Internal notes <span class=\"count\">2</span>" in html
    public = mod_app.test_client().get(f"/api/v1/submissions/{ref}", headers={"Accept": "text/html"})
    assert "district office" not in public.get_data(as_text=True)
    response = moderator.post(f"/moderation/submissions/{ref}/notes", {"body": "   "})
    assert response.status_code == 400 and 'id="note-error"' in response.get_data(as_text=True)


def test_template_replies_in_the_submitters_language(moderator, submit):
    ref = submit("کفالت کب ملے گی؟", language="ur")
    html = page(moderator, ref)
    assert "موصول ہو گیا، جانچ جاری ہے" in html  # the Urdu template's label
    html = moderator.get(f"/moderation/submissions/{ref}?template=received").get_data(as_text=True)
    assert f"اپنے حوالہ نمبر {ref} سے دوبارہ دیکھیں" in html
    assert 'id="answer-body" name="body" rows="8" dir="rtl" lang="ur"' in html
    english = moderator.get(f"/moderation/submissions/{ref}?template=received&answer_lang=en").get_data(as_text=True)
    assert f"under your reference {ref} in a few days" in english
    # a language without its own templates is offered the English ones
    sindhi = moderator.get(f"/moderation/submissions/{ref}?answer_lang=sd").get_data(as_text=True)
    assert "Received, checking" in sindhi


def test_draft_then_publish_then_unpublish(moderator, submit, mod_app, mod_rows):
    ref = submit("کفالت کب ملے گی؟", language="ur")
    public = mod_app.test_client()
    moderator.post(f"/moderation/submissions/{ref}/answer", {"body": "مسودہ", "language": "ur", "action": "save"})
    assert public.get(f"/api/v1/submissions/{ref}").get_json()["answer"] is None
    response = moderator.post(f"/moderation/submissions/{ref}/answer", {
        "body": "جواب: اگلی قسط کا اعلان سرکاری ذرائع سے ہوگا۔", "language": "ur", "action": "publish",
        "listed": "1", "public_question": "کفالت کب ملے گی؟ میرا نمبر 0300-1234567"})
    assert "done=published" in response.headers["Location"]
    status = public.get(f"/api/v1/submissions/{ref}").get_json()
    assert status["status"] == "answered" and status["answer"]["language"] == "ur"
    assert status["answer"]["body"].startswith("جواب")
    row = mod_rows("SELECT a.listed, a.public_question, s.first_answered_at FROM answers a"
                   " JOIN submissions s ON s.id = a.submission_id")[0]
    assert row["listed"] == 1 and row["public_question"] == "کفالت کب ملے گی؟ میرا نمبر ••••-•••••••"
    assert row["first_answered_at"]
    html = public.get(f"/api/v1/submissions/{ref}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "اگلی قسط کا اعلان" in html
    moderator.post(f"/moderation/submissions/{ref}/unpublish")
    assert public.get(f"/api/v1/submissions/{ref}").get_json()["answer"] is None
    history = page(moderator, ref)
    assert "answer publish" in history and "answer unpublish" in history and "answer save" in history


def test_sensitive_cases_are_never_published(moderator, admin, submit, mod_app, mod_rows):
    ref = submit("Please tell me about the Langar timings")
    admin.post(f"/moderation/submissions/{ref}/answer", {"body": "Answer", "language": "en", "action": "publish"})
    assert mod_app.test_client().get(f"/api/v1/submissions/{ref}").get_json()["answer"] is not None
    # a moderator flags it: it leaves their queue, and its published answer is withdrawn
    assert moderator.post(f"/moderation/submissions/{ref}/sensitive", {"sensitive": "1"}).status_code == 400, \
        "a flag needs a reason"
    response = moderator.post(f"/moderation/submissions/{ref}/sensitive", {"sensitive": "1", "reason": "deduction"})
    assert response.status_code == 303 and "done_sensitive" in response.headers["Location"]
    assert mod_rows("SELECT detail, after FROM audit_log WHERE action = 'sensitive'") == [
        {"detail": "deduction", "after": '{"sensitive": 1, "status": "in_review"}'}]
    assert moderator.get(f"/moderation/submissions/{ref}").status_code == 404
    assert mod_app.test_client().get(f"/api/v1/submissions/{ref}").get_json()["answer"] is None
    # even an admin cannot publish it
    response = admin.post(f"/moderation/submissions/{ref}/answer", {"body": "Again", "language": "en", "action": "publish"})
    assert "done=answer_refused" in response.headers["Location"]
    assert mod_rows("SELECT published FROM answers") == [{"published": 0}]
    assert "Sensitive cases are never published" in page(admin, ref)
    assert "<strong>mo</strong> sensitive (<bdi dir=\"auto\">deduction</bdi>)" in page(admin, ref)
    # the sensitive queue shows how long each has waited
    queue = admin.get("/moderation/?sensitive=1").get_data(as_text=True)
    assert ref in queue and "waiting under a minute" in queue
    # only an admin clears the flag
    assert moderator.post(f"/moderation/submissions/{ref}/sensitive", {"sensitive": "0"}).status_code == 404
    admin.post(f"/moderation/submissions/{ref}/sensitive", {"sensitive": "0"})
    assert moderator.get(f"/moderation/submissions/{ref}").status_code == 200


def test_intake_flags_sensitive_words_automatically(admin, mod_rows):
    response = admin.post("/moderation/intake", {
        "channel": "field_visit", "gathered_on": "2026-02-01", "district": "Multan",
        "kind": "complaint", "component": "kafalat", "language": "ur",
        "message": "ایجنٹ نے ہر قسط سے کٹوتی کی", "name": "Bibi", "contact": "0300 1112223",
        "consent_to_contact": "yes"})
    assert response.status_code == 303
    row = mod_rows("SELECT s.channel, s.gathered_on, s.sensitive, s.district, c.name, c.consent_to_contact"
                   " FROM submissions s JOIN contacts c ON c.submission_id = s.id")[0]
    assert row == {"channel": "field_visit", "gathered_on": "2026-02-01", "sensitive": 1,
                   "district": "Multan", "name": "Bibi", "consent_to_contact": 1}
    assert mod_rows("SELECT u.username FROM audit_log l JOIN users u ON u.id = l.user_id"
                    " WHERE l.action = 'record_offline'") == [{"username": "ada"}]
    reference = response.headers["Location"].rsplit("/", 1)[1]
    assert reference in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_intake_refuses_what_the_public_form_refuses_and_keeps_the_text(moderator, mod_rows):
    typed = {"channel": "town_hall", "gathered_on": "2999-01-01", "district": "",
             "kind": "rant", "component": "general", "language": "ur", "message": "نل\x00بائٹ"}
    response = moderator.post("/moderation/intake", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "not in the future" in html
    for field in ("gathered_on", "district", "kind", "message"):
        assert f'href="#{field}"' in html, field
    assert 'value="2999-01-01"' in html
    response = moderator.post("/moderation/intake", {**typed, "channel": "web", "gathered_on": "2026-01-01",
                                                     "district": "X", "kind": "question", "message": "ok"})
    assert response.status_code == 400 and 'href="#channel"' in response.get_data(as_text=True)
    assert mod_rows("SELECT count(*) AS n FROM submissions") == [{"n": 0}]


def test_next_and_previous_open_submissions(moderator, submit):
    a, b, c = submit("Oldest question"), submit("Middle question"), submit("Newest question")
    moderator.post(f"/moderation/submissions/{b}/status", {"status": "closed"})
    d = submit("The agent took a bribe")  # sensitive: never a neighbour of an ordinary one
    html = page(moderator, c)
    assert f'href="/moderation/submissions/{a}" rel="next">Older open' in html, "closed ones are skipped"
    assert 'rel="prev"' not in html and d not in html
    html = page(moderator, a)
    assert f'href="/moderation/submissions/{c}" rel="prev">' in html and 'rel="next"' not in html
