"""The loop every backfill shares (feedback_api/storage/batches.py): each batch is its own
write transaction, so a submission arriving meanwhile is stored between two batches, not
after the whole backfill; the batch size grows while batches are quick and shrinks when they
hold the lock too long; work stops when the step says nothing is left, and a failed batch keeps
nothing of itself."""
from __future__ import annotations

import pytest

from feedback_api import storage
from feedback_api.storage import batches


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "b.sqlite3")
    storage.migrate(path)
    db = storage.connect(path)
    db.conn.execute("CREATE TABLE work (id INTEGER PRIMARY KEY, done INTEGER NOT NULL DEFAULT 0)")
    db.conn.executemany("INSERT INTO work (id) VALUES (?)", [(i,) for i in range(1, 1001)])
    db.conn.commit()
    yield db
    db.close()


def stepper(db, sizes):
    def step(size):
        sizes.append(size)
        low = db.conn.execute("SELECT COALESCE(max(id), 0) FROM work WHERE done = 1").fetchone()[0]
        if low >= 1000:
            return None
        high = min(1000, low + size)
        count = db.conn.execute("UPDATE work SET done = 1 WHERE id > ? AND id <= ?", (low, high)).rowcount
        return count, (high, 1000)
    return step


def test_each_batch_commits_on_its_own_so_a_writer_gets_in_between(db, tmp_path):
    other = storage.connect(db.path)
    seen = []

    def meanwhile(done, target):
        # Another connection takes the write lock at once: the batch is committed, not held.
        with storage.immediate(other, wait=0.5):
            other.conn.execute("UPDATE health_probe SET checked_at = ?", [str(done)])
        seen.append((done, target))

    sizes = []
    assert batches.run(db, stepper(db, sizes), 300, 300, fixed=True, pause=0, report=meanwhile) == 1000
    assert seen == [(300, 1000), (600, 1000), (900, 1000), (1000, 1000)]
    assert sizes == [300] * 5, "a fixed size stays; the fifth call finds nothing left"
    assert other.conn.execute("SELECT checked_at FROM health_probe").fetchone()[0] == "1000"
    other.close()


def test_quick_batches_grow_to_the_most_and_slow_ones_shrink(db):
    grown = []
    batches.run(db, stepper(db, grown), 10, 160, pause=0, budget=1e9)    # every batch "quick"
    assert grown[:6] == [10, 20, 40, 80, 160, 160]
    db.conn.execute("UPDATE work SET done = 0")
    db.conn.commit()
    shrunk = []
    batches.run(db, stepper(db, shrunk), 64, 640, pause=0, budget=0)     # every batch "slow"
    assert shrunk[:8] == [64, 32, 16, 8, 4, 2, 1, 1]


def test_a_failing_batch_keeps_nothing_and_the_next_run_resumes(db):
    def failing(size):
        db.conn.execute("UPDATE work SET done = 1 WHERE id <= 500")
        raise RuntimeError("disk trouble")

    with pytest.raises(RuntimeError):
        batches.run(db, failing, 500, 500, pause=0)
    assert db.conn.execute("SELECT count(*) FROM work WHERE done = 1").fetchone()[0] == 0
    assert batches.run(db, stepper(db, []), 400, 400, fixed=True, pause=0) == 1000
