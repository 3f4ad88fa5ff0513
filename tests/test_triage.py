"""Triage at volume (issue 12, item 3): the published answers most like a submission, one click
from the answer box; duplicate groups (same words once case, spacing, letter forms and digits
are folded) answered at once; claims that others see, that expire and end on answer; each
audited. Query plans: no full scan on any triage path."""
from __future__ import annotations

import re
import sqlite3

import pytest

from feedback_api import folding, storage
from feedback_api.storage import triage
from tests.fixtures_moderation import Staff, add_user, statements


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def tuples(mod_rows, sql: str, params=()) -> list[tuple]:
    return [tuple(r.values()) for r in mod_rows(sql, params)]


def ref_id(mod_rows, reference: str) -> int:
    return tuples(mod_rows, "SELECT id FROM submissions WHERE reference = ?", (reference,))[0][0]


def publish(staff, reference: str, body: str, language: str = "en") -> None:
    response = staff.post(f"/moderation/submissions/{reference}/answer",
                          {"body": body, "language": language, "action": "publish"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


# ---------------------------------------------------------------- folding

@pytest.mark.parametrize("a, b", [
    ("Kafalat ki  qist kab aye gi?", "kafalat ki qist KAB aye gi"),
    ("میری قسط کب آئے گی؟", "ميري قسط كب آئے گي"),            # Arabic yeh and kaf
    ("کفالت ۲۰۲۴ کی رقم", "ڪفالت 2024 کی رقم"),               # Sindhi kaf, Urdu digits
    ("پیسے نہیں ملے ہیں", "پیسے نہیں ملے ھیں"),               # heh doachashmee for heh goal
    ("رقم ٢٥٠٠٠ نہیں ملی", "رقم 25000 نہیں ملی"),              # Arabic-Indic digits
])
def test_near_duplicates_share_a_group_key(a, b):
    assert folding.group_key(a) == folding.group_key(b)


def test_different_words_are_different_groups():
    assert folding.group_key("When will Kafalat pay?") != folding.group_key("When will Nashonuma pay?")
    assert folding.group_key("رقم 25000") != folding.group_key("رقم 2500")
    assert 0 < folding.group_key("x") < 2**63


# ---------------------------------------------------------------- similar published answers

def test_a_submission_page_shows_published_answers_like_it_and_one_click_fills_the_answer(admin, submit, mod_rows):
    earlier = submit("When will the Kafalat payment come to Quetta district?")
    publish(admin, earlier, "Kafalat pays in the first week of each quarter; check with 8171.")
    other = submit("Where is the nearest Langar centre?")
    publish(admin, other, "Langar centres are listed on the Langar page.")
    urdu = submit("کفالت کی قسط کب آئے گی؟", language="ur")
    publish(admin, urdu, "کفالت کی قسط ہر سہ ماہی کے پہلے ہفتے میں آتی ہے۔", "ur")

    new = submit("My Kafalat payment did not come, when will it come?")
    html = page(admin.get(f"/moderation/submissions/{new}"))
    similar = html.split('id="similar-h"', 1)[1].split("</section>", 1)[0]
    assert "Kafalat pays in the first week" in similar
    assert "Langar centres" not in similar          # no shared word
    assert "سہ ماہی" not in similar                  # another language
    answer_id = tuples(mod_rows, "SELECT a.id FROM answers a JOIN submissions s ON s.id = a.submission_id"
                         " WHERE s.reference = ?", (earlier,))[0][0]
    use = re.search(r'href="([^"]*reply_from=%d[^"]*)"' % answer_id, similar)
    assert use, similar
    filled = page(admin.get(use.group(1).replace("&amp;", "&")))
    box = filled.split('id="answer-body"', 1)[1].split("</textarea>", 1)[0]
    assert "Kafalat pays in the first week" in box
    assert tuples(mod_rows, "SELECT count(*) FROM answers WHERE submission_id = ?", (ref_id(mod_rows, new),))[0][0] == 0

    # Unpublished: no longer offered, and its id no longer fills the box.
    assert admin.post(f"/moderation/submissions/{earlier}/unpublish").status_code == 303
    html = page(admin.get(f"/moderation/submissions/{new}?reply_from={answer_id}"))
    assert "Kafalat pays in the first week" not in html


def test_urdu_similar_answers_match_across_letter_forms(admin, submit):
    earlier = submit("میری کفالت کی قسط نہیں ملی", language="ur")
    publish(admin, earlier, "قسط اگلے ہفتے آئے گی۔", "ur")
    new = submit("ميري كفالت كي قسط نہيں ملي", language="ur")     # Arabic kaf and yeh throughout
    html = page(admin.get(f"/moderation/submissions/{new}"))
    assert "قسط اگلے ہفتے آئے گی" in html.split('id="similar-h"', 1)[1].split("</section>", 1)[0]


# ---------------------------------------------------------------- duplicate groups

@pytest.fixture
def a_wave(submit):
    """Three near-duplicates in Urdu, one in English twice, one alone."""
    wave = [submit("میری قسط کب آئے گی؟", language="ur"),
            submit("ميري قسط  كب آئے گي", language="ur"),
            submit("میری  قسط کب آئے گی!!", language="ur"),
            submit("Card blocked"), submit("card  BLOCKED."),
            submit("Something else entirely")]
    return wave


def test_groups_are_listed_largest_first_and_a_submission_links_its_group(moderator, a_wave):
    html = page(moderator.get("/moderation/groups"))
    items = re.findall(r'<a class="group-link" href="/moderation/groups/(\d+)">([^<]+)</a>', html)
    assert [label for _, label in items] == ["3 open, same words", "2 open, same words"]
    assert "Something else entirely" not in html
    first = page(moderator.get(f"/moderation/submissions/{a_wave[0]}"))
    assert "Open submissions with the same words besides this one: 2." in first
    assert f'href="/moderation/groups/{items[0][0]}"' in first
    alone = page(moderator.get(f"/moderation/submissions/{a_wave[5]}"))
    assert "besides this one" not in alone
    group = page(moderator.get(f"/moderation/groups/{items[0][0]}"))
    assert all(ref in group for ref in a_wave[:3]) and a_wave[3] not in group
    # The queue marks each member with its group, and links the groups view.
    queue = page(moderator.get("/moderation/"))
    assert queue.count(f'<a class="pill" href="/moderation/groups/{items[0][0]}">3 open, same words</a>') == 3
    assert queue.count(f'<a class="pill" href="/moderation/groups/{items[1][0]}">2 open, same words</a>') == 2
    assert 'href="/moderation/groups">Duplicate groups, the largest first' in queue


def test_one_answer_reaches_every_open_member_of_a_group_each_audited(moderator, a_wave, mod_rows):
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    response = moderator.post(f"/moderation/groups/{key}/answer",
                              {"body": "قسط اگلے مہینے آئے گی، شناختی کارڈ 35202-1234567-1 ساتھ رکھیں", "language": "ur"})
    assert response.status_code == 303
    done = page(moderator.get(response.headers["Location"]))
    assert "Answer published to 3. Left to other moderators: 0. Still open: 0." in done
    rows = tuples(mod_rows, "SELECT s.status, a.published, a.body FROM submissions s JOIN answers a ON a.submission_id = s.id"
                    " WHERE s.group_key = ?", (key,))
    assert len(rows) == 3 and {(r[0], r[1]) for r in rows} == {("answered", 1)}
    assert all("35202" not in r[2] for r in rows)                    # numbers masked as on one answer
    actions = tuples(mod_rows, "SELECT action, count(*) FROM audit_log WHERE action IN ('answer_publish', 'group_answer')"
                       " GROUP BY action")
    assert dict(actions) == {"answer_publish": 3, "group_answer": 1}
    groups = page(moderator.get("/moderation/groups"))
    assert "3 open" not in groups and "2 open, same words" in groups
    # Each submitter sees the answer under their own reference.
    status = moderator.client.get(f"/api/v1/submissions/{a_wave[1]}", headers={"Accept": "application/json"})
    assert "قسط اگلے مہینے" in status.get_json()["answer"]["body"]


def test_group_counts_follow_every_change(moderator, a_wave, mod_rows):
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]

    def counts():
        return tuples(mod_rows, "SELECT open_count, total FROM submission_groups WHERE group_key = ? AND sensitive = 0", (key,))[0]

    assert tuple(counts()) == (3, 3)
    moderator.post(f"/moderation/submissions/{a_wave[0]}/status", {"status": "closed"})
    assert tuple(counts()) == (2, 3)
    moderator.post(f"/moderation/submissions/{a_wave[1]}/sensitive", {"sensitive": "1", "reason": "fraud"})
    assert tuple(counts()) == (1, 2)
    moderator.post(f"/moderation/submissions/{a_wave[0]}/status", {"status": "in_review"})
    assert tuple(counts()) == (2, 2)


def test_a_sensitive_member_is_never_answered_with_its_group(admin, a_wave, mod_rows):
    admin.post(f"/moderation/submissions/{a_wave[2]}/sensitive", {"sensitive": "1", "reason": "fraud"})
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    admin.post(f"/moderation/groups/{key}/answer", {"body": "جواب", "language": "ur"})
    assert tuples(mod_rows, "SELECT status FROM submissions WHERE reference = ?", (a_wave[2],))[0][0] == "new"
    assert tuples(mod_rows, "SELECT count(*) FROM answers")[0][0] == 2


# ---------------------------------------------------------------- claims

def test_a_claim_is_seen_by_others_refuses_them_and_ends_on_answer(mod_app, moderator, admin, submit, mod_rows):
    reference = submit("When will the Kafalat payment come?")
    assert moderator.post(f"/moderation/submissions/{reference}/claim", {"action": "claim"}).status_code == 303
    seen = page(admin.get(f"/moderation/submissions/{reference}"))
    assert re.search(r"mo holds it until <time", seen)
    refused = admin.post(f"/moderation/submissions/{reference}/claim", {"action": "claim"})
    assert refused.status_code == 409
    assert "mo is working on this one until" in refused.get_data(as_text=True)
    typed = admin.post(f"/moderation/submissions/{reference}/answer",
                       {"body": "My own words here", "language": "en", "action": "publish"})
    assert typed.status_code == 409
    assert "My own words here" in typed.get_data(as_text=True)
    assert tuples(mod_rows, "SELECT count(*) FROM answers")[0][0] == 0
    publish(moderator, reference, "Within the month.")
    assert tuples(mod_rows, "SELECT count(*) FROM claims")[0][0] == 0
    assert [r[0] for r in tuples(mod_rows, "SELECT action FROM audit_log WHERE action LIKE 'claim%' ORDER BY id")] == \
        ["claim", "claim_release"]
    assert "holds it" not in page(admin.get(f"/moderation/submissions/{reference}"))


def test_a_claim_lapses_after_the_setting_and_can_be_let_go(mod_app, moderator, admin, submit, mod_rows):
    reference = submit("When will the Kafalat payment come?")
    moderator.post(f"/moderation/submissions/{reference}/claim", {"action": "claim"})
    until = tuples(mod_rows, "SELECT claimed_at, expires_at FROM claims")[0]
    minutes = (triage_minutes := mod_app.config["MODERATION_CLAIM_MINUTES"])
    assert minutes == 20 and until[1] > until[0]
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    with conn:
        conn.execute("UPDATE claims SET expires_at = '2000-01-01T00:00:00Z'")
    conn.close()
    assert "holds it" not in page(admin.get(f"/moderation/submissions/{reference}"))
    assert admin.post(f"/moderation/submissions/{reference}/claim", {"action": "claim"}).status_code == 303
    assert "You hold it until" in page(admin.get(f"/moderation/submissions/{reference}"))
    assert admin.post(f"/moderation/submissions/{reference}/claim", {"action": "release"}).status_code == 303
    assert "Nobody has taken this yet." in page(moderator.get(f"/moderation/submissions/{reference}"))
    assert triage_minutes == 20


def test_a_group_claim_covers_its_members(moderator, admin, a_wave, mod_rows):
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    assert moderator.post(f"/moderation/groups/{key}/claim", {"action": "claim"}).status_code == 303
    assert "mo holds it until" in page(admin.get(f"/moderation/groups/{key}"))
    assert "mo holds its group until" in page(admin.get(f"/moderation/submissions/{a_wave[1]}"))
    assert "held by mo" in page(admin.get("/moderation/groups"))
    assert page(admin.get("/moderation/")).count("held by mo") == 3          # every member, in the queue
    refused = admin.post(f"/moderation/groups/{key}/answer", {"body": "جواب", "language": "ur"})
    assert refused.status_code == 409 and "mo is answering this group until" in refused.get_data(as_text=True)
    assert admin.post(f"/moderation/submissions/{a_wave[1]}/claim", {"action": "claim"}).status_code == 409
    assert admin.post(f"/moderation/submissions/{a_wave[1]}/answer",
                      {"body": "x", "language": "ur", "action": "publish"}).status_code == 409
    assert tuples(mod_rows, "SELECT count(*) FROM answers")[0][0] == 0
    # The holder answers the group: the claim ends with it.
    assert moderator.post(f"/moderation/groups/{key}/answer", {"body": "جواب", "language": "ur"}).status_code == 303
    assert tuples(mod_rows, "SELECT count(*) FROM claims")[0][0] == 0


def test_a_member_another_moderator_holds_is_left_to_them(moderator, admin, a_wave, mod_rows):
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    moderator.post(f"/moderation/submissions/{a_wave[0]}/claim", {"action": "claim"})
    response = admin.post(f"/moderation/groups/{key}/answer", {"body": "جواب", "language": "ur"})
    assert "Answer published to 2. Left to other moderators: 1. Still open: 1." in page(
        admin.get(response.headers["Location"]))
    assert tuples(mod_rows, "SELECT status FROM submissions WHERE reference = ?", (a_wave[0],))[0][0] == "new"


def test_the_pages_read_in_urdu(mod_app, a_wave, mod_rows):
    add_user(mod_app, "urdu", "moderator")
    staff = Staff(mod_app, "urdu")
    staff.sign_in()
    staff.post("/moderation/language", {"language": "ur", "next": "/moderation/"})
    html = page(staff.get("/moderation/groups"))
    assert "ایک جیسے پیغامات" in html and "۳ کھلے" in html
    assert "اس جیسے شائع شدہ جواب" in page(staff.get(f"/moderation/submissions/{a_wave[0]}"))


# ---------------------------------------------------------------- query plans

TRIAGE_TABLES = r"\b(submission_groups|claims|answer_search|group_key)\b"


def full_scans(app, sql: str) -> list[str]:
    with app.app_context():
        plan = [row[3] for row in storage.get_db().conn.execute("EXPLAIN QUERY PLAN " + sql)]
    # A scan of a table, or of a virtual table with no constraint (index 0 and no MATCH, "M",
    # among FTS5's constraints), or a sort of every row. A virtual table with a constraint
    # (MATCH, term =) is a look-up; "SCAN f" walks the few rows a LIMITed subquery gave.
    return [step for step in plan
            if re.match(r"SCAN (?!f$)\w+$", step) or re.match(r"SCAN \w+ VIRTUAL TABLE INDEX 0:(?!M)", step)
            or "TEMP B-TREE FOR ORDER BY" in step]


def test_triage_pages_never_scan_a_table(mod_app, moderator, admin, a_wave, mod_rows):
    publish(admin, a_wave[5], "An answer about something else entirely.")
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    moderator.post(f"/moderation/groups/{key}/claim", {"action": "claim"})
    checked = 0
    for url in ("/moderation/", "/moderation/groups", f"/moderation/groups?after={key}&n=3", f"/moderation/groups/{key}",
                f"/moderation/submissions/{a_wave[1]}", f"/moderation/submissions/{a_wave[3]}?reply_from=1"):
        for sql in statements(mod_app, moderator, url):
            if re.search(TRIAGE_TABLES, sql) and sql.lstrip().upper().startswith("SELECT"):
                assert full_scans(mod_app, sql) == [], (url, sql[:300])
                checked += 1
    assert checked >= 12


def test_the_backfill_walks_by_id_and_the_groups_index_serves_largest_first(mod_app):
    with mod_app.app_context():
        conn = storage.get_db().conn
        plans = {sql: [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)] for sql, params in [
            ("SELECT id, message FROM submissions WHERE id > ? AND id <= ? AND group_key IS NULL", (0, 10)),
            ("SELECT group_key, open_count FROM submission_groups WHERE sensitive = 0 AND open_count >= 2"
             " ORDER BY open_count DESC, group_key DESC LIMIT 50", ()),
            ("SELECT id FROM submissions WHERE group_key = ? AND sensitive = 0 AND status IN ('new', 'in_review')"
             " ORDER BY received_at LIMIT 1", (1,)),
        ]}
    for sql, plan in plans.items():
        assert not any(re.match(r"SCAN \w+$", step) or "TEMP B-TREE" in step for step in plan), (sql, plan)
    assert any("submission_groups_largest" in step for plan in plans.values() for step in plan)
    assert any("submissions_group" in step for plan in plans.values() for step in plan)


# ---------------------------------------------------------------- hostile input

HOSTILE = ["9" * 20, "9" * 5000, "-1", "0", "²", "١٢", "1e400", "0x1F", "1%00", "<script>alert(1)</script>"]


def test_hostile_input_on_every_triage_route_is_a_clear_4xx_and_changes_nothing(moderator, a_wave, mod_rows):
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    before = tuples(mod_rows, "SELECT count(*) FROM audit_log")
    for value in HOSTILE:
        assert moderator.get(f"/moderation/groups/{value}").status_code == 404
        assert moderator.post(f"/moderation/groups/{value}/claim", {"action": "claim"}).status_code == 404
        assert moderator.post(f"/moderation/groups/{value}/answer", {"body": "x", "language": "ur"}).status_code == 404
        listing = moderator.get(f"/moderation/groups?after={value}&n={value}")
        assert listing.status_code in (200, 400) and "<script>alert" not in listing.get_data(as_text=True)
        shown = moderator.get(f"/moderation/submissions/{a_wave[0]}?reply_from={value}")
        assert shown.status_code in (200, 400) and "<script>alert" not in shown.get_data(as_text=True)
        assert moderator.get(f"/moderation/groups/{key}?reply_from={value}&done={value}").status_code in (200, 400)
    assert moderator.get(f"/moderation/groups/{key + 1}").status_code == 404      # no such group
    assert tuples(mod_rows, "SELECT count(*) FROM audit_log") == before

    for body, why in (("a\x00b", "characters"), ("x" * 5001, "5,000"), ("   ", "Write an answer")):
        refused = moderator.post(f"/moderation/groups/{key}/answer", {"body": body, "language": "ur"})
        assert refused.status_code == 400 and why in refused.get_data(as_text=True), why
    refused = moderator.post(f"/moderation/groups/{key}/answer", {"body": "جواب", "language": "xx\x00"})
    assert refused.status_code == 400
    assert tuples(mod_rows, "SELECT count(*) FROM answers") == [(0,)]
    # An unknown action claims (the button's default); a claim needs no more than the token.
    assert moderator.post(f"/moderation/submissions/{a_wave[0]}/claim", {"action": "\x00" * 3}).status_code == 303
    assert tuples(mod_rows, "SELECT kind FROM claims") == [("submission",)]


def test_a_script_in_a_message_or_answer_stays_text_on_triage_pages(admin, submit, mod_rows):
    first = submit("<script>alert(1)</script> Kafalat payment")
    publish(admin, first, "<img src=x onerror=alert(1)> Kafalat pays soon")
    second = submit("<script>alert(1)</script> Kafalat payment")
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (second,))[0][0]
    for url in (f"/moderation/submissions/{second}", f"/moderation/groups/{key}", "/moderation/groups"):
        html = page(admin.get(url))
        assert "<script>alert" not in html and "<img src=x" not in html


# ---------------------------------------------------------------- the migration on an older database

def test_a_database_from_before_triage_gets_its_groups_and_answer_index_in_batches(tmp_path):
    from feedback_api.storage import migrations

    path = str(tmp_path / "old.sqlite3")
    db = storage.connect(path)
    migrations._set.apply(db, stop_before="0011_triage")       # the previous version's schema
    stamp = "2026-01-01T00:00:00Z"
    messages = ["میری قسط کب آئے گی؟", "ميري قسط كب آئے گي", "Card blocked", "card BLOCKED!"] * 3 + ["alone"]
    with db.conn:
        for n, message in enumerate(messages, 1):
            db.conn.execute(
                "INSERT INTO submissions (reference, kind, component, language, message, message_hash, received_at,"
                " updated_at) VALUES (?, 'question', 'general', 'ur', ?, 'h', ?, ?)", (f"R{n}", message, stamp, stamp))
        db.conn.execute("INSERT INTO answers (submission_id, body, language, published, created_at, updated_at,"
                        " published_at) VALUES (13, 'alone answer words', 'ur', 1, ?, ?, ?)", (stamp, stamp, stamp))
    db.close()
    assert "0011_triage" in migrations.migrate(path)
    db = storage.connect(path)
    try:
        assert db.conn.execute("SELECT count(*) FROM submissions WHERE group_key IS NULL").fetchone()[0] == 13
        batches = []
        assert triage.backfill(db, batch=5, pause=0, report=lambda done, target: batches.append(done)) == 14
        assert batches == [5, 10, 13, 1]              # submissions by id, then the answers
        assert db.conn.execute("SELECT count(*) FROM submissions WHERE group_key IS NULL").fetchone()[0] == 0
        sizes = [r[0] for r in db.conn.execute(
            "SELECT open_count FROM submission_groups WHERE open_count >= 2 ORDER BY open_count DESC")]
        assert sizes == [6, 6]
        found = triage.similar_answers(db, {"id": 99, "message": "the alone answer", "language": "ur"})
        assert [a["body"] for a in found] == ["alone answer words"]
        assert triage.backfill(db, pause=0) == 0          # repeatable: nothing left
        # An answer published after the migration is searchable at once (the trigger).
        with db.conn:
            db.conn.execute("INSERT INTO answers (submission_id, body, language, published, created_at, updated_at)"
                            " VALUES (1, 'qist next week', 'ur', 1, ?, ?)", (stamp, stamp))
        assert triage.similar_answers(db, {"id": 99, "message": "qist", "language": "ur"})[0]["body"] == "qist next week"
        with db.conn:
            db.conn.execute("UPDATE answers SET published = 0 WHERE submission_id = 1")
        assert triage.similar_answers(db, {"id": 99, "message": "qist", "language": "ur"}) == []
        with db.conn:   # the index agrees with what it was built from (raises if not)
            db.conn.execute("INSERT INTO answer_search (answer_search, rank) VALUES ('integrity-check', 1)")
    finally:
        db.close()


def test_count_earlier_groups_rows_stored_by_hand(mod_app, mod_rows):
    """Rows written without the service (sqlite3, an import) get their group from the command
    that init-db and gunicorn's start run."""
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    with conn:
        for n, message in enumerate(("Card blocked", "CARD  blocked!"), 1):
            conn.execute("INSERT INTO submissions (reference, kind, component, language, message, message_hash,"
                         " received_at, updated_at) VALUES (?, 'question', 'general', 'en', ?, 'h',"
                         " '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')", (f"HAND-{n}", message))
    conn.close()
    result = mod_app.test_cli_runner().invoke(args=["count-earlier"])
    assert result.exit_code == 0, result.output
    assert "grouped or indexed 2 earlier submissions and answers for triage" in result.output
    keys = tuples(mod_rows, "SELECT DISTINCT group_key FROM submissions WHERE reference LIKE 'HAND-%'")
    assert len(keys) == 1 and keys[0][0] == folding.group_key("card blocked")
    with mod_app.app_context():
        assert triage.complete(storage.get_db())


def test_a_large_group_is_answered_in_short_transactions(mod_app, a_wave, mod_rows):
    key = tuples(mod_rows, "SELECT group_key FROM submissions WHERE reference = ?", (a_wave[0],))[0][0]
    with mod_app.app_context():
        db = storage.get_db()
        user = db.conn.execute("SELECT id FROM users WHERE username = 'mo'").fetchone()[0]
        assert triage.answer_group(db, key, user, "جواب", "ur", chunk=2, most=2) == \
            {"answered": 2, "held": 0, "remaining": 1}                     # a click's limit
        assert triage.answer_group(db, key, user, "جواب", "ur", chunk=2) == {"answered": 1, "held": 0, "remaining": 0}
    assert tuples(mod_rows, "SELECT json_extract(after, '$.answered') FROM audit_log WHERE action = 'group_answer'"
                            " ORDER BY id") == [(2,), (1,)]


def test_rows_whose_group_key_the_one_letter_table_changed_get_it_again(tmp_path):
    """Migration 0014: a Sindhi message stored under the old key (ٺ kept as it was) is regrouped
    with its Urdu spelling; other rows keep their key and the group counts stay right."""
    from feedback_api.storage import migrations

    path = str(tmp_path / "old.sqlite3")
    db = storage.connect(path)
    migrations._set.apply(db, stop_before="0014_group_keys_one_letter_table")   # the previous version
    stamp = "2026-01-01T00:00:00Z"
    old_key = 12345                                 # what the old table gave the Sindhi spelling
    rows = [("ٺڳي ٿي", old_key), ("ٹہگی تہی", folding.group_key("ٹہگی تہی")), ("card blocked", folding.group_key("card blocked"))]
    with db.conn:
        for n, (message, key) in enumerate(rows, 1):
            db.conn.execute(
                "INSERT INTO submissions (reference, kind, component, language, message, message_hash, received_at,"
                " updated_at, group_key) VALUES (?, 'question', 'general', 'sd', ?, 'h', ?, ?, ?)",
                (f"R{n}", message, stamp, stamp, key))
        db.conn.execute("UPDATE triage_progress SET groups_done_to = 3")   # all grouped, as it was
    db.close()
    assert "0014_group_keys_one_letter_table" in migrations.migrate(path)
    db = storage.connect(path)
    try:
        assert not triage.complete(db)                 # gunicorn's start runs the backfill
        assert triage.backfill(db, pause=0) == 1
        keys = [r[0] for r in db.conn.execute("SELECT group_key FROM submissions ORDER BY id")]
        assert keys[0] == keys[1] == folding.group_key("ٺڳي ٿي") and keys[2] == folding.group_key("card blocked")
        groups = {r[0]: r[1] for r in db.conn.execute("SELECT group_key, total FROM submission_groups WHERE total > 0")}
        assert groups == {keys[0]: 2, keys[2]: 1}
        assert triage.complete(db)
    finally:
        db.close()


def test_migration_drops_the_unused_answer_word_list(tmp_path):
    """Migration 0015 on a database made by the previous version: the word list goes, the
    answer search it was built over stays."""
    from feedback_api.storage import migrations

    path = str(tmp_path / "old.sqlite3")
    db = storage.connect(path)
    migrations._set.apply(db, stop_before="0015_drop_answer_search_vocab")
    db.close()
    assert "0015_drop_answer_search_vocab" in migrations.migrate(path)
    db = storage.connect(path)
    try:
        tables = {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "answer_search" in tables and "answer_search_vocab" not in tables
    finally:
        db.close()
