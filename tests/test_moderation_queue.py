"""The queue: newest first, filters, full-text search in Urdu and English, paging, counts per
status, and bulk actions that write one audit entry per submission."""
from __future__ import annotations

import re


def refs_in(html: str) -> list[str]:
    return re.findall(r'class="ref" href="/moderation/submissions/([0-9A-Z-]+)"', html)


def test_newest_first_with_counts_per_status(moderator, submit):
    first = submit("First question about Langar")
    second = submit("Second question about Amdan")
    html = moderator.get("/moderation/").get_data(as_text=True)
    assert refs_in(html)[:2] == [second, first]
    assert re.search(r'aria-current="page">Open <span class="count">2</span>', html)


def test_search_finds_an_urdu_word_and_its_inflections(moderator, submit):
    urdu = submit("میری کفالت کی قسط ابھی تک نہیں ملی، کب ملے گی؟", language="ur")
    english = submit("When will the Kafalat instalment arrive?")
    found = refs_in(moderator.get("/moderation/?q=قسط").get_data(as_text=True))
    assert found == [urdu]
    assert refs_in(moderator.get("/moderation/?q=کفا").get_data(as_text=True)) == [urdu], "prefix search"
    assert refs_in(moderator.get("/moderation/?q=kafalat").get_data(as_text=True)) == [english]
    assert refs_in(moderator.get("/moderation/?q=ملی کب").get_data(as_text=True)) == [urdu], "all words"
    # FTS syntax and stray quotes are searched as text, never an error
    for query in ('"', 'kafalat OR', "NOT", "a*b(", "ملی\""):
        assert moderator.get("/moderation/", query_string={"q": query}).status_code == 200


def test_filters(moderator, admin, submit):
    a = submit("About scholarships", component="undergraduate-scholarships", kind="question",
               language="en", district="Quetta")
    b = submit("شکایت", component="langar", kind="complaint", language="ur", district="Multan")
    response = admin.post("/moderation/intake", {
        "channel": "helpline", "gathered_on": "2026-01-10", "district": "Quetta",
        "kind": "suggestion", "component": "amdan", "language": "ur", "message": "تجویز"})
    c = response.headers["Location"].rsplit("/", 1)[1]

    def only(query):
        return set(refs_in(moderator.get("/moderation/?" + query).get_data(as_text=True)))

    assert only("kind=complaint") == {b}
    assert only("component=undergraduate-scholarships") == {a}
    assert only("language=ur") == {b, c}
    assert only("district=quetta") == {a, c}
    assert only("channel=helpline") == {c}
    assert only("channel=web") == {a, b}
    assert only("date_from=2000-01-01&date_to=2000-01-02") == set()
    assert only("date_from=2000-01-01") == {a, b, c}
    assert only("kind=nonsense&component=<x>") == {a, b, c}, "unknown filter values are ignored"


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'href="([^"]+)" rel="{rel}"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_paging_by_position_across_equal_timestamps(mod_app, moderator, submit):
    """Keyset paging: rows received in the same second keep one order (by id), so walking
    forward and back shows each exactly once; the last page is the oldest rows."""
    import sqlite3
    mod_app.config["MODERATION_PAGE_SIZE"] = 3
    refs = [submit(f"Question number {i}") for i in range(7)]
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    conn.execute("UPDATE submissions SET received_at = '2026-05-01T10:00:00Z'")
    conn.commit()
    conn.close()
    newest_first = refs[::-1]
    seen, url, pages = [], "/moderation/", []
    while url:
        html = moderator.get(url).get_data(as_text=True)
        pages.append(refs_in(html))
        seen += pages[-1]
        url = link(html, "next")
    assert seen == newest_first and [len(p) for p in pages] == [3, 3, 1]
    html = moderator.get(link(moderator.get("/moderation/").get_data(as_text=True), "last")).get_data(as_text=True)
    assert refs_in(html) == newest_first[-3:] and link(html, "next") is None
    back = moderator.get(link(html, "prev")).get_data(as_text=True)
    assert refs_in(back) == newest_first[1:4], "the page before the last, by position"
    older = moderator.get("/moderation/?order=oldest").get_data(as_text=True)
    assert refs_in(moderator.get(link(older, "next")).get_data(as_text=True)) == refs[3:6]
    # a search pages the same way
    found = moderator.get("/moderation/?q=question").get_data(as_text=True)
    assert refs_in(found) == newest_first[:3]
    assert refs_in(moderator.get(link(found, "next")).get_data(as_text=True)) == newest_first[3:6]
    for junk in ("after=abc", "before=-1", "after=99999999", "page=2", "after=" + "9" * 40):
        assert moderator.get("/moderation/?" + junk).status_code == 200


def test_bulk_actions_change_and_audit_each(mod_app, moderator, submit, mod_rows):
    refs = [submit(f"Buy cheap watches {i}") for i in range(3)]
    keep = submit("A real question")
    ids = [r["id"] for r in mod_rows("SELECT id FROM submissions WHERE reference IN (?, ?, ?) ORDER BY id", refs)]
    response = moderator.post("/moderation/bulk", {"action": "spam", "ids": ids,
                                                   "next": "/moderation/?status=open"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderation/?status=open&done=3"
    assert {r["status"] for r in mod_rows("SELECT status FROM submissions WHERE id IN (?, ?, ?)", ids)} == {"spam"}
    assert mod_rows("SELECT status FROM submissions WHERE reference = ?", [keep]) == [{"status": "new"}]
    entries = mod_rows("SELECT action, before, after FROM audit_log WHERE action = 'bulk_spam'")
    assert len(entries) == 3 and entries[0]["before"] == '{"status": "new"}'
    html = moderator.get("/moderation/?status=spam").get_data(as_text=True)
    assert set(refs_in(html)) == set(refs)
    assert 'name="next" value="/moderation/?status=spam"' in html, "the form returns to this view, without old counts"

    moderator.post("/moderation/bulk", {"action": "code", "topic_code": "COM-PAY", "ids": ids[:2]})
    assert [r["topic_code"] for r in mod_rows("SELECT topic_code FROM submissions ORDER BY id")] == \
        ["COM-PAY", "COM-PAY", None, None]
    moderator.post("/moderation/bulk", {"action": "close", "ids": ids[2:]})
    assert mod_rows("SELECT status FROM submissions WHERE id = ?", [ids[2]]) == [{"status": "closed"}]
    # a made-up code or action changes nothing
    assert moderator.post("/moderation/bulk", {"action": "code", "topic_code": "XXX", "ids": ids}).status_code == 400
    assert moderator.post("/moderation/bulk", {"action": "delete", "ids": ids}).status_code == 400
    # the redirect never leaves /moderation/
    response = moderator.post("/moderation/bulk", {"action": "close", "ids": ids[:1], "next": "//evil.example/"})
    assert response.headers["Location"].startswith("/moderation/")


def test_oldest_first_and_the_sensitive_queue_starts_with_the_longest_waiting(mod_app, admin, moderator, submit):
    first = submit("First about Amdan")
    second = submit("Second about Amdan")
    assert refs_in(moderator.get("/moderation/?order=oldest").get_data(as_text=True)) == [first, second]
    html = moderator.get("/moderation/?order=oldest&q=amdan").get_data(as_text=True)
    assert refs_in(html) == [first, second] and 'name="order" value="oldest"' in html
    old_case = submit("An agent demanded money for the form")
    new_case = submit("The agent took a bribe from us")
    assert refs_in(admin.get("/moderation/?sensitive=1").get_data(as_text=True)) == [old_case, new_case]
    assert refs_in(admin.get("/moderation/?sensitive=1&order=newest").get_data(as_text=True)) == [new_case, old_case]


def test_bulk_action_on_everything_matching_the_view(mod_app, moderator, admin, submit, mod_rows):
    mod_app.config["MODERATION_PAGE_SIZE"] = 2
    spam = [submit(f"Cheap watches offer number {i}") for i in range(5)]
    keep = submit("When is the Langar open?")
    secret = submit("The agent took a bribe, cheap watches")  # sensitive: out of a moderator's reach
    html = moderator.get("/moderation/?q=watches").get_data(as_text=True)
    assert "Apply to all 5 matching this view" in html
    response = moderator.post("/moderation/bulk", {"action": "spam", "scope": "all",
                                                   "next": "/moderation/?q=watches"})
    assert response.headers["Location"] == "/moderation/?q=watches&done=5"
    statuses = {r["reference"]: r["status"] for r in mod_rows("SELECT reference, status FROM submissions")}
    assert all(statuses[r] == "spam" for r in spam)
    assert statuses[keep] == "new" and statuses[secret] == "new"
