"""Owns connections to the SQLite database and the order of its writers.

Rules this module keeps (docs/dev/ has the decision record):
- One persistent connection per thread (and per process: a forked worker opens its own).
  Opening and closing per request checkpoints the WAL each time and is several times slower.
- WAL, foreign keys on, a busy timeout of at least 10 s, synchronous from config (FULL by
  default: an acknowledged submission survives a power cut, not only a crash).
- A write that reads first runs in BEGIN IMMEDIATE (`immediate(db)`): a deferred BEGIN fails
  with SQLITE_BUSY_SNAPSHOT under concurrent writers, which no busy timeout retries. Writers
  queue first (a thread lock, then an flock shared by the workers): SQLite's busy handler
  sleeps up to 100 ms between tries, which was the whole p99 under load.
- Submissions commit in groups (`grouped(db, work)`): while one thread has the turn, the others'
  writes queue; the next to get it runs them all in one transaction, a savepoint each, and one
  COMMIT (one fsync) answers them all. Each is told its own result or exception; a storage fault
  fails them all, and nothing of them is kept.
- A request never waits more than SQLITE_WRITE_WAIT_SECONDS (4) for its turn and the lock:
  another process holding the lock (sqlite3 at a prompt, a stuck job) gets the submitter a 503
  "try again" (`StorageBusy`) within the 5 s people wait, and frees the thread for /livez.
- A disk that is full, read-only or failing gets a 503 "nothing was saved" (`StorageError`),
  never a dead worker; the connections are then reopened (a connection opened while the disk
  was read-only stays read-only for good), so the service works again by itself once the disk
  does: `fault()` names these errors, `note_fault()` ages every thread's connection.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

from flask import current_app
from sqlite_utils import Database

_local = threading.local()
# A checkpoint (copying the WAL's pages into the database file, and syncing it) runs inside the
# COMMIT that takes the WAL past this many pages, while that writer holds the turn. At a
# million rows a submission writes some 25 pages scattered over a 1 GB file, and SQLite's
# default of 1,000 made a checkpoint every few dozen submissions: most of an insert's time
# there. At 10,000 (40 MB of WAL) it runs a tenth as often, and a page written many times in
# between (index roots, the newest leaves, the figures) is copied once (docs/dev/0001).
WAL_AUTOCHECKPOINT_PAGES = 10_000


def now() -> str:
    """UTC time as ISO 8601 with a Z, to the second: sorts and compares as text."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: int) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dicts(cursor) -> list[dict]:
    """A cursor's rows as plain dicts (for templates, JSON and callers that add keys)."""
    return [dict(row) for row in cursor.fetchall()]


def one(cursor) -> dict | None:
    rows = dicts(cursor)
    return rows[0] if rows else None


# ---------------------------------------------------------------- storage faults

class StorageError(Exception):
    """The database cannot be written just now (disk full, read-only, failing): nothing was
    saved. `code` and `retry_after` are what the submitter is told (errors.py)."""
    code = "storage_unavailable"
    retry_after = 60


class StorageBusy(StorageError):
    """Another writer held the database's write lock longer than a request may wait."""
    code = "storage_busy"
    retry_after = 5


# SQLite's primary result codes for "busy" and for "this storage cannot be written now".
_BUSY_CODES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_UNWRITABLE_CODES = {sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR,
                     sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN}
_UNWRITABLE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EIO, errno.EACCES, errno.EPERM, errno.EDQUOT}


def fault(exc: BaseException) -> StorageError | None:
    """The StorageError an exception stands for, or None when it is not a storage fault."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sqlite3.OperationalError):
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code in _BUSY_CODES:
            return StorageBusy(str(exc))
        if code in _UNWRITABLE_CODES:
            return StorageError(str(exc))
    if isinstance(exc, OSError) and exc.errno in _UNWRITABLE_ERRNOS:
        return StorageError(str(exc))
    return None


# Every connection carries the epoch it was opened in; get_db() reopens older ones. The epoch
# moves when storage faults and again when a write works after a fault, so a connection opened
# while the disk was read-only is not kept once it is writable.
_epoch = 0
_faulted = False
_epoch_lock = threading.Lock()


def note_fault() -> None:
    """Storage failed (not merely busy): every thread of this process reopens its connection."""
    global _epoch, _faulted
    with _epoch_lock:
        _epoch += 1
        _faulted = True


def _note_success() -> None:
    global _epoch, _faulted
    if _faulted:
        with _epoch_lock:
            if _faulted:
                _faulted = False
                _epoch += 1


# ---------------------------------------------------------------- connections

def connect(path: str, synchronous: str = "FULL", busy_timeout: float = 15,
            write_wait: float | None = None) -> Database:
    """A new connection with our pragmas; rows are mappings. The caller owns it (one thread only).
    A write waits at most `write_wait` seconds for the lock (default: the busy timeout). SQL in
    this package binds named parameters (`:name` with a dict), never by position."""
    if str(synchronous).upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")
    if not Path(path).parent.is_dir():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=float(busy_timeout))
    conn.row_factory = sqlite3.Row   # rows read by column name (row["reference"]), not position
    db = Database(conn, execute_plugins=False)
    db.path = os.path.abspath(path)  # names this database's in-process write lock
    db.write_wait = float(busy_timeout if write_wait is None else write_wait)
    db.epoch = _epoch
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {str(synchronous).upper()}")
    conn.execute(f"PRAGMA busy_timeout = {int(float(busy_timeout) * 1000)}")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
    return db


def get_db() -> Database:
    """This thread's connection to the app's database, opened on first use and kept (reopened
    after a storage fault)."""
    cfg = current_app.config
    key = (os.getpid(), cfg["DATABASE"])
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    db = cache.get(key)
    if db is None or db.epoch != _epoch:
        if db is not None:
            cache.pop(key)
            with contextlib.suppress(sqlite3.Error):
                db.close()
        try:
            db = connect(cfg["DATABASE"], cfg["SQLITE_SYNCHRONOUS"], cfg["SQLITE_BUSY_TIMEOUT_SECONDS"],
                         cfg["SQLITE_WRITE_WAIT_SECONDS"])
        except (sqlite3.OperationalError, OSError) as exc:
            problem = fault(exc)
            if problem is None:
                raise
            note_fault()
            raise problem from exc
        cache[key] = db
    return db


def close_thread_connections() -> None:
    """Close this thread's connections (tests and CLI commands call it)."""
    for db in getattr(_local, "dbs", {}).values():
        db.close()
    _local.dbs = {}


class _WriterQueue:
    """Orders the writers of one database: threads of this process take turns (a condition
    variable), then processes (gunicorn workers) on an flock of <database>.write-lock.

    Why: SQLite's busy handler polls with sleeps of up to 100 ms, which put a 300 ms tail on
    p99 latency with 8 writing threads, and halved throughput with 2 worker processes. Both
    locks wake the next writer the moment the last one lets go. BEGIN IMMEDIATE and the busy
    timeout stay as the safety net for anything that writes without this queue (the CLI,
    sqlite3 by hand). A killed process's flock is released by the kernel.

    Writes sent through `grouped()` wait in `pending` while another thread has the turn; the
    next of them to get it runs them all in one transaction (docs/dev/0001)."""

    def __init__(self, path: str):
        self.path = path
        self.cond = threading.Condition(threading.Lock())
        self.busy = False                 # a thread of this process has the turn
        self.pending: list[_Grouped] = []  # grouped writes waiting for the next leader
        self.fd = None
        self.pid = None
        # Until when (time.monotonic()) a writer outside the queue is known to hold SQLite's
        # lock: writers then try only briefly, so a burst of requests is answered at once
        # rather than each holding a thread for the whole wait.
        self.held_elsewhere_until = 0.0

    def _wait_turn(self, deadline: float | None) -> None:
        """Take this process's turn (the caller holds `cond`), waiting until `deadline`."""
        while self.busy:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise StorageBusy("waited too long for this process's other writers")
            self.cond.wait(left)
        self.busy = True

    def _end_turn(self) -> None:
        with self.cond:
            self.busy = False
            self.cond.notify_all()   # the next writer, and grouped writers whose batch is done

    @contextlib.contextmanager
    def turn(self, deadline: float | None = None):
        """Wait for this writer's turn (until time.monotonic() `deadline`, else StorageBusy)."""
        with self.cond:
            self._wait_turn(deadline)
        try:
            with self._flocked(deadline):
                yield
        finally:
            self._end_turn()

    @contextlib.contextmanager
    def _flocked(self, deadline: float | None):
        if self.pid != os.getpid():  # first use, or first use after a fork
            self.fd = os.open(f"{self.path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
            self.pid = os.getpid()
        self._flock(deadline)
        try:
            yield
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)

    def _flock(self, deadline: float | None) -> None:
        if deadline is None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            return
        # flock cannot time out: poll, briefly (only other workers' writers hold it, and only
        # for one transaction each).
        pause = 0.0005
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StorageBusy("waited too long for the other workers' writers") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.005)


# How long a writer tries while the lock is known to be held outside the queue.
HELD_ELSEWHERE_WAIT_SECONDS = 0.25
_queues: dict[str, _WriterQueue] = {}
_queues_guard = threading.Lock()


def writer_queue(path: str) -> _WriterQueue:
    with _queues_guard:
        if path not in _queues:
            _queues[path] = _WriterQueue(path)
        return _queues[path]


def _deadline(queue: _WriterQueue, db: Database, wait: float | None) -> float:
    start = time.monotonic()
    deadline = start + (db.write_wait if wait is None else wait)
    if queue.held_elsewhere_until > start:
        deadline = min(deadline, start + HELD_ELSEWHERE_WAIT_SECONDS)
    return deadline


def _begin(queue: _WriterQueue, db: Database, deadline: float) -> None:
    """BEGIN IMMEDIATE, SQLite's busy handler given what is left of `deadline`."""
    left = max(1, int((deadline - time.monotonic()) * 1000))
    db.conn.execute(f"PRAGMA busy_timeout = {left}")
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if isinstance(fault(exc), StorageBusy):   # SQLite's lock, not our queue: held elsewhere
            queue.held_elsewhere_until = time.monotonic() + HELD_ELSEWHERE_WAIT_SECONDS * 8
        raise


def _rollback(db: Database) -> None:
    if db.conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):
            db.conn.execute("ROLLBACK")


def _storage_problem(exc: BaseException) -> StorageError | None:
    """The StorageError to raise for `exc` (noting a fault that is not mere busyness), or None."""
    problem = fault(exc) if isinstance(exc, (sqlite3.OperationalError, OSError, StorageError)) else None
    if problem is not None and not isinstance(problem, StorageBusy) and problem is not exc:
        note_fault()
    return problem


def _committed(queue: _WriterQueue) -> None:
    queue.held_elsewhere_until = 0.0
    _note_success()


@contextlib.contextmanager
def immediate(db: Database, wait: float | None = None):
    """A write transaction that takes the write lock before its first read, after waiting
    its turn in this database's writer queue: all in at most `wait` seconds (default the
    connection's write_wait), else StorageBusy. A disk that cannot be written raises
    StorageError; either way nothing of the transaction is kept."""
    queue = writer_queue(db.path)
    deadline = _deadline(queue, db, wait)
    try:
        with queue.turn(deadline):
            _begin(queue, db, deadline)
            try:
                yield db
                db.conn.execute("COMMIT")
            except BaseException:
                _rollback(db)
                raise
    except (sqlite3.OperationalError, OSError) as exc:
        problem = _storage_problem(exc)
        if problem is None:
            raise
        raise problem from exc
    _committed(queue)


# ---------------------------------------------------------------- group commit

class _Grouped:
    """One write waiting in a queue's `pending`: its work, its deadline and, once its batch has
    run, its result or exception."""
    __slots__ = ("work", "deadline", "after", "done", "result", "error")

    def __init__(self, work, deadline: float, after=None):
        self.work, self.deadline, self.after = work, deadline, after
        self.done, self.result, self.error = False, None, None

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.result


def grouped(db: Database, work, wait: float | None = None, after=None):
    """`work(db)` run in a write transaction that it may share with other threads' grouped
    writes, committed (one fsync) before this returns its result or raises its exception.
    `after(db)`, if given, runs once per transaction after all its writes (each distinct
    `after` once), in a savepoint of its own: its exception undoes only its own work and fails
    none of the writes (the full-text index's batches: storage/fulltext.py).

    While one thread has the turn, the others' writes wait in the queue; the next thread to get
    the turn (the leader) runs every waiting write on its own connection, in arrival order, each
    in a SAVEPOINT: one write's exception undoes that write only, and each sees the writes before
    it (a resend right after its first send is still found). A storage fault, or a COMMIT that
    fails, fails every write of the batch: nothing of it is kept. The waits are those of
    `immediate()`: a write still waiting at its deadline raises StorageBusy; a batch waits for
    the lock until the earliest deadline among its writes. `work` must only use the connection
    it is given and touch no state of the thread that queued it."""
    queue = writer_queue(db.path)
    item = _Grouped(work, _deadline(queue, db, wait), after)
    with queue.cond:
        queue.pending.append(item)
        while queue.busy and not item.done:
            left = item.deadline - time.monotonic()
            if left <= 0 and item in queue.pending:   # no leader has taken it: give up
                queue.pending.remove(item)
                raise StorageBusy("waited too long for this process's other writers")
            queue.cond.wait(left if left > 0 else None)   # taken: its batch ends soon
        if item.done:
            return item.outcome()
        queue.busy = True
        batch, queue.pending = queue.pending, []
    try:
        _run_batch(queue, db, batch)
    finally:
        queue._end_turn()
    return item.outcome()


def _run_batch(queue: _WriterQueue, db: Database, batch: list[_Grouped]) -> None:
    """Run `batch` in one transaction on the leader's connection; every write gets its outcome."""
    deadline = min(item.deadline for item in batch)
    try:
        with queue._flocked(deadline):
            _begin(queue, db, deadline)
            try:
                for item in batch:
                    item.result, item.error = _in_savepoint(db, item.work)
                for after in dict.fromkeys(item.after for item in batch if item.after):
                    _, error = _in_savepoint(db, after)
                    if error is not None:   # its work undone alone: a later batch tries it again
                        logging.getLogger(__name__).error("after a group commit's writes: %r failed", after,
                                                          exc_info=error)
                db.conn.execute("COMMIT")
            except BaseException:
                _rollback(db)
                raise
    except BaseException as exc:
        problem = _storage_problem(exc)
        for item in batch:   # nothing of the batch was kept: each is told so
            item.result = None
            if problem is not None:
                item.error = type(problem)(str(problem))
                item.error.__cause__ = exc
            elif isinstance(exc, Exception):
                item.error = exc
            else:   # the leader is being stopped (SystemExit): the others are not saved either
                item.error = StorageError(f"the writer stopped: {exc!r}")
            item.done = True
        if not isinstance(exc, Exception):
            raise
        return
    for item in batch:
        item.done = True
    _committed(queue)


def _in_savepoint(db: Database, work) -> tuple:
    """`work(db)` in a savepoint of its own: (its result, None), or (None, its exception) with
    its work undone and the transaction's other work kept. A storage fault, or an error after
    which SQLite undid the whole transaction, is raised: the batch fails as a whole."""
    db.conn.execute("SAVEPOINT grouped_write")
    try:
        outcome = work(db), None
    except Exception as exc:
        if fault(exc) is not None or not db.conn.in_transaction:
            raise
        db.conn.execute("ROLLBACK TO grouped_write")
        outcome = None, exc
    db.conn.execute("RELEASE grouped_write")
    return outcome
