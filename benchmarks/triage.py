#!/usr/bin/env python3
"""Triage at volume, in process against a copy of a seeded database (benchmarks/scale.py makes
them: `--cache DIR` keeps scale-N.sqlite3): the SQL of each triage page, and the backfill that
gives an older database its duplicate groups and answer index, with submissions arriving
meanwhile. Writes benchmarks/triage.md.

    nice -n 5 .venv/bin/python -m benchmarks.triage CACHE/scale-100000.sqlite3

Reads (each timed over many calls, ms): the published answers most like a submission (200
random submissions), the groups list's first page and a page 20 clicks deep, the largest
group's members, a queue page's group and claim marks. Backfill: the copy's group keys are
cleared and its answer index emptied (setup, not timed), then `triage.backfill` runs as
`flask count-earlier` would, while another thread stores a submission every 50 ms through
`insert_submission`; the longest batch (one write transaction) and the submissions' waits are
reported.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from feedback_api import storage
from feedback_api.storage import batches as storage_batches, counts, masks, moderation as sm, triage

ROOT = Path(__file__).resolve().parent.parent


def timed(fn, runs: int) -> dict:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[max(0, round(0.95 * len(times)) - 1)], "max": times[-1]}


def reads(db, rng: random.Random) -> dict:
    top = db.conn.execute("SELECT max(id) FROM submissions").fetchone()[0]
    subjects = [sm.submission(db, r[0], True) for r in db.conn.execute(
        "SELECT reference FROM submissions WHERE id IN (%s)" % ",".join(str(rng.randint(1, top)) for _ in range(200)))]
    found = [len(triage.similar_answers(db, s)) for s in subjects]
    pending = iter(subjects * 2)
    results = {"similar answers (200 submissions)": timed(lambda: triage.similar_answers(db, next(pending)), len(subjects))}
    results["similar answers found, mean"] = sum(found) / len(found)
    results["groups, first page"] = timed(lambda: triage.groups(db, 0, 50), 20)
    after = None
    for _ in range(20):
        rows, more = triage.groups(db, 0, 50, after)
        if not more:
            break
        after = (rows[-1]["open_count"], rows[-1]["key"])
    results["groups, 20 pages deep"] = timed(lambda: triage.groups(db, 0, 50, after), 20)
    largest = triage.groups(db, 0, 1)[0][0]
    results["largest group: open members"] = largest["open_count"]
    results["largest group's members (50)"] = timed(lambda: triage.members(db, largest["key"], 0, 50), 20)
    page, _, _ = sm.queue(db, {"status": "open"}, {"role": "admin"}, 50)
    results["queue page marks (50 rows)"] = timed(lambda: triage.queue_marks(db, page), 20)
    return results


def backfill(db, path: str) -> dict:
    with db.conn:  # setup: back to a database from before the triage migration
        db.conn.execute("UPDATE submissions SET group_key = NULL")
        db.conn.execute("DELETE FROM submission_groups")
        db.conn.execute("INSERT INTO answer_search (answer_search) VALUES ('delete-all')")
        db.conn.execute("UPDATE triage_progress SET groups_done_to = 0, answers_done_to = 0,"
                        " answers_target = (SELECT COALESCE(max(id), 0) FROM answers)")
    waits, stop = [], threading.Event()

    def arrive():
        other = storage.connect(path)
        n = 0
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            storage.insert_submission(other, {
                "kind": "question", "component": "kafalat", "language": "ur", "message": f"نئی قسط کب آئے گی {n}",
                "message_hash": f"bench{n}"}, None, storage.now(), lambda n=n: f"BNCH-{n:04d}-{time.time_ns() % 10**6}")
            waits.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
        other.close()

    batches, last = [], [time.perf_counter()]

    def report(done, target):
        now = time.perf_counter()
        batches.append((now - last[0] - storage_batches.PAUSE) * 1000)   # minus the pause between batches
        last[0] = now

    writer = threading.Thread(target=arrive)
    writer.start()
    started = time.perf_counter()
    touched = triage.backfill(db, report=report)
    took = time.perf_counter() - started
    stop.set()
    writer.join()
    waits.sort()
    return {"rows": touched, "seconds": took, "batches": len(batches), "batch_p50_ms": statistics.median(batches),
            "batch_max_ms": max(batches), "submissions": len(waits), "wait_p50_ms": statistics.median(waits),
            "wait_max_ms": waits[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("databases", nargs="+", help="seeded databases (copied, never changed)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "triage.md"))
    parser.add_argument("--reads-only", action="store_true", help="the reads only, no backfill (minutes at 1M)")
    args = parser.parse_args()
    out = Path(args.out)
    earlier = out.read_text(encoding="utf-8").rstrip("\n") + "\n\n" if out.exists() else ""
    lines = ["# Triage at volume: its SQL at N submissions, and the backfill beside arriving submissions"
             if not earlier else f"## Run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `nice -n 5 "
             f".venv/bin/python -m benchmarks.triage {'--reads-only ' if args.reads_only else ''}"
             f"{' '.join(Path(d).name for d in args.databases)}` on databases "
             "seeded by benchmarks/scale.py (the script's docstring says what each figure is). In process, no HTTP: "
             "the pages' own times are in scale.md.", "",
             f"- Machine: {os.cpu_count()} cores shared with other work; load average (1 min) at the start: "
             f"{os.getloadavg()[0]:.1f}.", ""]
    for path in args.databases:
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            copy = f"{tmp}/copy.sqlite3"
            shutil.copyfile(path, copy)
            storage.migrate(copy)
            db = storage.connect(copy)
            for finish in (counts.backfill, masks.backfill, triage.backfill):   # setup: as init-db leaves it
                finish(db, pause=0)
            n = db.conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
            answers = db.conn.execute("SELECT count(*) FROM answers WHERE published = 1").fetchone()[0]
            print(f"{path}: {n:,} submissions, {answers:,} published answers", flush=True)
            r = reads(db, random.Random(n))
            lines += [f"{'###' if earlier else '##'} {n:,} submissions ({answers:,} published answers)", "", "| Read | p50 ms | p95 ms | max ms |",
                      "|---|---:|---:|---:|"]
            for name, value in r.items():
                if isinstance(value, dict):
                    lines.append(f"| {name} | {value['p50']:.1f} | {value['p95']:.1f} | {value['max']:.1f} |")
            lines += ["", f"Similar answers found per submission (of 5 at most), mean: {r['similar answers found, mean']:.1f}; "
                      f"the largest group has {r['largest group: open members']:,} open members.", ""]
            if not args.reads_only:
                b = backfill(db, copy)
                print(b, flush=True)
                lines += [f"Backfill of {b['rows']:,} rows (group keys, then the answer index) in {b['seconds']:.1f} s, "
                          f"{b['batches']} batches: each batch's write transaction p50 {b['batch_p50_ms']:.0f} ms, "
                          f"longest {b['batch_max_ms']:.0f} ms. Meanwhile {b['submissions']} submissions were stored: "
                          f"wait p50 {b['wait_p50_ms']:.0f} ms, longest {b['wait_max_ms']:.0f} ms.", ""]
            db.close()
        out.write_text(earlier + "\n".join(lines) + "\n", encoding="utf-8")   # earlier runs kept


if __name__ == "__main__":
    sys.exit(main())
