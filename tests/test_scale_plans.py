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


def test_the_digest_reads_its_period_from_one_covering_index(mod_app, admin, some_rows):
    """Every figure of a district's period comes from submissions_digest alone: the period's
    entries, never the district's whole history nor a row of the table."""
    sqls = [s for s in statements(mod_app, admin, "/moderation/digest?district=Quetta&lang=ur")
            if "FROM submissions s WHERE" in s]
    assert len(sqls) == 4
    with mod_app.app_context():
        for sql in sqls:
            plan = [row[3] for row in storage.get_db().conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert plan[0].startswith("SEARCH s USING COVERING INDEX submissions_digest (district=? AND <expr>"), plan


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
    from feedback_api.storage import counts, masks, triage

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
        seen = []
        db.conn.set_trace_callback(seen.append)
        try:
            assert counts.backfill(db, pause=0) and masks.backfill(db, pause=0) and triage.backfill(db, pause=0)
        finally:
            db.conn.set_trace_callback(None)
        batch_sql = [s for s in seen if re.search(r"\bid > \d+ AND \w*\.?id <= \d+", s)]
        assert len(batch_sql) >= 7 + 1 + 3 + 2
        for sql in batch_sql:
            plan = [row[3] for row in db.conn.execute("EXPLAIN QUERY PLAN " + sql)]
            assert not [p for p in plan if re.match(r"SCAN \w+\b(?! USING)", p) or "answers_public" in p], (sql, plan)
        assert triage.similar_answers(db, {"id": 0, "message": "When will Kafalat come", "language": "en"})
