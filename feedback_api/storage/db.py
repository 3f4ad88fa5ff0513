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
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sqlite3
import threading
from pathlib import Path

from flask import current_app
from sqlite_utils import Database

_local = threading.local()


def now() -> str:
    """UTC time as ISO 8601 with a Z, to the second: sorts and compares as text."""
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: int) -> str:
    moment = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def dicts(cursor) -> list[dict]:
    """A cursor's rows as dicts keyed by column name."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def one(cursor) -> dict | None:
    rows = dicts(cursor)
    return rows[0] if rows else None


# ---------------------------------------------------------------- connections

def connect(path: str, synchronous: str = "FULL", busy_timeout: float = 15) -> Database:
    """A new connection with our pragmas. The caller owns it (one thread only)."""
    if str(synchronous).upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError(f"SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {synchronous!r}")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=float(busy_timeout))
    db = Database(conn, execute_plugins=False)
    db.path = os.path.abspath(path)  # names this database's in-process write lock
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA synchronous = {str(synchronous).upper()}")
    conn.execute(f"PRAGMA busy_timeout = {int(float(busy_timeout) * 1000)}")
    return db


def get_db() -> Database:
    """This thread's connection to the app's database, opened on first use and kept."""
    cfg = current_app.config
    key = (os.getpid(), cfg["DATABASE"])
    cache = getattr(_local, "dbs", None)
    if cache is None:
        cache = _local.dbs = {}
    db = cache.get(key)
    if db is None:
        db = cache[key] = connect(cfg["DATABASE"], cfg["SQLITE_SYNCHRONOUS"],
                                  cfg["SQLITE_BUSY_TIMEOUT_SECONDS"])
    return db


def close_thread_connections() -> None:
    """Close this thread's connections (tests and CLI commands call it)."""
    for db in getattr(_local, "dbs", {}).values():
        db.close()
    _local.dbs = {}


class _WriterQueue:
    """Orders the writers of one database: threads of this process on a Python lock, then
    processes (gunicorn workers) on an flock of <database>.write-lock.

    Why: SQLite's busy handler polls with sleeps of up to 100 ms, which put a 300 ms tail on
    p99 latency with 8 writing threads, and halved throughput with 2 worker processes. Both
    locks wake the next writer the moment the last one lets go. BEGIN IMMEDIATE and the busy
    timeout stay as the safety net for anything that writes without this queue (the CLI,
    sqlite3 by hand). A killed process's flock is released by the kernel."""

    def __init__(self, path: str):
        self.path = path
        self.thread_lock = threading.Lock()
        self.fd = None
        self.pid = None

    @contextlib.contextmanager
    def turn(self):
        with self.thread_lock:
            if self.pid != os.getpid():  # first use, or first use after a fork
                self.fd = os.open(f"{self.path}.write-lock", os.O_RDWR | os.O_CREAT, 0o600)
                self.pid = os.getpid()
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


_queues: dict[str, _WriterQueue] = {}
_queues_guard = threading.Lock()


def writer_queue(path: str) -> _WriterQueue:
    with _queues_guard:
        if path not in _queues:
            _queues[path] = _WriterQueue(path)
        return _queues[path]


@contextlib.contextmanager
def immediate(db: Database):
    """A write transaction that takes the write lock before its first read, after waiting
    its turn in this database's writer queue."""
    with writer_queue(db.path).turn():
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")
