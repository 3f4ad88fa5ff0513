#!/usr/bin/env python3
"""Submissions per second and latency through nginx + gunicorn (the production stack,
benchmarks/production_stack.py), 50 concurrent clients, wrk with a Lua POST script, bounded.

    .venv/bin/python -m benchmarks.throughput [--duration 20] [--connections 50] [--setup prod ...]

Each request carries a unique message (else the duplicate check answers without storing). wrk
writes the reference of every 201 it received to a file per thread; afterwards every one of
them must be in the database (zero lost), and rows - acknowledged = requests still in flight
when wrk stopped (stored, their answer not read by wrk).

Rate limits: nginx passes every wrk request as 127.0.0.1 (one client; a real crowd comes from
many addresses), so the limiter would stop wrk after 10. The setups therefore run with the
limiter off; benchmarks/soak.py runs with it on, from thousands of loopback addresses.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.production_stack import gunicorn_pids, production_stack
from tests.fixtures_deploy import precompress
from tests.fixtures_service import read_rows, references
from tests.fixtures_site import build_site

ROOT = Path(__file__).resolve().parent.parent

SETUPS = {
    "prod": ("2 workers x 8 threads (deploy/feedback.env.example)",
             {"FEEDBACK_WORKERS": "2", "FEEDBACK_THREADS": "8"}),
    "2x4": ("2 workers x 4 threads", {"FEEDBACK_WORKERS": "2", "FEEDBACK_THREADS": "4"}),
    "1x8": ("1 worker x 8 threads (one-box default)", {"FEEDBACK_WORKERS": "1", "FEEDBACK_THREADS": "8"}),
    "prod-normal": ("2 workers x 8 threads, SQLITE_SYNCHRONOUS=NORMAL (not durable on power loss)",
                    {"FEEDBACK_WORKERS": "2", "FEEDBACK_THREADS": "8", "FEEDBACK_SQLITE_SYNCHRONOUS": "NORMAL"}),
}

LUA = r"""
local counter = 0
local id = 0
local tag = ""
local out
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  id = wrk.thread:get("id")
  tag = args[2]
  out = io.open(args[1] .. "/refs-" .. id .. ".txt", "w")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"kind":"question","component":"kafalat","language":"ur","message":"wrk %s thread %d message %d: when is the next payment?"}',
    tag, id, counter)
  return wrk.format("POST", "/api/v1/submissions", nil, body)
end

function response(status, headers, body)
  if status == 201 then
    out:write(string.match(body, '"reference": *"([^"]+)"') .. "\n")
  else
    out:write("STATUS " .. status .. "\n")
  end
end

function done(summary, latency, requests)
  local p = {}
  for _, q in ipairs({50, 90, 99, 99.9}) do p[tostring(q)] = latency:percentile(q) / 1000 end
  io.write(string.format('RESULT {"requests": %d, "duration_s": %f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "status_errors": %d, "p50": %f, "p90": %f, "p99": %f, "p999": %f, "max": %f}\n',
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, summary.errors.status,
    p["50"], p["90"], p["99"], p["99.9"], latency.max / 1000))
end
"""


def run_setup(key: str, duration: int, connections: int, threads: int, site: Path) -> dict:
    label, env = SETUPS[key]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        script = tmp / "submit.lua"
        script.write_text(LUA)
        with production_stack(env={"FEEDBACK_RATELIMIT_ENABLED": "false", **env}, site=site) \
                as (nginx, gunicorn, _redis):
            url = nginx.url
            # Warm-up (connections, caches), then a clean database count.
            warm = tmp / "warm"
            warm.mkdir()
            subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", "3s", "-s", str(script),
                            url, str(warm), "warm"], capture_output=True, text=True, timeout=60)
            time.sleep(1)
            before = _rows(gunicorn.database)
            load = os.getloadavg()
            cpu_before = {"gunicorn": _cpu(gunicorn_pids(gunicorn.proc.pid)), "nginx": _cpu(gunicorn_pids(nginx.proc.pid)),
                          "redis": _cpu([_redis.proc.pid])}
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            refs = tmp / "refs"
            refs.mkdir()
            started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
            done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                                   "--timeout", "10s", "-s", str(script), url, str(refs), "run"],
                                  capture_output=True, text=True, timeout=duration + 60)
            children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = {"gunicorn": _cpu(gunicorn_pids(gunicorn.proc.pid)) - cpu_before["gunicorn"],
                   "nginx": _cpu(gunicorn_pids(nginx.proc.pid)) - cpu_before["nginx"],
                   "redis": _cpu([_redis.proc.pid]) - cpu_before["redis"],
                   "wrk": (children_after.ru_utime + children_after.ru_stime
                           - children_before.ru_utime - children_before.ru_stime)}
            time.sleep(1)  # in-flight requests finish
            after = _rows(gunicorn.database)
            stored = references(gunicorn.database)
            integrity = sqlite3.connect(gunicorn.database).execute("PRAGMA integrity_check").fetchone()[0]
        match = re.search(r"^RESULT (\{.*\})$", done.stdout, re.M)
        if not match:
            raise RuntimeError(f"wrk gave no result: {done.stdout}\n{done.stderr}")
        result = json.loads(match.group(1))
        acked, other = set(), []
        for path in refs.glob("refs-*.txt"):
            lines = path.read_text().splitlines()
            acked.update(line for line in lines if not line.startswith("STATUS"))
            other += [line for line in lines if line.startswith("STATUS")]
    return {"setup": key, "label": label, "started": started, "load_before": load, **result,
            "rate": len(acked) / result["duration_s"], "acknowledged": len(acked),
            "non_201": len(other), "rows_added": after - before, "lost": len(acked - stored),
            "integrity": integrity, "connections": connections, "threads": threads,
            "cpu_ms_per_request": {k: v * 1000 / max(1, result["requests"]) for k, v in cpu.items()}}


def _cpu(pids) -> float:
    """CPU seconds (user + system) used so far by these processes, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def commit_ceiling(directory: Path, seconds: float = 3) -> float:
    """Serial one-row commits per second with WAL + synchronous=FULL on this disk: the most a
    single SQLite writer can acknowledge when every submission is its own durable commit."""
    path = directory / "ceiling.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (x TEXT)")
    n, end = 0, time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < end:
        conn.execute("INSERT INTO t VALUES ('a submission-sized row of text, about a hundred bytes long ...')")
        n += 1
    rate = n / (time.monotonic() - started)
    conn.close()
    return rate


def _rows(database) -> int:
    return read_rows(str(database), "SELECT count(*) AS n FROM submissions")[0]["n"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--setup", nargs="*", default=["prod", "1x8"], choices=list(SETUPS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        built = build_site(site)
        if built.returncode != 0:
            sys.exit(f"mkdocs build failed: {built.stderr[-2000:]}")
        precompress(site)
        ceiling = commit_ceiling(Path(tmp))
        print(f"SQLite serial durable commits on this disk: {ceiling:,.0f}/s", flush=True)
        for key in args.setup:
            results.append(run_setup(key, args.duration, args.connections, args.threads, site))
            print(json.dumps(results[-1]), flush=True)
    print("\n| Setup | Submissions/s | p50 ms | p90 ms | p99 ms | max ms | Acknowledged (201) | Other answers | "
          "Socket errors | Rows added | Acknowledged but missing | integrity | CPU ms/request: gunicorn, nginx, Redis, wrk | Load avg before |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
    for r in results:
        errors = r["connect_errors"] + r["read_errors"] + r["write_errors"] + r["timeouts"]
        print(f"| {r['label']} | {r['rate']:,.0f} | {r['p50']:.1f} | {r['p90']:.1f} | {r['p99']:.1f} | {r['max']:.0f} "
              f"| {r['acknowledged']:,} | {r['non_201']} | {errors} | {r['rows_added']:,} | {r['lost']} "
              f"| {r['integrity']} | {', '.join(f'{v:.2f}' for v in r['cpu_ms_per_request'].values())} "
              f"| {r['load_before'][0]:.2f} |")
    print(f"\nSQLite alone, serial one-row commits (WAL, synchronous=FULL) on this disk: {ceiling:,.0f}/s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"commit_ceiling": ceiling, "setups": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
