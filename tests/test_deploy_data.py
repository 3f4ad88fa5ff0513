"""Data safety, through the commands an operator (or the systemd timers in deploy/systemd/) runs:
an online backup taken while a real gunicorn is writing holds exactly the submissions of its
moment; a restore brings back all of them and nothing after; rotation keeps the newest N and
touches nothing else; retention erases old contact details (and address hashes), keeps every
submission and statistic, and writes each erasure to the audit log."""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from feedback_api import maintenance, storage
from tests.fixtures_deploy import flask_cli


def _rows(database, sql, params=()):
    conn = sqlite3.connect(database)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _references(database) -> set[str]:
    return {r for (r,) in _rows(database, "SELECT reference FROM submissions")}


def _writer(url, n, log, failures, stop):
    """Submit until stopped; log (sent_at, acked_at, reference) for every 201."""
    session = requests.Session()
    i = 0
    while not stop.is_set() and i < 5000:
        sent = time.monotonic()
        try:
            response = session.post(url + "/api/v1/submissions", timeout=30, json={
                "kind": "feedback", "component": "general", "language": "en", "message": f"writer {n} #{i}",
                "name": f"Person {n}-{i}", "contact": f"0300{n:03d}{i:04d}", "consent_to_contact": True})
        except requests.RequestException as exc:
            failures.append(repr(exc))
            return
        if response.status_code == 201:
            log.append((sent, time.monotonic(), response.json()["reference"]))
        else:
            failures.append((response.status_code, response.text[:200]))
        i += 1


def test_backup_during_writes_then_restore_brings_back_exactly_that_moment(gunicorn_server, tmp_path):
    server = gunicorn_server(env={"FEEDBACK_RATELIMIT_ENABLED": "false", "FEEDBACK_THREADS": "4"})
    env = {"FEEDBACK_INSTANCE_PATH": str(server.instance), "FEEDBACK_DATABASE": str(server.database),
           "FEEDBACK_BACKUP_DIR": str(tmp_path / "backups"), "FEEDBACK_BACKUP_KEEP": "3"}
    log, failures, stop = [], [], threading.Event()
    writers = [threading.Thread(target=_writer, args=(server.url, n, log, failures, stop)) for n in range(4)]
    [w.start() for w in writers]
    try:
        deadline = time.monotonic() + 20
        while len(log) < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        began = time.monotonic()
        done = flask_cli(["backup-rotate"], env)     # as the systemd timer runs it, mid-stream
        ended = time.monotonic()
        time.sleep(0.5)                               # more writes after the backup
    finally:
        stop.set()
        [w.join(timeout=30) for w in writers]
    assert done.returncode == 0, done.stderr
    assert not failures, failures[:3]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    backup = Path(result["path"])
    assert result["integrity"] == "ok" and backup.parent == tmp_path / "backups"
    assert oct(backup.stat().st_mode & 0o777) == "0o600"       # personal data inside

    in_backup = _references(backup)
    acked_before = {ref for sent, acked, ref in log if acked < began}
    sent_after = {ref for sent, acked, ref in log if sent > ended}
    assert len(acked_before) >= 200 and len(sent_after) > 0
    assert acked_before <= in_backup                  # everything acknowledged before it began
    assert not (sent_after & in_backup)               # nothing sent after it finished
    assert in_backup <= {ref for *_t, ref in log}     # and nothing that was never acknowledged
    assert len(in_backup) == result["submissions"]
    everything = _references(server.database)
    assert everything == {ref for *_t, ref in log} and everything > in_backup

    # Restore (service stopped, as deploy/README.md says), then start it again.
    server.stop()
    done = flask_cli(["restore", str(backup)], env, input="y\n")
    assert done.returncode == 0, done.stderr
    restored = json.loads(done.stdout[done.stdout.index('{"path"'):])   # after the confirmation prompt
    assert _references(server.database) == in_backup
    assert storage.integrity(str(server.database)) == "ok"
    assert _rows(server.database, "PRAGMA journal_mode")[0][0] == "wal"
    # Contact details came back with their submissions.
    assert _rows(server.database, "SELECT count(*) FROM contacts")[0][0] == len(in_backup)
    # The database it replaced is kept, complete, in case the restore was a mistake.
    assert _references(restored["previous_saved_as"]) == everything
    audit = _rows(server.database, "SELECT detail FROM audit_log WHERE action = 'restore'")
    assert len(audit) == 1 and json.loads(audit[0][0])["from"] == backup.name

    server.start()
    a_restored = next(iter(in_backup))
    a_lost = next(iter(everything - in_backup))
    assert requests.get(f"{server.url}/api/v1/submissions/{a_restored}", timeout=10).status_code == 200
    assert requests.get(f"{server.url}/api/v1/submissions/{a_lost}", timeout=10).status_code == 404
    after = requests.post(server.url + "/api/v1/submissions", json={"message": "after the restore"}, timeout=10)
    assert after.status_code == 201


def test_restore_refuses_a_bad_file_and_changes_nothing(make_service_app, tmp_path):
    app = make_service_app()
    env = {"FEEDBACK_INSTANCE_PATH": app.instance_path, "FEEDBACK_DATABASE": app.config["DATABASE"]}
    client = app.test_client()
    assert client.post("/api/v1/submissions", json={"message": "kept"}).status_code == 201
    before = _references(app.config["DATABASE"])

    not_sqlite = tmp_path / "notes.sqlite3"
    not_sqlite.write_text("these are not the droids\n" * 100)
    foreign = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    newer = tmp_path / "newer.sqlite3"
    storage.backup(app.config["DATABASE"], str(newer))
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    for bad, says in ((not_sqlite, "not a usable SQLite database"), (foreign, "not a feedback database"),
                      (newer, "schema version 999")):
        done = flask_cli(["restore", "--yes", str(bad)], env)
        assert done.returncode != 0 and says in done.stderr, (bad, done.stderr)
        assert "Traceback" not in done.stderr
    # Without --yes and without a "y", nothing happens either.
    good = tmp_path / "good.sqlite3"
    storage.backup(app.config["DATABASE"], str(good))
    done = flask_cli(["restore", str(good)], env, input="n\n")
    assert done.returncode != 0 and "Aborted" in done.stderr
    assert _references(app.config["DATABASE"]) == before
    assert not _rows(app.config["DATABASE"], "SELECT 1 FROM audit_log WHERE action = 'restore'")


def test_rotation_keeps_the_newest_n_and_nothing_else_is_touched(make_service_app, tmp_path):
    app = make_service_app()
    directory = tmp_path / "backups"
    directory.mkdir()
    foreign = [directory / "README.txt", directory / "feedback-manual.sqlite3",
               directory / "pre-restore-20260101T000000Z.sqlite3"]
    for path in foreign:
        path.write_text("an operator's own file")
    # Older backups from earlier days (names carry their UTC time).
    for day in ("20261101", "20261102", "20261103", "20261104"):
        storage.backup(app.config["DATABASE"], str(directory / f"feedback-{day}T020000Z.sqlite3"))
    runner = app.test_cli_runner()
    made = []
    for _ in range(2):
        result = runner.invoke(args=["backup-rotate", "--dir", str(directory), "--keep", "3"])
        assert result.exit_code == 0, result.output
        made.append(Path(json.loads(result.output)["path"]).name)
    kept = [p.name for p in maintenance.backups(directory)]
    assert kept == ["feedback-20261104T020000Z.sqlite3", *made]
    assert all(p.exists() for p in foreign)
    assert all(storage.integrity(str(directory / name)) == "ok" for name in kept)

    # A failed backup (the database is damaged) deletes no older backup.
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    app.config["DATABASE"] = str(broken)
    result = runner.invoke(args=["backup-rotate", "--dir", str(directory), "--keep", "1"])
    assert result.exit_code != 0 and "failed, no older backup was deleted" in result.output
    assert [p.name for p in maintenance.backups(directory)] == kept
    assert not list(directory.glob("*.partial"))

    bad_keep = runner.invoke(args=["backup-rotate", "--dir", str(directory), "--keep", "0"])
    assert bad_keep.exit_code != 0 and "at least 1" in bad_keep.output


def _age(database, reference, days):
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - days * 86400))
    conn = sqlite3.connect(database)
    with conn:
        conn.execute("UPDATE submissions SET received_at = ? WHERE reference = ?", [stamp, reference])
    conn.close()


def test_retention_erases_old_contacts_keeps_submissions_and_audits(make_service_app):
    app = make_service_app(RETENTION_DAYS=30)
    client = app.test_client()
    database = app.config["DATABASE"]
    made = {}
    for label, days, kind in (("old1", 400, "complaint"), ("old2", 31, "question"), ("old3", 45, "question"),
                              ("new1", 29, "complaint"), ("new2", 0, "suggestion")):
        response = client.post("/api/v1/submissions", json={
            "kind": kind, "message": f"message {label}", "name": f"Name {label}",
            "contact": f"0300-{label}", "consent_to_contact": True},
            environ_base={"REMOTE_ADDR": f"10.0.0.{len(made) + 1}"})
        assert response.status_code == 201
        made[label] = response.get_json()["reference"]
        _age(database, made[label], days)
    old_without_contact = client.post("/api/v1/submissions", json={"message": "anonymous, old"}).get_json()["reference"]
    _age(database, old_without_contact, 500)
    assert client.post("/api/v1/ratings", json={"page": "/", "language": "en", "helpful": True}).status_code == 201
    conn = sqlite3.connect(database)
    with conn:
        conn.execute("UPDATE ratings SET created_at = '2020-01-01T00:00:00Z'")
    conn.close()
    kinds_before = _rows(database, "SELECT kind, count(*) FROM submissions GROUP BY kind ORDER BY kind")
    subs_before = _rows(database, "SELECT reference, message, kind, status, received_at FROM submissions ORDER BY id")

    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["would_remove"] == {"contacts": 3, "submission_client_hashes": 4,
                                                       "rating_client_hashes": 1}
    assert _rows(database, "SELECT count(*) FROM contacts")[0][0] == 5        # a dry run changes nothing

    result = runner.invoke(args=["retention"])                  # FEEDBACK_RETENTION_DAYS=30
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["contacts_erased"] == 3 and report["days"] == 30
    assert report["client_hashes_cleared"] == {"submissions": 4, "ratings": 1}

    left = dict(_rows(database, "SELECT s.reference, c.name FROM contacts c JOIN submissions s ON s.id = c.submission_id"))
    assert left == {made["new1"]: "Name new1", made["new2"]: "Name new2"}
    # Every submission is still there, unchanged, and so is every statistic.
    assert _rows(database, "SELECT reference, message, kind, status, received_at FROM submissions ORDER BY id") == subs_before
    assert _rows(database, "SELECT kind, count(*) FROM submissions GROUP BY kind ORDER BY kind") == kinds_before
    assert _rows(database, "SELECT count(*) FROM ratings")[0][0] == 1
    hashes = dict(_rows(database, "SELECT reference, client_hash FROM submissions"))
    assert all(hashes[made[k]] is None for k in ("old1", "old2", "old3")) and hashes[old_without_contact] is None
    assert all(hashes[made[k]] for k in ("new1", "new2"))

    # One audit entry per erased contact, saying what was held, never the values.
    entries = _rows(database, "SELECT s.reference, l.before, l.after, l.detail, l.user_id FROM audit_log l"
                              " JOIN submissions s ON s.id = l.submission_id WHERE l.action = 'retention_erase_contact'")
    assert sorted(e[0] for e in entries) == sorted(made[k] for k in ("old1", "old2", "old3"))
    for reference, before, after, detail, user in entries:
        assert json.loads(before) == {"name": True, "contact": True, "consent_to_contact": True}
        assert after is None and user is None and "30 days" in detail
    everything_audited = " ".join(str(v) for row in _rows(database, "SELECT * FROM audit_log") for v in row)
    assert "Name old" not in everything_audited and "0300-old" not in everything_audited
    assert len(_rows(database, "SELECT 1 FROM audit_log WHERE action = 'retention_clear_client_hash'")) == 1

    # Run again: nothing more to do, no new audit entries.
    count = _rows(database, "SELECT count(*) FROM audit_log")[0][0]
    again = json.loads(runner.invoke(args=["retention"]).output)
    assert again["contacts_erased"] == 0 and again["client_hashes_cleared"] == {"submissions": 0, "ratings": 0}
    assert _rows(database, "SELECT count(*) FROM audit_log")[0][0] == count


@pytest.mark.parametrize("value", ["0", "-5", "soon"])
def test_retention_refuses_a_nonsense_number_of_days(make_service_app, value):
    app = make_service_app()
    result = app.test_cli_runner().invoke(args=["retention", "--days", value])
    assert result.exit_code != 0
    assert "at least 1" in result.output or "not a valid integer" in result.output
