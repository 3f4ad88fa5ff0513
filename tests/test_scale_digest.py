"""The district digest read from figures kept per district and day (feedback_api/storage/digest.py)
shows what counting the rows shows: the figures equal a recount through every kind of change
(arrival, status, spam, sensitive, coding, district, dates, first answer, answers published,
unlisted and withdrawn, deletion, contact erasure by retention, a rolled-back change); the median
days to answer equals the exact median; and on a database made by the previous version the
page is the same before the backfill (counted from rows) and after it (from the figures)."""
from __future__ import annotations

import random
import re
import sqlite3

import pytest

from feedback_api import storage
from feedback_api.storage import digest as kept_digest, feed
from tests.fixtures_moderation import statements
from tests.fixtures_service import make_app

HEARD = kept_digest.for_row(kept_digest.HEARD_ON, "s")
WHOLE = ("2000-01-01", "2999-12-31")
# The public answers' list as the digest read it before the kept list (for comparison).
OLD_ANSWERS = (
    "SELECT a.language, s.component, a.public_question AS question, a.body AS answer,"
    " a.published_at, c.name, c.contact FROM answers a JOIN submissions s ON s.id = a.submission_id"
    " LEFT JOIN contacts c ON c.submission_id = s.id"
    f" WHERE {feed.PUBLIC_ANSWER} AND {feed._DIGEST_ROWS} ORDER BY a.published_at DESC, a.id DESC LIMIT 20")


def recount(conn) -> dict:
    """digest_figures as counting every row gives them."""
    found: dict = {}
    for dim, a, b in (("part", "s.component", "s.kind"),
                      ("state", "s.status", kept_digest.for_row(kept_digest.STATE_BUCKET, "s")),
                      ("topic", "s.topic_code", "''")):
        for district, day, va, vb, n in conn.execute(
                f"SELECT s.district, {HEARD}, {a}, {b}, count(*) FROM submissions s"
                f" WHERE {kept_digest.for_row(kept_digest.IN_DIGEST, 's')} AND {a} IS NOT NULL"
                " GROUP BY s.district COLLATE NOCASE, 2, 3, 4"):
            found[(district.casefold(), day, dim, va, vb)] = n
    return found


def kept(conn) -> dict:
    return {(r[0].casefold(), *r[1:5]): r[5] for r in conn.execute(
        "SELECT district, day, dim, a, b, n FROM digest_figures WHERE n != 0")}


def assert_right(path: str, step: str) -> None:
    """The kept figures equal a recount, and every district's digest (whole history, and each
    day that has rows) equals the one counted from rows, public answers included."""
    db = storage.connect(path)
    try:
        assert kept(db.conn) == recount(db.conn), f"figures wrong after: {step}"
        assert kept_digest.complete(db)
        periods = [WHOLE] + [(d, d) for (d,) in db.conn.execute(f"SELECT DISTINCT {HEARD} FROM submissions s")]
        for (district,) in db.conn.execute("SELECT DISTINCT district FROM submissions WHERE district IS NOT NULL"):
            for start, end in periods:
                got = feed.digest(db, district.upper(), start, end)
                assert {k: v for k, v in got.items() if k not in ("answers", "changes")} == \
                    feed.digest_by_rows(db, district.upper(), start, end), (step, district, start)
                params = {"district": district.upper(), "date_from": start, "date_to": end}
                assert got["answers"] == [dict(r) for r in db.conn.execute(OLD_ANSWERS, params)], (step, district)
    finally:
        db.close()


def test_the_digest_stays_right_through_every_kind_of_change(mod_app, admin, moderator, submit, mod_rows):
    path = mod_app.config["DATABASE"]
    a = submit("When will the Kafalat payment come?", component="kafalat", district="Quetta")
    b = submit("میری قسط نہیں آئی", language="ur", kind="complaint", district="quetta")
    c = submit("Buy cheap watches", district="Quetta")
    d = submit("The agent took a bribe from us", district="Quetta")  # flagged sensitive on arrival
    e = submit("Langar timings?", component="langar", district="Multan", name="Amina Bibi", contact="0300-1234567")
    admin.post("/moderation/intake", {"channel": "helpline", "gathered_on": "2026-01-10", "district": "Multan",
                                      "kind": "suggestion", "component": "amdan", "language": "ur",
                                      "message": "تجویز"})
    assert_right(path, "submissions arriving (web, sensitive, offline)")
    ids = {ref: mod_rows("SELECT id FROM submissions WHERE reference = ?", [ref])[0]["id"] for ref in (a, b, c, d, e)}

    def publish(ref, listed=True):
        return admin.post(f"/moderation/submissions/{ref}/answer", {
            "body": f"Answer to {ref}: call Amina Bibi", "language": "en", "action": "publish",
            **({"listed": "1", "public_question": f"Question {ref}"} if listed else {})})

    steps = [
        ("status", lambda: moderator.post(f"/moderation/submissions/{a}/status", {"status": "in_review"})),
        ("coding", lambda: moderator.post(f"/moderation/submissions/{a}/coding",
                                          {"kind": "complaint", "topic_code": "COM-PAY"})),
        ("coding another", lambda: moderator.post(f"/moderation/submissions/{b}/coding",
                                                  {"kind": "complaint", "topic_code": "COM-PAY"})),
        ("answer published, listed", lambda: publish(a)),
        ("answer published, not listed", lambda: publish(b, listed=False)),
        ("answer listed later", lambda: publish(b)),
        ("answer with a contact's name published", lambda: publish(e)),
        ("answer unpublished", lambda: admin.post(f"/moderation/submissions/{b}/unpublish", {})),
        ("spam (bulk)", lambda: moderator.post("/moderation/bulk", {"action": "spam", "ids": [ids[c]]})),
        ("flagged sensitive (answer withdrawn)", lambda: moderator.post(
            f"/moderation/submissions/{a}/sensitive", {"sensitive": "1", "reason": "fraud"})),
        ("sensitive cleared", lambda: admin.post(f"/moderation/submissions/{a}/sensitive", {"sensitive": "0"})),
        ("published again", lambda: publish(a)),
        ("closed (bulk, all matching)", lambda: moderator.post("/moderation/bulk", {
            "action": "close", "scope": "all", "next": "/moderation/?language=ur"})),
        ("sensitive case closed by an admin", lambda: admin.post(f"/moderation/submissions/{d}/status",
                                                                 {"status": "closed"})),
    ]
    for name, action in steps:
        assert action().status_code in (303, 302), name
        assert_right(path, name)
    assert feed.digest(storage.connect(path), "QUETTA", *WHOLE)["answers"], "the list is not empty"
    by_hand = [  # what an import, a repair or sqlite3 by hand may do
        ("district renamed", "UPDATE submissions SET district = 'Multan' WHERE id = ?", [ids[a]]),
        ("district in another case", "UPDATE submissions SET district = 'MULTAN' WHERE id = ?", [ids[e]]),
        ("district removed", "UPDATE submissions SET district = NULL WHERE id = ?", [ids[b]]),
        ("gathered on another day", "UPDATE submissions SET gathered_on = '2026-02-02' WHERE id = ?", [ids[e]]),
        ("received at another time", "UPDATE submissions SET received_at = '2026-03-03T10:00:00Z' WHERE id = ?",
         [ids[a]]),
        ("first answer moved", "UPDATE submissions SET first_answered_at = '2026-03-05T11:00:00Z' WHERE id = ?",
         [ids[a]]),
        ("answer moved to another submission", "UPDATE answers SET submission_id = ? WHERE submission_id = ?",
         [ids[d], ids[e]]),
        ("answer deleted", "DELETE FROM answers WHERE submission_id = ?", [ids[d]]),
        ("submission deleted", "DELETE FROM submissions WHERE id = ?", [ids[c]]),
    ]
    for name, sql, params in by_hand:
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(sql, params)
        conn.close()
        assert_right(path, name)
    with mod_app.app_context():
        db = storage.get_db()
        assert storage.erase_old_contacts(db, "2999-01-01T00:00:00Z", "test") >= 0
        assert_right(path, "retention: contacts erased")
        try:
            with storage.immediate(db):
                db.conn.execute("UPDATE submissions SET status = 'answered', first_answered_at = '2027-01-01T00:00:00Z'")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert_right(path, "a rolled-back change")


def seed(conn, rows: int, rng: random.Random, days=("2026-05-01", "2026-05-02", "2026-05-03")) -> None:
    """`rows` submissions in two districts over a few days, answered after anything from
    minutes to weeks (many near a twentieth of a day: where the page's rounding turns)."""
    for i in range(rows):
        day = rng.choice(days)
        received = f"{day}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
        answered = None
        if rng.random() < 0.7:
            seconds = rng.choice([rng.randrange(0, 30 * 86400), rng.randrange(1, 40) * 4320 + rng.randrange(-3, 4)])
            answered = conn.execute("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?, ?)",
                                    [received, f"+{seconds} seconds"]).fetchone()[0]
        conn.execute(
            "INSERT INTO submissions (reference, kind, component, language, message, district, channel, status,"
            " sensitive, topic_code, message_hash, received_at, gathered_on, updated_at, first_answered_at)"
            " VALUES (?, ?, ?, 'ur', 'm', ?, 'web', ?, ?, ?, 'h', ?, ?, ?, ?)",
            [f"S{rng.random()}", rng.choice(["question", "complaint"]), rng.choice(["kafalat", "langar"]),
             rng.choice(["Quetta", "quetta", "Multan", None]),
             "answered" if answered else rng.choice(["new", "in_review", "closed", "spam"]), int(rng.random() < 0.1),
             rng.choice([None, "COM-PAY", "QUE-ACCESS"]), received, rng.choice([None, None, "2026-05-02"]),
             received, answered])


@pytest.mark.parametrize("seed_value", range(12))
def test_the_median_from_tenths_is_the_exact_median(tmp_path, seed_value):
    """Odd and even counts, the two middle answers in one tenth of a day or in two: the figure
    shown (days to a tenth, or "within a day") is the median of every answer, rounded."""
    app = make_app(tmp_path)
    rng = random.Random(seed_value)
    with app.app_context():
        db = storage.get_db()
        with storage.immediate(db):
            seed(db.conn, rng.randrange(1, 60), rng)
        for day in ("2026-05-01", "2026-05-02", "2026-05-03"):
            for start, end in ((day, day), ("2026-05-01", day)):
                got = feed.digest(db, "quetta", start, end)
                assert got["median_days_to_answer"] == feed.digest_by_rows(db, "quetta", start, end)[
                    "median_days_to_answer"]
    assert_right(app.config["DATABASE"], "seeded")
    storage.close_thread_connections()


def test_the_digest_reads_kept_figures_by_district_and_day(mod_app, admin, submit):
    """Every statement the digest page runs reads a few rows per day: the figures and the public
    answers' list by their primary key (district, then the period's days), a submission by its
    id; the two middle answers of an even count from their own index, one tenth's entries."""
    for i in range(2):
        ref = submit(f"Question {i}", district="Quetta")
        admin.post(f"/moderation/submissions/{ref}/answer", {"body": "Soon", "language": "en", "action": "publish",
                                                             "listed": "1", "public_question": "When?"})
        # answered after 0.2 and 0.35 days: two middle answers in different tenths
        conn = sqlite3.connect(mod_app.config["DATABASE"])
        with conn:
            conn.execute("UPDATE submissions SET first_answered_at = strftime('%Y-%m-%dT%H:%M:%SZ', received_at, ?)"
                         " WHERE reference = ?", [f"+{[17280, 30240][i]} seconds", ref])
        conn.close()
    sqls = statements(mod_app, admin, "/moderation/digest?district=Quetta&lang=ur")
    with mod_app.app_context():
        db = storage.get_db()
        plans = {sql: [row[3] for row in db.conn.execute("EXPLAIN QUERY PLAN " + sql)]
                 for sql in sqls if sql.lstrip().upper().startswith("SELECT")}
        figures = [p for s, p in plans.items() if "FROM digest_figures" in s]
        answers = [p for s, p in plans.items() if "FROM digest_answers" in s]
        assert len(figures) == 1 and figures[0][0].startswith(
            "SEARCH digest_figures USING PRIMARY KEY (district=? AND day>? AND day<?)"), figures
        assert len(answers) == 1 and answers[0][0].startswith(
            "SEARCH d USING PRIMARY KEY (district=? AND day>? AND day<?)"), answers
        assert all(re.match(r"SEARCH [asc] USING (INTEGER PRIMARY KEY|INDEX sqlite_autoindex_answers_1)", step)
                   or "TEMP B-TREE" in step for step in answers[0][1:]), answers
        for sql, plan in plans.items():
            if re.search(r"\bsubmissions\b", sql) and "digest_answers" not in sql:
                assert not any(re.match(r"SCAN (s|submissions)\b", step) or "submissions_district" in step
                               for step in plan), (sql[:200], plan)
        # the two middle answers in different tenths: one tenth's answered rows of the period each
        middle = [p for s, p in plans.items() if "min(" in s or "max(" in s]
        assert middle == [["SEARCH s USING INDEX submissions_answer_days (district=? AND <expr>=? AND"
                           " <expr>>? AND <expr><?)"]] * 2, middle


def test_migration_on_a_database_made_by_the_previous_version(tmp_path):
    """0017 on a database at 0016 with rows in it: the page counted from rows until the backfill
    is done (nothing wrong meanwhile), then from the figures, the same page; the backfill runs
    in batches while submissions keep arriving and changing."""
    path = str(tmp_path / "feedback.sqlite3")
    db = storage.connect(path)
    db.conn.execute("PRAGMA journal_mode = WAL")
    storage.migrations._set.apply(db, stop_before="0017_digest_figures")
    assert "submissions_digest" in {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master")}
    rng = random.Random(7)
    with storage.immediate(db):
        seed(db.conn, 400, rng)
        for sid, in db.conn.execute("SELECT id FROM submissions WHERE first_answered_at IS NOT NULL"
                                    " AND sensitive = 0 LIMIT 60").fetchall():
            db.conn.execute("INSERT INTO answers (submission_id, body, language, public_question, published, listed,"
                            " created_at, updated_at, published_at) VALUES (?, 'Answer', 'en', 'Q?', 1, ?, 'x', 'x', ?)",
                            [sid, sid % 3 != 0, f"2026-05-0{1 + sid % 3}T00:00:{sid % 60:02d}Z"])
    db.close()
    app = make_app(tmp_path, DATABASE=path)  # migrates on start
    from tests.fixtures_moderation import Staff, add_user
    add_user(app, "boss", "admin")
    admin = Staff(app, "boss")
    admin.sign_in()
    url = "/moderation/digest?district=Quetta&lang=en&from=2026-05-01&to=2026-05-02"

    def page():
        html = admin.get(url).get_data(as_text=True)
        return re.sub(r'name="csrf_token" value="[^"]*"', "", html)

    with app.app_context():
        db = storage.get_db()
        assert not kept_digest.complete(db)
        assert "submissions_digest" not in {r[0] for r in db.conn.execute("SELECT name FROM sqlite_master")}
    before = page()
    assert "Messages answered:" in before and "Answer" in before
    conn = storage.connect(path)
    elsewhere = [r[0] for r in conn.execute(f"SELECT id FROM submissions s WHERE {HEARD} = '2026-05-03'")]
    batches = []

    def meanwhile(upto, target):
        """The service writes meanwhile, outside the page's period: a new row, and changes to
        rows counted already and not yet."""
        batches.append(upto)
        near = [min(elsewhere, key=lambda i: abs(i - upto + 12)), min(elsewhere, key=lambda i: abs(i - upto - 12))]
        with storage.immediate(conn):
            conn.execute("INSERT INTO submissions (reference, kind, component, language, message, district, status,"
                         " message_hash, received_at, updated_at) VALUES (?, 'question', 'langar', 'ur', 'new one',"
                         " 'Quetta', 'new', 'h', '2026-05-05T00:00:00Z', '2026-05-05T00:00:00Z')", [f"N{upto}"])
            conn.execute("UPDATE submissions SET status = 'closed', topic_code = 'COM-PAY',"
                         " first_answered_at = NULL WHERE id IN (?, ?)", near)

    assert kept_digest.backfill(conn, batch=150, pause=0, report=meanwhile) == 400
    assert batches == [150, 300, 400]
    assert kept_digest.complete(conn) and kept_digest.backfill(conn) == 0, "safe to run again"
    conn.close()
    assert_right(path, "the migration and its backfill")
    storage.close_thread_connections()
    assert page() == before, "the page from the figures is the page counted from the rows"
    storage.close_thread_connections()
