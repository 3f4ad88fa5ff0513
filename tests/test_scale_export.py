"""The export streams what was stored: free text masked when it was written (storage/masks.py),
read back rather than masked again; the same file as before, numbers masked and formulas
neutralised, whether the masks were written with the row, by the backfill of an older
database, or (before the backfill is done) as the export reads."""
from __future__ import annotations

import csv
import io
import re

from feedback_api import storage, text
from feedback_api.storage import masks, moderation as sm

PHONE = "0300-1234567"
CNIC = "35202-1234567-1"


def exported(client, query: str = "status=all") -> list[dict]:
    body = client.get(f"/moderation/export.csv?{query}").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_export_reads_masks_written_with_each_row(mod_app, admin, submit, mod_rows):
    ref = submit(f"My number is {PHONE}, CNIC {CNIC}", district="Quetta")
    formula = submit("=HYPERLINK(\"http://evil\")")
    plain = submit("When will the payment come?")
    admin.post(f"/moderation/submissions/{ref}/notes", {"body": f"Called back on {PHONE}"})
    admin.post(f"/moderation/submissions/{ref}/answer", {"body": f"We will call you on {PHONE}",
                                                         "language": "en", "action": "save"})
    stored = {r["reference"]: r for r in mod_rows("SELECT reference, message, message_masked FROM submissions")}
    assert stored[ref]["message_masked"] == text.mask_numbers(stored[ref]["message"]) != stored[ref]["message"]
    assert stored[plain]["message_masked"] is None, "nothing to mask: no copy"
    assert [r["body_masked"] for r in mod_rows("SELECT body_masked FROM notes")] == [
        text.mask_numbers(f"Called back on {PHONE}")]
    rows = {r["reference"]: r for r in exported(admin)}
    assert "1234567" not in rows[ref]["message"] + rows[ref]["notes"] + rows[ref]["answer"]
    assert "•" in rows[ref]["message"] and "•" in rows[ref]["notes"]
    assert rows[formula]["message"] == "'" + text.mask_numbers("=HYPERLINK(\"http://evil\")")
    assert rows[plain]["message"] == "When will the payment come?"
    assert rows[ref]["district"] == "Quetta"


def test_an_export_during_the_backfill_masks_as_it_reads(mod_app, admin, submit, mod_rows):
    """Rows written before the masks existed (here: their masks cleared and the progress set
    back, as the migration leaves an older database) are masked as read until the backfill
    reaches them, then read from their masks: the file is the same either way."""
    refs = [submit(f"Message {i} from {PHONE}" if i % 2 else f"Message {i}") for i in range(9)]
    before = exported(admin)
    with mod_app.app_context():
        db = storage.get_db()
        with storage.immediate(db):
            db.conn.execute("UPDATE submissions SET message_masked = NULL")
            db.conn.execute("UPDATE mask_progress SET done_to = 0, target = (SELECT max(id) FROM submissions)"
                            " WHERE tbl = 'submissions'")
        assert not masks.complete(db)
    during = exported(admin)
    assert during == before and all("1234567" not in r["message"] for r in during)
    with mod_app.app_context():
        db = storage.get_db()
        seen = []
        assert masks.backfill(db, batch=4, pause=0, report=lambda *step: seen.append(step)) == len(refs)
        assert seen == [("submissions", 4, 9), ("submissions", 8, 9), ("submissions", 9, 9)]
        assert masks.complete(db) and masks.backfill(db) == 0, "safe to run again"
    assert exported(admin) == before
    assert len([r for r in mod_rows("SELECT message_masked FROM submissions") if r["message_masked"]]) == 4


def test_the_export_walks_an_index_and_touches_no_cell_in_python(mod_app, admin, submit):
    for i in range(3):
        submit(f"Message {i}")
    with mod_app.app_context():
        db = storage.get_db()
        seen = []
        db.conn.set_trace_callback(seen.append)
        try:
            parts = sm.export_rows(db, {"status": "all"}, {"role": "admin"}, personal=True, neutral=True)
            names, *batches = list(parts)
        finally:
            db.conn.set_trace_callback(None)
        assert names[:2] == ["reference", "received_at"] and names[-3:] == ["name", "contact", "consent_to_contact"]
        assert all(type(row) is tuple for batch in batches for row in batch), "rows the csv module writes as they are"
        query = next(s for s in seen if "FROM submissions s" in s)
        plan = " | ".join(r["detail"] for r in db.conn.execute("EXPLAIN QUERY PLAN " + query))
        assert "TEMP B-TREE" not in plan and not re.search(r"SCAN s\b(?! USING)", plan), plan


def test_the_sql_that_neutralises_cells_agrees_with_the_rule_for_every_dangerous_start(mod_app):
    """SQLite neutralises the export's cells (storage/moderation._neutral) by the same rule as
    text.neutral_cell: every character of text.FORMULA_STARTS, and nothing else."""
    values = [start + "1+2" for start in text.FORMULA_STARTS] + [
        "plain", "a=b", "", "1-2", "[=x]", "'=x", "*x", "?x", "]x", "－", "\u00a0=x", "٣=x"]
    with mod_app.app_context():
        conn = storage.get_db().conn
        for value in values:
            got = conn.execute(f"SELECT {sm._neutral(':v')}", {"v": value}).fetchone()[0]
            assert got == text.neutral_cell(value), repr(value)
        assert conn.execute(f"SELECT {sm._neutral(':v')}", {"v": None}).fetchone()[0] is None


HOSTILE = ['He said "pay me" twice, "twice"', 'line one\nline two\r\nline three\rend', '""', '"',
           "=1+2", "+92 300 1234567", "-2", "@SUM(A1)", "\t=cmd", "\r=cmd", "\uff1d1", "a,b;c",
           "کفالت کی قسط کب ملے گی؟ میرا نمبر 0300-1234567 ہے", "abc\u202egpj.exe \u2066x\u2069",
           f"CNIC {CNIC}", "  spaces  ", "'quoted'", "%s %w %q %%", "٣٥٢٠٢-١٢٣٤٥٦٧-١"]


def test_the_csv_sqlite_writes_is_the_csv_module_s_byte_for_byte(mod_app, admin, submit):
    """SQLite writes each CSV line (storage/moderation.csv_line): the file is byte for byte what
    the csv module made of the same rows, for quotes, line breaks, formulas, bidi controls,
    Urdu, masked numbers, empty and missing cells, with and without personal data."""
    refs = [submit(f"Message {i}", name="N", contact="0300-1234567") for i in range(len(HOSTILE))]
    for i, ref in enumerate(refs):
        admin.post(f"/moderation/submissions/{ref}/notes", {"body": f"note {HOSTILE[i]}"})
        if i % 3:
            admin.post(f"/moderation/submissions/{ref}/answer",
                       {"body": f"answer {HOSTILE[-1 - i]}", "language": "ur", "action": "save"})
    with mod_app.app_context():
        db = storage.get_db()
        with storage.immediate(db):  # every cell hostile, as an import or an older version may leave it
            for i, ref in enumerate(refs):
                value, other = HOSTILE[i], HOSTILE[(i + 1) % len(HOSTILE)]
                db.conn.execute(
                    "UPDATE submissions SET message = :m, message_masked = :mm, district = :d,"
                    " district_masked = :dm, page = :p, topic_code = :t WHERE reference = :r",
                    {"m": value, "mm": masks.masked(value), "d": other if i % 4 else None,
                     "dm": masks.masked(other) if i % 4 else None, "p": other, "t": value if i % 2 else None,
                     "r": ref})
                db.conn.execute("UPDATE contacts SET name = :n, contact = :c WHERE submission_id ="
                                " (SELECT id FROM submissions WHERE reference = :r)",
                                {"n": other, "c": value if i % 5 else None, "r": ref})
    for personal in (False, True):
        with mod_app.app_context():
            parts = sm.export_rows(storage.get_db(), {"status": "all"}, {"role": "admin"}, personal, neutral=True)
            buffer = io.StringIO()
            writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            for i, part in enumerate(parts):
                writer.writerow(part) if i == 0 else writer.writerows(part)
        body = admin.get("/moderation/export.csv?status=all" + ("&personal=1" if personal else "")).get_data()
        assert body == ("\ufeff" + buffer.getvalue()).encode("utf-8")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff"))))
        assert len(rows) == 1 + len(refs) and "'=1+2" in [r[rows[0].index("message")] for r in rows]
