"""Owns the loop of every batched backfill (the moderation figures in storage/counts.py, the
export masks in storage/masks.py, duplicate groups and the answer search in storage/triage.py):
one short write transaction per batch, each moving its own progress mark, with a pause between
batches so that submissions queued for the write lock go first.

Why the batch size adapts: a fixed size is either slow on a quiet machine (many tiny
transactions: the answer index took minutes per 100,000 answers) or holds the lock too long
under load. Here each batch aims to hold the write lock for about BUDGET seconds: the size
doubles after a quick batch and halves after a slow one, between 1 and the caller's `most`.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from sqlite_utils import Database

from .db import immediate

BUDGET = 0.25   # seconds a batch may hold the write lock: what a waiting submission may wait
PAUSE = 0.05    # seconds between batches, for queued writers


def progress(db: Database, table: str) -> tuple[int, int]:
    """(done_to, target) of a backfill's one-row progress table: rows with id <= done_to are
    done, rows with id > target were handled as they were written."""
    row = db.conn.execute(f"SELECT done_to, target FROM {table}").fetchone()
    return row["done_to"], row["target"]


def complete(db: Database, table: str) -> bool:
    """Every row up to the backfill's target is done."""
    done_to, target = progress(db, table)
    return done_to >= target


def run(db: Database, step: Callable[[int], tuple[int, tuple] | None], start: int, most: int,
        fixed: bool = False, pause: float = PAUSE, report=None, budget: float = BUDGET) -> int:
    """Call `step(size)` in a write transaction of its own until it returns None (nothing left).
    It does up to `size` units of work and returns (rows touched, progress): `report(*progress)`
    is then called outside the transaction. Sizes start at `start`; unless `fixed`, they adapt
    to hold each transaction near `budget` seconds, at most `most`. Returns the rows touched."""
    size, touched = start, 0
    while True:
        with immediate(db):
            began = time.perf_counter()
            result = step(size)
        held = time.perf_counter() - began   # the commit included: the lock is held until it ends
        if result is None:
            return touched
        count, progress = result
        touched += count
        if report:
            report(*progress)
        if not fixed:
            if held < budget / 2:
                size = min(most, size * 2)
            elif held > budget:
                size = max(1, size // 2)
        time.sleep(pause)
