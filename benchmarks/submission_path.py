#!/usr/bin/env python3
"""The submission path side by side, in one run: the project's gunicorn (deploy/gunicorn.conf.py,
1 process x 8 threads) against benchmarks/minimal_submit.py (Flask + sqlite-utils, the same
durability, nothing else) under the same gunicorn worker settings; and the project with
`--rows` submissions already stored against an empty database (that database settled first:
migrated, `count-earlier` run to the end, as on a service that has run a while; see
`settled_base`). Writes benchmarks/submission_path.md.

    nice -n 5 .venv/bin/python -m benchmarks.submission_path [--rows 1000000] [--duration 10] [--rounds 2]

wrk (2 threads, 16 connections, on the same 2 cores) sends unique Urdu submissions
(benchmarks/api_load.py's Lua script); with limits on, the server trusts one proxy and every
request carries its own X-Forwarded-For address, as nginx would pass real clients. Setups run in
turn, `--rounds` times, and each figure is the mean of its rounds (the machine's load drifts).
Nothing acknowledged may be lost: after each run, rows stored >= 2xx answers counted by wrk.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.api_load import (LIMITS_ON, PYTHON, SUBMIT_LUA, free_port, machine, run_wrk,
                                 start_server, stop_server)
from benchmarks.scale import checkpoint, seeded_copy

ROOT = Path(__file__).resolve().parent.parent


def start_minimal(directory: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "FEEDBACK_DATABASE": str(directory / "bench.sqlite3")}
    proc = subprocess.Popen([str(PYTHON), "-m", "gunicorn", "-k", "gthread", "-w", "1", "--threads", "8",
                             "--keep-alive", "5", "-b", f"127.0.0.1:{port}", "benchmarks.minimal_submit:app"],
                            cwd=ROOT, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/livez", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("minimal server did not start")


def _flask(directory: Path, *args: str) -> None:
    env = {**os.environ, "FEEDBACK_DATABASE": str(directory / "bench.sqlite3"),
           "FEEDBACK_INSTANCE_PATH": str(directory), "FEEDBACK_SECRET_KEY": "benchmark-only-secret"}
    subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "feedback_api", *args], cwd=ROOT, env=env,
                   check=True, capture_output=True)


def _settled(path: Path) -> bool:
    """Whether a database needs nothing of `count-earlier` (figures, masks, groups, answer search)."""
    from feedback_api import storage
    from feedback_api.storage import counts, masks, triage

    if storage.pending(str(path)):
        return False
    db = storage.connect(str(path))
    try:
        return counts.complete(db) and masks.complete(db) and triage.complete(db)
    finally:
        db.close()


def settled_base(rows: int, directory: Path, cache: str | None) -> Path:
    """The `rows` database as a service that has run on it for a while holds it: scale.py's data
    (seeded through SQL or copied from its --cache), migrated, and with `count-earlier` run to
    the end. A database seeded before a migration otherwise makes gunicorn's start run that
    backfill (minutes of batches beside the service) through the whole measurement. Kept in
    the cache as submission-path-<rows>.sqlite3 for the next run."""
    kept = Path(cache) / f"submission-path-{rows}.sqlite3" if cache else None
    if kept and kept.exists() and _settled(kept):
        return kept
    directory.mkdir(parents=True, exist_ok=True)
    seeded_copy(rows, str(directory / "bench.sqlite3"), cache)
    _flask(directory, "init-db")   # migrations, then count-earlier to the end
    checkpoint(str(directory / "bench.sqlite3"))
    if kept:
        shutil.copyfile(directory / "bench.sqlite3", kept)
        return kept
    return directory / "bench.sqlite3"


def prepare(directory: Path, base: Path | None) -> None:
    """A database made by init-db, or a copy of `base` (settled_base)."""
    directory.mkdir(parents=True, exist_ok=True)
    if base is not None:
        shutil.copyfile(base, directory / "bench.sqlite3")
        return
    _flask(directory, "init-db")


def stored(directory: Path) -> int:
    conn = sqlite3.connect(directory / "bench.sqlite3")
    try:
        return conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cache", default=None, help="benchmarks/scale.py's cache of seeded databases")
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "submission_path.md"))
    args = parser.parse_args()
    setups = [
        ("minimal", "Flask + sqlite-utils minimal endpoint", None, 0),
        ("off", "project, limits off", {}, 0),
        ("on", "project, default limits on", LIMITS_ON, 0),
        ("on_rows", f"project, default limits on, {args.rows:,} rows present", LIMITS_ON, args.rows),
    ]
    results: dict[str, list] = {key: [] for key, *_ in setups}
    lost = []
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "submit.lua"
        script.write_text(SUBMIT_LUA)
        started = time.perf_counter()
        base = settled_base(args.rows, Path(tmp) / "seeded", args.cache) if args.rows else None
        seed_s = time.perf_counter() - started
        print(f"{args.rows:,} rows ready in {seed_s:.0f} s", flush=True)
        for round_no in range(args.rounds):
            for key, name, env, rows in setups:
                # A fresh database each round: wrk numbers its messages from 1 again, and a repeat
                # from the same address within 10 minutes is answered as a duplicate, not stored.
                directory = Path(tmp) / f"{key}-{round_no}"
                if env is None:
                    directory.mkdir()
                    proc, url = start_minimal(directory)
                else:
                    prepare(directory, base if rows else None)
                    proc, url = start_server(directory, env)
                before = stored(directory)
                try:
                    try:
                        run_wrk(url, "/livez", None, 2, args.connections)  # warm up
                    except (KeyError, AttributeError):
                        pass  # too few answers in the warm-up to have percentiles
                    load = os.getloadavg()[0]
                    trivial = run_wrk(url, "/livez", None, args.duration, args.connections, proc.pid)
                    submit = run_wrk(url, "/api/v1/submissions", script, args.duration, args.connections, proc.pid)
                finally:
                    stop_server(proc)
                acknowledged = submit["requests"] - submit["non2xx"]
                new_rows = stored(directory) - before
                if new_rows < acknowledged:
                    lost.append((name, acknowledged, new_rows))
                results[key].append({"submit": submit, "trivial": trivial, "load": load,
                                     "acknowledged": acknowledged, "rows": new_rows})
                print(f"{name} (round {round_no + 1}): {submit['rps']:.0f}/s p99 {submit['p99']:.1f} ms, "
                      f"cpu {submit['cpu_ms']:.2f} ms; /livez {trivial['rps']:.0f}/s; non-2xx {submit['non2xx']}; "
                      f"acknowledged {acknowledged}, stored {new_rows}; load {load:.1f}", flush=True)

    def mean(key: str, route: str, field: str) -> float:
        return statistics.mean(r[route][field] for r in results[key])

    names = {key: name for key, name, *_ in setups}
    lines = [
        "# The submission path, side by side",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `nice -n 5 .venv/bin/python -m "
        f"benchmarks.submission_path --rows {args.rows} --duration {args.duration} --rounds {args.rounds}"
        + (f" --cache {args.cache}" if args.cache else "") + "` "
        "(the script writes this file; its docstring says how it measures).",
        "",
        f"- Machine: {machine()}; shared with other work: load average (1 min) before each run "
        + ", ".join(f"{r['load']:.1f}" for key in results for r in results[key]) + ".",
        f"- {args.rows:,} rows seeded through SQL (benchmarks/scale.py's data), migrated and with `count-earlier` "
        f"run to the end before any measurement (steady state, not a backfill beside the load), ready in {seed_s:.0f} s.",
        f"- Each figure: the mean of {args.rounds} rounds of {args.duration} s, setups taking turns.",
        "",
        "| Setup | submissions/s | p50 ms | p99 ms | server CPU ms/submission | `/livez` req/s | acknowledged = stored |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for key in results:
        ok = all(r["rows"] >= r["acknowledged"] for r in results[key])
        lines.append(f"| {names[key]} | {mean(key, 'submit', 'rps'):,.0f} | {mean(key, 'submit', 'p50'):.1f} | "
                     f"{mean(key, 'submit', 'p99'):.1f} | {mean(key, 'submit', 'cpu_ms'):.2f} | "
                     f"{mean(key, 'trivial', 'rps'):,.0f} | "
                     + ("yes (" + ", ".join(f"{r['acknowledged']:,} / {r['rows']:,}" for r in results[key]) + ")"
                        if ok else "NO") + " |")
    minimal = mean("minimal", "submit", "rps")
    ratio_off, ratio_on = mean("off", "submit", "rps") / minimal, mean("on", "submit", "rps") / minimal
    ratio_rows = mean("on_rows", "submit", "rps") / mean("on", "submit", "rps")
    p99_min = mean("minimal", "submit", "p99")
    lines += [
        "",
        "| Goal | Measured | Met |",
        "|---|---:|---|",
        f"| limits off >= 0.8 of the minimal endpoint | {ratio_off:.2f} | {'yes' if ratio_off >= 0.8 else 'no'} |",
        f"| default limits on >= 0.7 of the minimal endpoint | {ratio_on:.2f} | {'yes' if ratio_on >= 0.7 else 'no'} |",
        f"| p99 no worse than the minimal endpoint's ({p99_min:.1f} ms) | off {mean('off', 'submit', 'p99'):.1f} ms, "
        f"on {mean('on', 'submit', 'p99'):.1f} ms | "
        f"{'yes' if max(mean('off', 'submit', 'p99'), mean('on', 'submit', 'p99')) <= p99_min else 'no'} |",
        f"| with {args.rows:,} rows >= 0.9 of the empty database (limits on) | {ratio_rows:.2f} | "
        f"{'yes' if ratio_rows >= 0.9 else 'no'} |",
        f"| trivial route: project / minimal (gunicorn + Flask + hooks, no database) | "
        f"{mean('off', 'trivial', 'rps') / mean('minimal', 'trivial', 'rps'):.2f} | |",
        "",
        "Nothing acknowledged lost: " + ("yes, in every run." if not lost else f"NO: {lost}"),
        "",
    ]
    Path(args.output).write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
