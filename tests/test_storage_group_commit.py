"""Group commit of submissions (storage/db.py `grouped`, docs/dev/0001): real threads, each with
its own connection to a real SQLite file, the way gunicorn's threads store submissions.

A batch is made for certain by holding the writer's turn while the threads queue, then letting
go: the first of them to get the turn runs every queued submission in one transaction."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from feedback_api import references, storage
from feedback_api.storage import db as dbmod


def _row(message: str, **extra) -> dict:
    return {"kind": "question", "component": "kafalat", "language": "ur", "message": message,
            "message_hash": message, **extra}


def _insert(path: str, row: dict, contact: dict | None = None, db=None):
    """Store `row` through a connection of its own (or `db`, this thread's, opened earlier)."""
    own = db is None
    db = storage.connect(path) if own else db
    try:
        return storage.insert_submission(db, row, contact, storage.ago(600), references.new_reference)
    finally:
        if own:
            db.close()


def _commits(path: str) -> list[str]:
    """Every COMMIT any connection to `path` runs from now on (a trace callback on each)."""
    seen: list[str] = []
    original = storage.connect

    def connect(*args, **kwargs):
        db = original(*args, **kwargs)
        db.conn.set_trace_callback(lambda sql: seen.append(sql) if sql.strip().upper() == "COMMIT" else None)
        return db
    return seen, connect


def _run_as_one_batch(path: str, jobs: list) -> list:
    """Run each job (no arguments) in its own thread while the test holds the writer's turn;
    let go once all have queued. Returns each job's result, or the exception it raised."""
    holder = storage.connect(path)
    queue = dbmod.writer_queue(holder.path)
    outcomes: list = [None] * len(jobs)

    def run(i):
        try:
            outcomes[i] = jobs[i]()
        except Exception as exc:  # noqa: BLE001 (the test looks at it)
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    with storage.immediate(holder):
        for thread in threads:
            thread.start()
        for _ in range(20_000):            # until every job waits in the queue (not a timing test)
            with queue.cond:
                if len(queue.pending) == len(jobs):
                    break
            time.sleep(0.001)
        else:
            pytest.fail("the jobs never all queued")
    for thread in threads:
        thread.join(60)
    holder.close()
    return outcomes


def _count(path: str, where: str = "1") -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(f"SELECT count(*) FROM submissions WHERE {where}").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def database(tmp_path):
    path = str(tmp_path / "group.sqlite3")
    storage.migrate(path)
    return path


def test_concurrent_submissions_are_all_stored_each_with_its_own_reference(database):
    per_thread, threads = 25, 8
    answers: dict[str, str] = {}
    lock = threading.Lock()

    def submit(t):
        db = storage.connect(database)
        for i in range(per_thread):
            message = f"سوال {t}-{i}: قسط کب ملے گی؟"
            reference, created = storage.insert_submission(db, _row(message), None, storage.ago(600),
                                                           references.new_reference)
            assert created
            with lock:
                answers[reference] = message
        db.close()

    workers = [threading.Thread(target=submit, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert len(answers) == per_thread * threads                       # distinct references
    conn = sqlite3.connect(database)
    stored = dict(conn.execute("SELECT reference, message FROM submissions").fetchall())
    conn.close()
    assert stored == answers        # each reference names the message its sender sent


def test_a_batch_commits_once_and_every_submission_is_stored(database, monkeypatch):
    commits, counting_connect = _commits(database)
    monkeypatch.setattr(storage, "connect", counting_connect)
    outcomes = _run_as_one_batch(database, [
        (lambda i=i: _insert(database, _row(f"message {i}"), {"name": "N", "contact": f"0300 000000{i}"}))
        for i in range(6)])
    assert all(created for _reference, created in outcomes)
    assert len({reference for reference, _created in outcomes}) == 6
    assert _count(database) == 6
    conn = sqlite3.connect(database)
    assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 6
    conn.close()
    assert len(commits) == 1 + 1     # the holder's transaction, then the six in one


def test_a_failing_submission_does_not_lose_the_others_of_its_batch(database):
    jobs = [(lambda i=i: _insert(database, _row(f"good {i}"))) for i in range(5)]
    # Its submission row goes in, then its contact breaks a CHECK: the row must go too.
    jobs.insert(2, lambda: _insert(database, _row("breaks a CHECK"), {"name": "N", "consent_to_contact": 5}))
    outcomes = _run_as_one_batch(database, jobs)
    assert isinstance(outcomes[2], sqlite3.IntegrityError)
    good = [o for i, o in enumerate(outcomes) if i != 2]
    assert all(isinstance(o, tuple) and o[1] for o in good)
    assert _count(database) == 5
    assert _count(database, "message = 'breaks a CHECK'") == 0
    for reference, _created in good:                          # each stored under its reference
        assert _count(database, f"reference = '{reference}'") == 1


def test_two_identical_resends_in_one_batch_are_stored_once(database):
    resend = _row("the same form sent twice", resubmit_hash="a" * 32)
    outcomes = _run_as_one_batch(database, [lambda: _insert(database, dict(resend)),
                                            lambda: _insert(database, dict(resend)),
                                            lambda: _insert(database, _row("someone else"))])
    (first, first_created), (second, second_created), (_other, other_created) = outcomes
    assert first == second                                   # the same reference twice
    assert sorted([first_created, second_created]) == [False, True] and other_created
    assert _count(database, "resubmit_hash = '" + "a" * 32 + "'") == 1
    assert _count(database) == 2


def test_a_full_disk_fails_every_submission_of_the_batch_and_stores_none(small_disk):
    disk = small_disk(size="8m")
    path = str(disk.path / "full.sqlite3")
    storage.migrate(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # the batch's commit must grow the WAL
    conn.close()
    before = _count(path)
    jobs, opened, filled = 5, threading.Barrier(5 + 1), threading.Event()

    def job(i):
        db = storage.connect(path)   # opened and used before the disk fills, as a service's are
        db.execute("SELECT count(*) FROM submissions").fetchone()
        opened.wait(60)
        filled.wait(60)
        try:
            return _insert(path, _row(f"on a full disk {i} " + "ک" * 2500), db=db)
        finally:
            db.close()

    outcomes: list = []
    batch = threading.Thread(target=lambda: outcomes.extend(
        _run_as_one_batch(path, [(lambda i=i: job(i)) for i in range(jobs)])))
    batch.start()
    opened.wait(60)
    disk.fill()
    filled.set()
    batch.join(120)
    disk.free()
    assert len(outcomes) == jobs
    assert all(isinstance(o, storage.StorageError) and not isinstance(o, storage.StorageBusy)
               for o in outcomes), outcomes
    assert _count(path) == before                              # nothing of the batch kept
    assert _insert(path, _row("after the disk was freed"))[1]  # and writes work again
    assert _count(path) == before + 1
    assert storage.integrity(path) == "ok"


def test_a_submission_that_waits_past_its_deadline_gets_busy_and_is_never_stored(database):
    holder = storage.connect(database)
    waiter = storage.connect(database, write_wait=0.2)
    with storage.immediate(holder):
        with pytest.raises(storage.StorageBusy):
            storage.insert_submission(waiter, _row("gave up"), None, storage.ago(600), references.new_reference)
    assert _insert(database, _row("the next one"))[1]          # the queue is not left stuck
    assert _count(database, "message = 'gave up'") == 0
    holder.close()
    waiter.close()
