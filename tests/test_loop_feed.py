"""The public feed (GET /api/v1/feed.json): only answers a moderator published AND listed, never
a sensitive or spam one, never a name, contact, CNIC-like or phone-like number; figures without
sensitive cases; cacheable (ETag, Last-Modified, 304). Every response is also held to the
OpenAPI document by the test client."""
from __future__ import annotations

import json

from tests.fixtures_loop import CNIC, CONTACT, DIGIT_RUNS, NAME, PHONE


def digits_only(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_only_published_listed_answers_and_nothing_personal(loop):
    listed = loop.submit(f"میرا نام {NAME} ہے۔ شناختی کارڈ {CNIC}، فون {PHONE}۔ MARKLISTED کفالت کی قسط کب آئے گی؟",
                         name=NAME, contact=CONTACT, consent_to_contact=True)
    # The moderator publishes the question unedited and writes a number in the answer.
    loop.answer(listed, f"MARKANSWER قسط کا اعلان سرکاری ذرائع پر ہوتا ہے۔ ہم {CONTACT} پر رابطہ کریں گے۔", "ur")
    unlisted = loop.submit("MARKUNLISTED کیا میں درخواست دے سکتی ہوں؟")
    loop.answer(unlisted, "MARKUNLISTED جواب", "ur", listed=False)
    draft = loop.submit("MARKDRAFT سوال")
    loop.answer(draft, "MARKDRAFT جواب", "ur", publish=False)
    later_sensitive = loop.submit("MARKLATER سوال")
    loop.answer(later_sensitive, "MARKLATER جواب", "ur")
    # Flagged behind moderation's back (straight in the database): the feed's own filter holds.
    loop.sql("UPDATE submissions SET sensitive = 1 WHERE reference = ?", [later_sensitive])
    spam = loop.submit("MARKSPAM سوال")
    loop.answer(spam, "MARKSPAM جواب", "ur")
    loop.sql("UPDATE submissions SET status = 'spam' WHERE reference = ?", [spam])
    auto = loop.submit("MARKAUTO کسی نے فراڈ کیا اور پیسے مانگے")  # sensitive on arrival
    loop.answer(auto, "MARKAUTO جواب", "ur")  # refused by moderation
    english = loop.submit("MARKENGLISH Where are Nashonuma centres?", language="en", component="nashonuma")
    loop.answer(english, "MARKENGLISH At the places announced by the programme.", "en",
                question="MARKENGLISH Where are Nashonuma centres?")

    feed = loop.feed()
    text = json.dumps(feed, ensure_ascii=False)
    assert [a["language"] for a in feed["answers"]] == ["en", "ur"]
    urdu = next(a for a in feed["answers"] if a["language"] == "ur")
    assert "MARKLISTED" in urdu["question"] and "MARKANSWER" in urdu["answer"]
    assert urdu["component"] == "kafalat" and urdu["published_on"]
    for hidden in ("MARKUNLISTED", "MARKDRAFT", "MARKLATER", "MARKSPAM", "MARKAUTO"):
        assert hidden not in text, hidden
    assert NAME not in text and "Zarmeena" not in text and "Qadirkhel" not in text
    assert CONTACT not in text and CNIC not in text and PHONE not in text
    for run in DIGIT_RUNS:
        assert run not in digits_only(text), run
    assert set(urdu) == {"id", "language", "component", "question", "answer", "published_on"}
    assert listed not in text  # references are not published either


def test_figures_leave_out_sensitive_and_spam(loop):
    a = loop.submit("پہلا سوال")
    loop.submit("دوسرا سوال", component="langar")
    loop.submit("MARK کسی نے رشوت مانگی")  # sensitive on arrival
    loop.answer(a, "جواب", "ur")
    spam = loop.submit("spam")
    loop.sql("UPDATE submissions SET status = 'spam' WHERE reference = ?", [spam])
    stats = loop.feed()["stats"]
    assert stats["totals"]["received"] == 2 and stats["totals"]["answered"] == 1
    assert stats["totals"]["median_days_to_answer"] == 0.0
    by_component = {row["component"]: row for row in stats["by_component"]}
    assert by_component["kafalat"]["answered"] == 1 and by_component["langar"]["answered"] == 0
    assert len(stats["by_month"]) == 1 and stats["by_month"][0]["received"] == 2
    assert {(r["component"], r["received"]) for r in stats["by_component_month"]} == {("kafalat", 1), ("langar", 1)}


def test_feed_is_cacheable_and_conditional(loop):
    first = loop.public.get("/api/v1/feed.json")
    assert first.status_code == 200
    assert first.headers["ETag"] and "public" in first.headers["Cache-Control"]
    again = loop.public.get("/api/v1/feed.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    ref = loop.submit("سوال")
    loop.answer(ref, "نیا جواب", "ur")
    changed = loop.public.get("/api/v1/feed.json", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert changed.headers["Last-Modified"]
    since = loop.public.get("/api/v1/feed.json", headers={"If-Modified-Since": changed.headers["Last-Modified"]})
    assert since.status_code == 304


def test_feed_is_in_the_openapi_document(loop):
    doc = loop.public.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/feed.json"]["get"]
    assert set(operation["responses"]) == {"200", "304"}
    assert "Feed" in doc["components"]["schemas"]


def test_changes_appear_in_the_feed_only_when_published(loop):
    ref = loop.submit("مرکز دور ہے")
    response = loop.admin.post("/moderation/changes/new", {
        "component": "nashonuma", "district": "Lahore", "happened_on": "2026-10-01",
        "references": ref, "said_ur": "مرکز بہت دور ہے", "done_ur": f"نیا مرکز کھولا گیا، فون {PHONE}",
        "said_en": "The centre is too far", "done_en": "A new centre opened", "place_en": "Shadbagh"})
    assert response.status_code == 303, response.get_data(as_text=True)[:400]
    assert loop.feed()["changes"] == []
    change_id = response.headers["Location"].rstrip("/").split("/")[-1].split("?")[0]
    assert loop.admin.post(f"/moderation/changes/{change_id}/publish", {"published": "1"}).status_code == 303
    changes = loop.feed()["changes"]
    assert len(changes) == 1
    change = changes[0]
    assert change["component"] == "nashonuma" and change["district"] == "Lahore"
    assert change["submissions"] == 1 and change["happened_on"] == "2026-10-01"
    assert change["texts"]["ur"]["said"] == "مرکز بہت دور ہے"
    assert "1122334" not in digits_only(change["texts"]["ur"]["done"])
    assert ref not in json.dumps(changes)


def test_site_lists_escape_everything_and_fit_their_budget():
    """ehsaas_site/feed.py on its own: hostile text stays text; a huge answer is shortened to fit."""
    from ehsaas_site import feed as lists
    t = lambda key, **v: key + (str(v) if v else "")  # noqa: E731
    render = lists.Renderer("ur", t, lambda slug: slug, lambda code: "rtl", ["en"],
                            {"answered": "../answered/", "changes": "../you-said-we-did/", "check": "../check/"})
    hostile = '<script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) {{ fact("x") }}'
    doc = {"answers": [{"id": "answer-1", "language": "ur", "component": "kafalat", "question": hostile,
                        "answer": hostile, "published_on": "2026-11-01"}],
           "changes": [{"id": "change-1", "component": "kafalat", "texts": {"en": {"said": hostile, "done": "d"}}}]}
    out = render.answered_page(doc)[0] + render.changes_page(doc) + render.component_section(doc, "kafalat", {"answer-1"})
    assert "<script>" not in out and "<img" not in out and "&lt;script&gt;" in out
    assert 'lang="en" dir="rtl"' in out  # the English fallback text is marked as English
    import random
    rng = random.Random(1)
    huge = " ".join("".join(rng.choice("ابپتٹثجچحخد") for _ in range(5)) for _ in range(2000))
    doc["answers"][0]["answer"] = huge
    listing, shown = render.answered_page(doc)
    assert shown == ["answer-1"] and lists.gz_size(listing) <= lists.ANSWERS_PAGE_BUDGET + 200
    assert len(listing) < len(huge)


def test_snapshot_refresh_keeps_the_programme_documents_entries_and_refuses_a_non_feed(loop, tmp_path):
    from ehsaas_site import feed as lists
    ref = loop.submit("سوال")
    loop.answer(ref, "جواب", "ur")
    source = loop.write_feed(tmp_path / "feed.json")
    out = tmp_path / "snapshot.json"
    snapshot = json.loads(lists.SNAPSHOT.read_text(encoding="utf-8"))
    snapshot["changes"].append({"id": "from-a-programme-document", "origin": "programme_document",
                                "component": "kafalat", "texts": {"en": {"said": "s", "done": "d"}}})
    out.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    assert lists.main(["snapshot", str(source), "--to", str(out)]) == 0
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert [a["answer"] for a in saved["answers"]] == ["جواب"]
    assert [c["origin"] for c in saved["changes"]] == ["programme_document"]
    assert "programme_document" in saved["note"]
    (tmp_path / "bad.json").write_text('{"feed_version": 99}', encoding="utf-8")
    assert lists.main(["snapshot", str(tmp_path / "bad.json"), "--to", str(out)]) == 1
    assert json.loads(out.read_text(encoding="utf-8")) == saved  # untouched
    # a broken feed at build time falls back to the snapshot, with the reason
    loaded = lists.load(str(tmp_path / "bad.json"))
    assert loaded.from_snapshot and "feed_version is 99" in loaded.problem


def test_export_feed_command_writes_the_same_document(loop, tmp_path):
    ref = loop.submit("سوال")
    loop.answer(ref, "جواب", "ur")
    out = tmp_path / "feed.json"
    result = loop.app.test_cli_runner().invoke(args=["export-feed", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 answers" in result.output
    assert json.loads(out.read_text(encoding="utf-8")) == loop.feed()
