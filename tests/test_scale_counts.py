"""The moderation figures kept as submissions change (feedback_api/storage/counts.py) always
equal a count over the rows themselves: through every kind of change a moderator, the public
API, bulk actions and retention make; and on a database made by the previous version, after
the migration and its batched backfill, while submissions keep arriving and changing."""
from __future__ import annotations

import re
import sqlite3

from feedback_api import storage, text
from feedback_api.storage import counts as storage_counts, masks, moderation as sm
from tests.fixtures_service import make_app

DIMS = {"all": "''", **{d: storage_counts._VALUE[d].format(r="s") for d in storage_counts.DIMENSIONS}}


def recount(conn) -> tuple[dict, dict]:
    """The figures as a full count over submissions would give them."""
    counts = {}
    for dim, value in DIMS.items():
        for row in conn.execute(f"SELECT {value}, sensitive, date(received_at, '-6 days', 'weekday 1'), status, count(*)"
                                " FROM submissions s GROUP BY 1, 2, 3, 4"):
            key = (dim, row[0].casefold(), *row[1:4])
            counts[key] = counts.get(key, 0) + row[4]
    hours = dict(((r[0], r[1], r[2]), r[3]) for r in conn.execute(
        f"SELECT date(received_at, '-6 days', 'weekday 1'), sensitive, {storage_counts._BUCKET.format(r='s')}, count(*)"
        " FROM submissions s WHERE first_answered_at IS NOT NULL AND status != 'spam' GROUP BY 1, 2, 3"))
    return counts, hours


def kept(conn) -> tuple[dict, dict]:
    counts = {(r[0], r[1].casefold(), *r[2:5]): r[5] for r in conn.execute(
        "SELECT dim, value, sensitive, week, status, n FROM submission_counts WHERE n != 0")}
    hours = {(r[0], r[1], r[2]): r[3] for r in conn.execute(
        "SELECT week, sensitive, bucket, n FROM answer_hours WHERE n != 0")}
    return counts, hours


def assert_right(path: str, step: str) -> None:
    conn = sqlite3.connect(path)
    try:
        assert kept(conn) == recount(conn), f"figures wrong after: {step}"
    finally:
        conn.close()


def test_counts_stay_right_through_every_kind_of_change(mod_app, admin, moderator, submit, mod_rows):
    path = mod_app.config["DATABASE"]
    a = submit("When will the Kafalat payment come?", component="kafalat", district="Quetta")
    b = submit("میری قسط نہیں آئی", language="ur", kind="complaint", district="quetta")
    c = submit("Buy cheap watches")
    d = submit("The agent took a bribe from us")  # flagged sensitive on arrival
    admin.post("/moderation/intake", {"channel": "helpline", "gathered_on": "2026-01-10", "district": "Multan",
                                      "kind": "suggestion", "component": "amdan", "language": "ur",
                                      "message": "تجویز"})
    assert_right(path, "submissions arriving (web, sensitive, offline)")
    steps = [
        ("status", lambda: moderator.post(f"/moderation/submissions/{a}/status", {"status": "in_review"})),
        ("coding", lambda: moderator.post(f"/moderation/submissions/{a}/coding",
                                          {"kind": "complaint", "topic_code": "COM-PAY"})),
        ("answer published", lambda: admin.post(f"/moderation/submissions/{a}/answer",
                                                {"body": "Soon", "language": "en", "action": "publish"})),
        ("spam (bulk)", lambda: moderator.post("/moderation/bulk", {"action": "spam", "ids": [
            mod_rows("SELECT id FROM submissions WHERE reference = ?", [c])[0]["id"]]})),
        ("flagged sensitive", lambda: moderator.post(f"/moderation/submissions/{a}/sensitive",
                                                     {"sensitive": "1", "reason": "fraud"})),
        ("sensitive cleared", lambda: admin.post(f"/moderation/submissions/{a}/sensitive", {"sensitive": "0"})),
        ("duplicate", lambda: moderator.post(f"/moderation/submissions/{b}/duplicate", {"duplicate_of": a})),
        ("duplicate cleared", lambda: moderator.post(f"/moderation/submissions/{b}/duplicate", {"duplicate_of": ""})),
        ("closed (bulk, all matching)", lambda: moderator.post("/moderation/bulk", {
            "action": "close", "scope": "all", "next": "/moderation/?language=ur"})),
        ("sensitive case closed by an admin", lambda: admin.post(f"/moderation/submissions/{d}/status",
                                                                 {"status": "closed"})),
    ]
    for name, action in steps:
        assert action().status_code in (303, 302), name
        assert_right(path, name)
    with mod_app.app_context():
        db = storage.get_db()
        assert storage.erase_old_contacts(db, "2999-01-01T00:00:00Z", "test") >= 0
        storage.clear_old_client_hashes(db, "2999-01-01T00:00:00Z", "test")
        assert_right(path, "retention: contacts erased, client hashes cleared")
        # a change that fails rolls its figures back with it
        try:
            with storage.immediate(db):
                db.conn.execute("UPDATE submissions SET status = 'answered'")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        assert_right(path, "a rolled-back change")
        # what the pages show comes from those figures
        counts, capped = sm.status_counts(db, {"status": "open"}, {"role": "moderator"})
        assert not capped and counts["all"] == mod_rows("SELECT count(*) AS n FROM submissions WHERE sensitive = 0")[0]["n"]
        counts, _ = sm.status_counts(db, {"district": "QUETTA"}, {"role": "moderator"})
        assert counts["all"] == 2, "district counted as the filter compares it, whatever the case"
    html = moderator.get("/moderation/?status=all").get_data(as_text=True)
    assert re.search(r'aria-current="page">All <span class="count">4</span>', html)


def test_counts_capped_where_not_kept(mod_app, moderator, submit, monkeypatch):
    """Two filters at once, or a search: counted among the newest rows, shown as "n+" past the cap."""
    for i in range(5):
        submit(f"Payment question {i}", component="kafalat", district="Quetta")
    submit("Payment question elsewhere", component="kafalat", district="Multan")
    html = moderator.get("/moderation/?component=kafalat&district=quetta").get_data(as_text=True)
    assert re.search(r'aria-current="page">Open <span class="count">5</span>', html)
    monkeypatch.setattr(sm, "COUNT_CAP", 3)
    html = moderator.get("/moderation/?q=payment").get_data(as_text=True)
    assert re.search(r'aria-current="page">Open <span class="count">3\+</span>', html)
    assert "Apply to all 3+ matching this view" in html


def old_database(path: str, rows: int) -> None:
    """A database as the previous version made it (migrations up to 0006) with `rows`
    submissions in it, some answered."""
    db = storage.connect(path)
    db.conn.execute("PRAGMA journal_mode = WAL")
    storage.migrations._set.apply(db, stop_before="0008_moderation_scale")
    conn = db.conn
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO submissions (reference, kind, component, language, message, district, channel, status,"
        " sensitive, message_hash, received_at, updated_at, first_answered_at) VALUES"
        " (?, 'question', ?, ?, ?, ?, 'web', ?, ?, 'h', ?, ?, ?)",
        [(f"R{i}", ("kafalat", "langar", "amdan")[i % 3], ("ur", "en")[i % 2],
          f"message {i}" + (" call 0300-1234567" if i % 5 == 0 else ""),
          (None, "Quetta", "quetta", "Multan")[i % 4], ("new", "answered", "spam", "closed")[i % 4], int(i % 17 == 0),
          f"2026-0{1 + i % 9}-1{i % 10}T0{i % 10}:00:00Z", "2026-01-01T00:00:00Z",
          f"2026-0{1 + i % 9}-1{i % 10}T1{i % 10}:30:00Z" if i % 4 == 1 else None) for i in range(rows)])
    conn.execute("INSERT INTO notes (submission_id, body, created_at) VALUES (1, 'rang 0301-7654321', 'x')")
    conn.execute("INSERT INTO answers (submission_id, body, language, created_at, updated_at)"
                 " VALUES (2, 'call 042-111-222-333 or 0300 1234567', 'en', 'x', 'x')")
    conn.execute("COMMIT")
    db.close()


def test_migration_on_a_database_made_by_the_previous_version(tmp_path):
    path = str(tmp_path / "old.sqlite3")
    old_database(path, 500)
    assert storage.pending(path)[0] == "0008_moderation_scale"
    assert storage.migrate(path)[0] == "0008_moderation_scale"
    db = storage.connect(path)
    assert storage_counts.progress(db) == (0, 500) and not storage_counts.complete(db)
    # While the backfill runs, the service keeps writing: new rows, and changes to rows counted
    # already and not yet. None may be counted twice or lost.
    batches = []

    def meanwhile(upto, target):
        batches.append(upto)
        with storage.immediate(db):
            db.conn.execute("INSERT INTO submissions (reference, kind, component, language, message, status,"
                            " message_hash, received_at, updated_at) VALUES (?, 'question', 'langar', 'ur',"
                            " 'new one', 'new', 'h', '2026-09-01T00:00:00Z', '2026-09-01T00:00:00Z')",
                            [f"N{upto}"])
            db.conn.execute("UPDATE submissions SET status = 'closed' WHERE id IN (?, ?)", [upto - 10, upto + 10])
            db.conn.execute("UPDATE submissions SET sensitive = 1 WHERE id = ?", [upto + 50])

    assert storage_counts.backfill(db, batch=120, pause=0, report=meanwhile) == 500
    assert batches == [120, 240, 360, 480, 500], "in batches, each its own transaction"
    assert storage_counts.complete(db) and storage_counts.backfill(db) == 0, "safe to run again"
    # The export masks: until the backfill has masked the older rows, the export masks as it reads.
    assert not masks.complete(db)
    assert masks.backfill(db, batch=200, pause=0) == 500 + 1 + 1  # submissions, the note, the answer
    assert masks.complete(db) and masks.backfill(db) == 0
    for table, columns in masks.COLUMNS.items():
        for row in db.conn.execute(f"SELECT * FROM {table}"):
            for column in columns:
                shown = row[f"{column}_masked"] or row[column]
                assert shown == text.mask_numbers(row[column]), (table, column, row[column])
    assert db.conn.execute("SELECT count(*) FROM submissions WHERE message_masked IS NOT NULL").fetchone()[0] == 100
    db.close()
    assert_right(path, "the migration and its backfill")


def test_init_db_counts_an_old_database_and_pages_read_right_meanwhile(tmp_path):
    old_database(str(tmp_path / "feedback.sqlite3"), 50)
    app = make_app(tmp_path, DATABASE=str(tmp_path / "feedback.sqlite3"))  # migrates on start
    with app.app_context():
        db = storage.get_db()
        assert not storage_counts.complete(db)
        # until the backfill is done, the queue counts rows (capped) rather than trust the figures
        counts, capped = sm.status_counts(db, {"status": "open"}, {"role": "moderator"})
        assert not capped and counts["all"] == 47
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0 and "counted 50 earlier submissions" in result.output
    with app.app_context():
        db = storage.connect(app.config["DATABASE"])
        assert storage_counts.complete(db)
        db.close()
    storage.close_thread_connections()
    assert_right(app.config["DATABASE"], "init-db on an old database")
