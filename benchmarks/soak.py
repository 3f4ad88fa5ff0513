#!/usr/bin/env python3
"""Soak: a steady rate of submissions through nginx + gunicorn (the production stack,
benchmarks/production_stack.py, rate limits ON in Redis at their defaults) for 10 minutes,
sampling the resident memory of gunicorn (master and workers), nginx and Redis.

    .venv/bin/python -m benchmarks.soak [--rate 150] [--duration 600] [--json benchmarks/results/soak.json]

The client paces requests on a fixed schedule (request i is due at start + i/rate; wrk cannot
hold a rate and wrk2 is not packaged), each from its own loopback address out of a pool of
20,000 (127.1.x.y: Linux routes all of 127/8 to lo), so nginx sees that many clients, the
limiter keeps a counter per client as in real use, and no client passes 10 a minute. At the end
every acknowledged reference must be in the database and rows must equal acknowledgements.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path

from benchmarks.production_stack import gunicorn_pids, production_stack, rss_kib

ROOT = Path(__file__).resolve().parent.parent

POOL = 20_000


def address(i: int) -> str:
    j = i % POOL
    return f"127.1.{j // 250}.{j % 250 + 1}"


def client(port: int, rate: float, start: float, total: int, k: int, workers: int, out: dict, lock):
    mine = []
    for i in range(k, total, workers):
        due = start + i / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        body = json.dumps({"kind": "question", "component": "langar", "language": "en",
                           "message": f"soak {i}: where is the langar today?"})
        sent = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(address(i), 0))
            conn.request("POST", "/api/v1/submissions", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            data = response.read()
            conn.close()
            status = response.status
            reference = json.loads(data)["reference"] if status == 201 else None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            status, reference = f"error {type(exc).__name__}", None
        mine.append((sent - start, time.monotonic() - sent, status, reference, max(0.0, sent - due)))
    with lock:
        out["results"] += mine


def sampler(gunicorn_master: int, nginx_pid: int, redis_pid: int, start: float, stop: threading.Event, samples: list):
    while not stop.is_set():
        pids = gunicorn_pids(gunicorn_master)
        row = {"t": time.monotonic() - start, "gunicorn_kib": {str(p): rss_kib(p) for p in pids},
               "nginx_kib": sum(rss_kib(p) for p in gunicorn_pids(nginx_pid)), "redis_kib": rss_kib(redis_pid)}
        row["gunicorn_total_kib"] = sum(row["gunicorn_kib"].values())
        samples.append(row)
        stop.wait(5)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=150)
    parser.add_argument("--duration", type=int, default=600)
    parser.add_argument("--workers", type=int, default=32, help="client threads (in flight at most)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    total = int(args.rate * args.duration)
    load = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    with production_stack(env={"FEEDBACK_ACCESS_LOG": ""}) as (nginx, gunicorn, redis):
        out, lock, samples, stop = {"results": []}, threading.Lock(), [], threading.Event()
        start = time.monotonic() + 1
        watch = threading.Thread(target=sampler, args=(gunicorn.proc.pid, nginx.proc.pid, redis.proc.pid,
                                                       start, stop, samples), daemon=True)
        watch.start()
        threads = [threading.Thread(target=client, args=(nginx.port, args.rate, start, total, k, args.workers, out, lock))
                   for k in range(args.workers)]
        [t.start() for t in threads]
        [t.join(timeout=args.duration + 120) for t in threads]
        time.sleep(5)
        stop.set()
        watch.join(timeout=10)
        conn = sqlite3.connect(gunicorn.database)
        rows = conn.execute("SELECT count(*) FROM submissions").fetchone()[0]
        stored = {r for (r,) in conn.execute("SELECT reference FROM submissions")}
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        conn.close()
    results = out["results"]
    acked = [r for r in results if r[2] == 201]
    statuses = {}
    for r in results:
        statuses[str(r[2])] = statuses.get(str(r[2]), 0) + 1
    missing = {r[3] for r in acked} - stored
    print(f"Measured {started}; load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"rate {args.rate}/s for {args.duration} s, {args.workers} client threads, {POOL:,} client addresses\n")
    print(f"- Sent {len(results):,} of {total:,} scheduled; answers {statuses}")
    print(f"- Acknowledged (201): {len(acked):,}; rows in the database: {rows:,}; "
          f"acknowledged but missing: {len(missing)}; integrity_check: {integrity}")
    lat = sorted(r[1] * 1000 for r in results)
    late = sorted(r[4] * 1000 for r in results)
    q = lambda xs, p: xs[min(len(xs) - 1, int(p / 100 * len(xs)))]
    print(f"- Latency ms: p50 {q(lat, 50):.1f}, p99 {q(lat, 99):.1f}, max {lat[-1]:.0f}; "
          f"client lateness (sent after due) p99 {q(late, 99):.1f} ms\n")
    print("| Minute | Sent | 201 | p50 ms | p99 ms | gunicorn RSS MiB (master + workers) | per process MiB | nginx MiB | Redis MiB |")
    print("|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    minutes = max(1, int(args.duration // 60))
    for m in range(minutes):
        in_min = [r for r in results if m * 60 <= r[0] < (m + 1) * 60]
        ls = sorted(r[1] * 1000 for r in in_min) or [0]
        sample = min(samples, key=lambda s: abs(s["t"] - (m + 1) * 60)) if samples else None
        per = ", ".join(f"{v / 1024:.1f}" for v in sample["gunicorn_kib"].values()) if sample else ""
        print(f"| {m + 1} | {len(in_min):,} | {sum(1 for r in in_min if r[2] == 201):,} | {q(ls, 50):.1f} | {q(ls, 99):.1f} "
              f"| {sample['gunicorn_total_kib'] / 1024:.1f} | {per} | {sample['nginx_kib'] / 1024:.1f} "
              f"| {sample['redis_kib'] / 1024:.1f} |")
    if samples:
        first = next((s for s in samples if s["t"] >= 60), samples[0])
        last = samples[-1]
        growth = (last["gunicorn_total_kib"] - first["gunicorn_total_kib"]) / first["gunicorn_total_kib"] * 100
        print(f"\n- gunicorn RSS after minute 1: {first['gunicorn_total_kib'] / 1024:.1f} MiB; at the end: "
              f"{last['gunicorn_total_kib'] / 1024:.1f} MiB ({growth:+.1f} %)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"measured": started, "load_before": load, "rate": args.rate,
                                         "duration": args.duration, "statuses": statuses, "rows": rows,
                                         "acknowledged": len(acked), "missing": len(missing),
                                         "integrity": integrity, "samples": samples}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
