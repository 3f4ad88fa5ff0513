"""Moderation pages cost one page of rows, not the table: every statement the queue, its
counts, the dashboard, a submission's page and the digest run is checked with EXPLAIN QUERY
PLAN (no scan of the submissions table, no sort of all matching rows, no OFFSET)."""
from __future__ import annotations

import re

import pytest

from feedback_api import storage
from tests.fixtures_moderation import statements

QUEUE_URLS = [
    "/moderation/", "/moderation/?status=all", "/moderation/?status=answered", "/moderation/?status=spam",
    "/moderation/?order=oldest", "/moderation/?kind=complaint", "/moderation/?component=kafalat",
    "/moderation/?language=ur", "/moderation/?district=quetta", "/moderation/?channel=sms",
    "/moderation/?topic_code=COM-PAY&status=all", "/moderation/?date_from=2026-01-01&date_to=2026-02-01",
    "/moderation/?component=kafalat&district=Quetta&status=all",
    "/moderation/?kind=complaint&language=ur&channel=web",
    "/moderation/?q=قسط", "/moderation/?q=payment kafalat&status=all&component=kafalat",
    "/moderation/?q=payment&order=oldest", "/moderation/?last=1", "/moderation/?after=2",
    "/moderation/?before=2&status=all", "/moderation/?q=payment&after=3",
    "/moderation/dashboard", "/moderation/dashboard?weeks=52",
]
ADMIN_URLS = ["/moderation/?sensitive=1", "/moderation/?sensitive=1&status=all&order=newest",
              "/moderation/audit", "/moderation/audit?action=status", "/moderation/audit?user=mo&after=5"]


def bad_steps(app, sql: str, sorts: bool = True) -> list[str]:
    if not re.search(r"\b(submissions|audit_log)\b", sql):
        return []  # the counts tables: a few rows per day and value
    with app.app_context():
        plan = [row[3] for row in storage.get_db().conn.execute("EXPLAIN QUERY PLAN " + sql)]
    bad = []
    for step in plan:
        # A walk of an index in the page's order stops after a page; a walk of the table or a
        # sort of every match does not.
        # (audit_log walked in id order, newest first, is its own page walk: "SCAN l".)
        if re.match(r"SCAN (s|submissions|d|a)\b(?! USING)", step) or (sorts and "TEMP B-TREE FOR ORDER BY" in step):
            bad.append(step)
    return bad


@pytest.fixture
def some_rows(submit, admin):
    refs = [submit("When will the Kafalat payment come?", component="kafalat", district="Quetta"),
            submit("میری قسط نہیں آئی", language="ur", kind="complaint"),
            submit("The agent took a bribe")]
    admin.post(f"/moderation/submissions/{refs[0]}/answer", {"body": "Soon", "language": "en", "action": "publish"})
    return refs


@pytest.mark.parametrize("url", QUEUE_URLS + ADMIN_URLS)
def test_no_page_scans_the_table_or_sorts_every_match(mod_app, admin, moderator, some_rows, url):
    client = admin if url in ADMIN_URLS else moderator
    sqls = [s for s in statements(mod_app, client, url) if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    assert sqls
    assert not any(" OFFSET " in s.upper() for s in sqls)
    problems = {s[:300]: bad_steps(mod_app, s) for s in sqls}
    assert {s: p for s, p in problems.items() if p} == {}


def test_a_submission_page_and_the_digest_do_not_scan(mod_app, admin, some_rows):
    """(The digest sorts its per-district groups and the changes list: a handful of rows.)"""
    for url in (f"/moderation/submissions/{some_rows[0]}", "/moderation/digest?district=Quetta&lang=ur"):
        sqls = [s for s in statements(mod_app, admin, url) if s.lstrip().upper().startswith("SELECT")]
        problems = {s[:300]: bad_steps(mod_app, s, sorts=False) for s in sqls}
        assert {s: p for s, p in problems.items() if p} == {}, url


def test_each_backfill_batch_reads_its_own_range_of_ids(mod_app, some_rows):
    """The backfills of an older database (figures, masks, groups, the answer search) read each
    batch by its range of ids: a batch costs its rows, not a walk of the table or of every
    published answer (as through answer_search_content's view: minutes at a million)."""
    from feedback_api.storage import counts, digest, masks, triage

    with mod_app.app_context():
        db = storage.get_db()
        with storage.immediate(db):   # as the migrations leave an older database (figures not rebuilt: a copy)
            db.conn.execute("UPDATE counts_progress SET done_to = 0, target = (SELECT max(id) FROM submissions)")
            for table in ("submissions", "notes", "answers"):
                db.conn.execute(f"UPDATE mask_progress SET done_to = 0, target = (SELECT COALESCE(max(id), 0)"
                                f" FROM {table}) WHERE tbl = '{table}'")
            db.conn.execute("UPDATE triage_progress SET groups_done_to = 0, answers_done_to = 0,"
                            " answers_target = (SELECT max(id) FROM answers)")
            db.conn.execute("UPDATE submissions SET group_key = NULL")
            db.conn.execute("INSERT INTO answer_search (answer_search) VALUES ('delete-all')")
            db.conn.execute("DELETE FROM digest_figures")
            db.conn.execute("UPDATE digest_progress SET done_to = 0, target = (SELECT max(id) FROM submissions)")
        seen = []
        db.conn.set_trace_callback(seen.append)
        try:
            assert counts.backfill(db, pause=0) and masks.backfill(db, pause=0) and triage.backfill(db, pause=0)
            assert digest.backfill(db, pause=0)
        finally:
            db.conn.set_trace_callback(None)
        batch_sql = [s for s in seen if re.search(r"\bid > \d+ AND \w*\.?id <= \d+", s)]
        assert len(batch_sql) >= 7 + 1 + 3 + 2 + 3
        for sql in batch_sql:
            plan = [row[3] for row in db.conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert not [p for p in plan if re.match(r"SCAN \w+\b(?! USING)", p) or "answers_public" in p], (sql, plan)
            if "digest_figures" in sql:  # not by an index that holds half the table (sensitive = 0)
                assert plan[0] == "SEARCH s USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)", (sql, plan)
        assert triage.similar_answers(db, {"id": 0, "message": "When will Kafalat come", "language": "en"})


def test_a_search_page_reads_the_full_text_index_once(mod_app, moderator, submit):
    """A word searched as a prefix makes SQLite merge every matching word's entries before the
    first row: the first page of a search gets its rows and its counts from one such read."""
    for n in range(4):
        submit(f"Payment {n} did not come")
    for url in ("/moderation/?q=payment", "/moderation/?q=payment&status=all", "/moderation/?q=payment kafalat"):
        sqls = statements(mod_app, moderator, url)
        assert len([s for s in sqls if "submissions_fts MATCH" in s]) == 1, url


@pytest.mark.parametrize("cap", [1000, 2])
def test_a_search_page_shows_what_the_queue_and_its_counts_read_apart_show(mod_app, moderator, submit, monkeypatch, cap):
    """The same rows, links and counts as queue() and status_counts() give, in each status,
    whether the page comes from the counted matches or (past them: cap 2) is read apart."""
    from feedback_api.storage import moderation as sm

    for n in range(7):
        submit(f"Payment {n} did not come")
    submit("Something else")
    with mod_app.app_context():
        db = storage.get_db()
        ids = [r["id"] for r in db.conn.execute("SELECT id FROM submissions ORDER BY id")]
        with storage.immediate(db):
            db.conn.execute("UPDATE submissions SET status = 'closed' WHERE id IN (?, ?, ?)", ids[4:7])
        monkeypatch.setattr(sm, "COUNT_CAP", cap)
        viewer = {"role": "moderator"}
        base = {"status": "open", "kind": None, "component": None, "language": None, "channel": None,
                "topic_code": None, "date_from": None, "date_to": None, "district": None, "q": "payment",
                "sensitive": None, "order": "newest"}
        for status in ("open", "closed", "all", "spam"):
            filters = {**base, "status": status}
            rows, newer, older, tally, capped = sm.queue_and_counts(db, filters, viewer, 2)
            apart = sm.queue(db, filters, viewer, 2)
            assert ([r["reference"] for r in rows], newer, older) == ([r["reference"] for r in apart[0]], *apart[1:])
            assert (tally, capped) == sm.status_counts(db, filters, viewer)


def test_district_and_part_walk_their_own_index_on_a_database_from_the_previous_version(tmp_path):
    """Migration 0012 on a database made by the version before it: the queue filtered by
    district and programme part, and its capped counts, then walk
    submissions_district_component newest first (not the district's every row for its part)."""
    from feedback_api.storage import migrations, moderation as sm

    path = str(tmp_path / "old.sqlite3")
    db = storage.connect(path)
    migrations._set.apply(db, stop_before="0012_district_component_index")
    with db.conn:
        for n in range(30):
            db.conn.execute(
                "INSERT INTO submissions (reference, kind, component, language, message, message_hash, received_at,"
                " updated_at, district) VALUES (?, 'question', ?, 'en', 'words', 'h', ?, ?, ?)",
                (f"R{n}", ("kafalat", "langar")[n % 2], f"2026-01-01T00:00:{n % 10:02d}Z",
                 "2026-01-01T00:00:00Z", ("Quetta", "quetta", "Swat")[n % 3]))
    db.close()
    assert storage.migrate(path)[0] == "0012_district_component_index"   # later ones may follow
    db = storage.connect(path)
    try:
        filters = {"status": "all", "component": "kafalat", "district": "QUETTA", "order": "newest"}
        seen = []
        db.conn.set_trace_callback(seen.append)
        rows, _, older, tally, capped = sm.queue_and_counts(db, filters, {"role": "moderator"}, 3)
        db.conn.set_trace_callback(None)
        expected = [r[0] for r in db.conn.execute(
            "SELECT reference FROM submissions WHERE component = 'kafalat' AND district = 'quetta' COLLATE NOCASE"
            " ORDER BY received_at DESC, id DESC")]
        assert [r["reference"] for r in rows] == expected[:3] and older
        assert (tally["all"], capped) == (len(expected), False)
        for sql in [s for s in seen if "FROM submissions s" in s]:
            plan = " | ".join(r[3] for r in db.conn.execute("EXPLAIN QUERY PLAN " + sql))
            assert "USING INDEX submissions_district_component" in plan and "TEMP B-TREE" not in plan, plan
    finally:
        db.close()
