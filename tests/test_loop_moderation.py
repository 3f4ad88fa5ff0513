"""'You said, we did' in moderation (admins record, edit, publish; moderators cannot) and the
district digest (counts, answers and changes for one district and period; no personal data,
nothing sensitive; Urdu and English)."""
from __future__ import annotations

from tests.fixtures_loop import CNIC, CONTACT, NAME, PHONE
from tests.fixtures_moderation import Staff, add_user


def digits_only(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_only_admins_record_changes_and_every_save_is_audited(loop):
    add_user(loop.app, "mo", "moderator")
    moderator = Staff(loop.app, "mo")
    moderator.sign_in()
    assert moderator.get("/moderation/changes").status_code == 403
    assert moderator.post("/moderation/changes/new", {"component": "langar", "said_en": "a", "done_en": "b"}).status_code == 403
    response = loop.admin.post("/moderation/changes/new", {"component": "langar", "said_en": "Queues were long",
                                                          "done_en": "A second serving time was added"})
    assert response.status_code == 303
    page = loop.admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Queues were long" in page and "Publish" in page
    actions = [r[0] for r in loop.sql("SELECT action FROM audit_log WHERE action LIKE 'change_%'")]
    assert actions == ["change_create"]
    listing = loop.admin.get("/moderation/changes").get_data(as_text=True)
    assert "A second serving time was added" in listing and "draft" in listing


def test_change_form_says_what_to_fix_and_keeps_the_text(loop):
    sensitive = loop.submit("کسی نے رشوت مانگی")
    response = loop.admin.post("/moderation/changes/new", {
        "component": "langar", "said_ur": "لمبی قطاریں", "done_ur": "", "happened_on": "2999-01-01",
        "references": f"{sensitive} NOT-A-REF"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "write both what people said and what was done" in page
    assert "not in the future" in page and "is not a reference" in page
    assert "لمبی قطاریں" in page
    assert loop.sql("SELECT count(*) FROM changes")[0][0] == 0
    # a sensitive submission cannot be linked to a public change
    response = loop.admin.post("/moderation/changes/new", {
        "component": "langar", "said_en": "x", "done_en": "y", "references": sensitive})
    assert response.status_code == 400 and "sensitive queue" in response.get_data(as_text=True)


def test_district_digest_in_urdu_and_english(loop):
    heard = [
        loop.submit(f"MARKONE میرا نام {NAME}، فون {PHONE}۔ قسط کب آئے گی؟", district="Lahore",
                    name=NAME, contact=CONTACT),
        loop.submit("MARKTWO لنگر کا وقت؟", component="langar", district="lahore"),
        loop.submit("MARKTHREE complaint", language="en", component="langar", district="Lahore"),
    ]
    loop.public.post("/api/v1/submissions", json={"message": "MARKSENS رشوت مانگی گئی", "district": "Lahore",
                                                 "kind": "complaint", "language": "ur", "component": "kafalat"},
                     environ_base={"REMOTE_ADDR": "10.20.30.40"})
    loop.submit("MARKELSEWHERE", district="Quetta")
    loop.answer(heard[0], f"MARKANSWER جواب۔ شناختی کارڈ {CNIC}", "ur", question="MARKPUBLICQ قسط کب آئے گی؟")
    loop.admin.post(f"/moderation/submissions/{heard[1]}/coding", {"kind": "question", "topic_code": "QUE-ACCESS"})
    loop.admin.post(f"/moderation/submissions/{heard[2]}/coding", {"kind": "complaint", "topic_code": "QUE-ACCESS"})
    made = loop.admin.post("/moderation/changes/new", {
        "component": "langar", "district": "Lahore", "happened_on": "2026-11-01", "published": "1",
        "said_ur": "MARKSAID لنگر دیر سے کھلتا ہے", "done_ur": "MARKDONE وقت بدل دیا گیا",
        "said_en": "MARKSAIDEN opens late", "done_en": "MARKDONEEN the time was changed",
        "references": heard[1]})
    assert made.status_code == 303
    loop.admin.post("/moderation/changes/new", {"component": "langar", "said_en": "MARKDRAFTCHANGE", "done_en": "x",
                                                "district": "Lahore"})

    urdu = loop.admin.get("/moderation/digest?district=LAHORE&from=2026-01-01&lang=ur")
    page = urdu.get_data(as_text=True)
    assert urdu.status_code == 200
    assert '<html lang="ur" dir="rtl">' in page and "ضلعی خلاصہ" in page
    assert "digest.css" in page
    assert "موصول پیغامات:</strong> 3" in page  # the sensitive one and Quetta's are not counted
    assert "QUE-ACCESS" in page and "<strong>2</strong>" in page
    assert "MARKPUBLICQ" in page and "MARKANSWER" in page and "MARKSAID" in page and "MARKDONE" in page
    for hidden in ("MARKONE", "MARKTWO", "MARKSENS", "MARKELSEWHERE", "MARKDRAFTCHANGE", NAME, CONTACT):
        assert hidden not in page, hidden
    for run in ("3520212345671", "03451122334", "03017654321"):
        assert run not in digits_only(page)
    for ref in heard:
        assert ref not in page
    english = loop.admin.get("/moderation/digest?district=Lahore&from=2026-01-01&lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "District digest" in english
    assert "MARKSAIDEN" in english and "Messages answered: 1 of 3." in english


def test_digest_without_a_district_offers_the_form(loop):
    loop.submit("x", district="Multan")
    page = loop.admin.get("/moderation/digest").get_data(as_text=True)
    assert 'name="district"' in page and '<option value="Multan">' in page


def test_hostile_text_in_a_change_stays_inert_everywhere(loop):
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> =HYPERLINK("http://x") \u202eevil'
    response = loop.admin.post("/moderation/changes/new", {
        "component": "kafalat", "district": '<b onmouseover="x">Lahore</b>', "published": "1",
        "said_en": hostile, "done_en": hostile, "place_en": hostile})
    assert response.status_code == 303
    for url in ("/moderation/changes", response.headers["Location"],
                "/moderation/digest?district=%3Cb%20onmouseover%3D%22x%22%3ELahore%3C%2Fb%3E&from=2000-01-01&lang=en"):
        page = loop.admin.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<img src=x" not in page and "<b onmouseover" not in page, url
        assert "\u202e" not in page, url  # direction overrides removed on save (validation.clean_text)
    change = loop.feed()["changes"][0]
    assert change["texts"]["en"]["said"].startswith("<script>")  # JSON carries text; the site escapes it
    assert "\u202e" not in change["texts"]["en"]["said"]
