"""Texts per second through real Kannel into stored submissions, each answered with its
reference, with the per-number limits on (the defaults); and, in the same run, the service
alone (the same kind of texts posted straight to /api/v1/sms/inbound) and the web form's
submission route as baselines.

    nice -n 10 .venv/bin/python -m benchmarks.sms_throughput [--texts 3000] [--numbers 1500]
        [--workers 2 --threads 8]    # the production setting (deploy/feedback.env.example)

Path measured: fakesmsc (the phones) -> bearerbox -> smsbox -> HTTP -> gunicorn
(deploy/gunicorn.conf.py: by default 1 worker of 8 threads, the one-box setting; --workers 2 as
deploy/feedback.env.example, the web's limits counted in a local Redis; the SMS per-number
limits are counted in the database with each text either way) ->
SQLite (synchronous=FULL) -> the reply -> smsbox -> bearerbox -> fakesmsc. A text counts when its reply reaches the phone. fakesmsc sends as fast
as it can, each text from one of --numbers numbers picked at random (so a number sends about
texts/numbers, under its 10-a-minute limit), each with a random tail (no duplicates merge).
Lost = texts sent - replies received, and texts sent - submissions stored: both must be 0 (a
text refused by a per-number limit gets no reply and no submission: it counts as lost).
Kannel logs as deployed (warnings only), so its own cost is the production one, and posts as
many texts at once as deployed (render_kannel.py's max-pending-requests; --max-pending-requests
512 is Kannel's own default, for comparison).
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import json
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import requests

from deploy.render_kannel import MAX_PENDING_REQUESTS
from tests.fixtures_deploy import Redis
from tests.fixtures_service import Gunicorn, free_port, read_rows
from tests.fixtures_sms import _GOT, FAKESMSC, INBOUND_SECRET, SHORT_CODE, Kannel

QUESTION = "when will my Kafalat payment come, question"


def stack(root: Path, texts: int, workers: int = 1, threads: int = 8,
          redis: Redis | None = None, max_pending: int | None = None) -> tuple[Gunicorn, Kannel]:
    server = Gunicorn(root / "instance")
    server.port = free_port()
    # As deployed: warnings only, deploy/render_kannel.py's max-pending-requests unless given.
    kannel = Kannel(root / "kannel", server.url, debug_logs=False, max_pending_requests=max_pending)
    # Limits on, as deployed; the web baseline comes from one address, so its per-client
    # limit is raised to let it through (the SMS limits stay the defaults).
    server.extra_env = {**kannel.service_env(), "FEEDBACK_RATELIMIT_ENABLED": "true",
                        "FEEDBACK_LIMIT_SUBMISSIONS": f"{texts * 2} per minute",
                        "FEEDBACK_WORKERS": str(workers), "FEEDBACK_THREADS": str(threads)}
    if redis is not None:   # several workers count the limits together
        server.extra_env["FEEDBACK_RATELIMIT_STORAGE_URI"] = redis.uri
    return server, kannel


def cpu_seconds(groups: dict[str, int]) -> dict[str, float]:
    """CPU time (user + system) used so far by each named process group (its session), or
    process (one started in ours)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = dict.fromkeys(groups, 0.0)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        for name, group in groups.items():
            if group in (int(fields[2]), pid):   # fields[2]: the process group
                used[name] += (int(fields[11]) + int(fields[12])) / tick
    return used


def machine_times() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]   # idle + iowait
    total = sum(values[:8])
    tick = os.sysconf("SC_CLK_TCK")
    return (total - idle) / tick, total / tick


def through_kannel(kannel: Kannel, texts: int, numbers: int, groups: dict[str, int],
                   timeout: float = 900) -> dict:
    lines = [f"0321{n:07d} {SHORT_CODE} text {QUESTION}" for n in range(numbers)]
    # -z 4: fakesmsc adds a random number as the text's last word.
    started = time.monotonic()
    proc = subprocess.Popen([FAKESMSC, "-H", "127.0.0.1", "-r", str(kannel.fake_port), "-i", "0",
                             "-m", str(texts), "-z", "4", *lines],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    groups = {**groups, "fakesmsc": proc.pid}
    cpu_before, machine_before = cpu_seconds(groups), machine_times()
    replies, last = 0, started
    counted = threading.Event()

    def read() -> None:
        nonlocal replies, last
        for raw in proc.stdout:
            if _GOT.search(raw.decode("utf-8", errors="replace")):
                replies, last = replies + 1, time.monotonic()
                if replies >= texts:
                    break
        counted.set()
    threading.Thread(target=read, daemon=True).start()
    try:
        # Until every reply is in, or none came for 30 s (a text refused: counted as lost).
        while not counted.wait(1) and time.monotonic() - max(last, started) < 30 \
                and time.monotonic() - started < timeout:
            pass
        cpu_after, machine_after = cpu_seconds(groups), machine_times()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    seconds = last - started
    # Where the machine's time went while the texts flowed (CPU ms per text, per program).
    cpu = {name: round((cpu_after[name] - cpu_before[name]) * 1000 / max(replies, 1), 2) for name in groups}
    return {"texts": texts, "replies": replies, "seconds": round(seconds, 2),
            "texts_per_second": round(replies / seconds, 1) if seconds else None,
            "cpu_ms_per_text": cpu,
            # 1.0: every core busy the whole time (with anything: this run or anyone else's).
            "machine_busy": round((machine_after[0] - machine_before[0])
                                  / max(machine_after[1] - machine_before[1], 1e-9), 2)}


def straight(server: Gunicorn, texts: int, numbers: int, threads: int = 16) -> dict:
    auth = "Basic " + base64.b64encode(f"kannel:{INBOUND_SECRET}".encode()).decode()
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_connections=threads, pool_maxsize=threads)
    session.mount("http://", adapter)

    def one(i: int) -> int:
        response = session.post(f"{server.url}/api/v1/sms/inbound?from=0333{i % numbers:07d}",
                                data=f"{QUESTION} {i} baseline".encode(),
                                headers={"Authorization": auth, "Content-Type": "text/plain; charset=utf-8"},
                                timeout=30)
        return response.status_code
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        codes = list(pool.map(one, range(texts)))
    seconds = time.monotonic() - started
    return {"texts": texts, "ok": codes.count(200), "seconds": round(seconds, 2),
            "texts_per_second": round(codes.count(200) / seconds, 1)}


def web(server: Gunicorn, texts: int, threads: int = 16) -> dict:
    """The web form's JSON route, same server, same run: what one submission costs there."""
    session = requests.Session()
    session.mount("http://", requests.adapters.HTTPAdapter(pool_connections=threads, pool_maxsize=threads))

    def one(i: int) -> int:
        return session.post(f"{server.url}/api/v1/submissions", timeout=30, json={
            "message": f"{QUESTION} {i} web", "kind": "question", "language": "en",
            "contact": f"0333{i:07d}", "consent_to_contact": True}).status_code
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        codes = list(pool.map(one, range(texts)))
    seconds = time.monotonic() - started
    return {"texts": texts, "ok": codes.count(201), "seconds": round(seconds, 2),
            "per_second": round(codes.count(201) / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=3000)
    parser.add_argument("--numbers", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn processes (more than 1: Redis)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn process")
    parser.add_argument("--max-pending-requests", type=int, default=MAX_PENDING_REQUESTS,
                        help="smsbox's texts in flight to the service (Kannel's own default: 512)")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sms-bench-") as tmp:
        redis = Redis(Path(tmp) / "redis").start() if args.workers > 1 else None
        server, kannel = stack(Path(tmp), args.texts, args.workers, args.threads, redis,
                               args.max_pending_requests)
        try:
            server.start()
            kannel.start()
            web_baseline = web(server, args.texts)
            baseline = straight(server, args.texts, args.numbers)
            groups = {"gunicorn": server.proc.pid, **{Path(p.args[0]).name: p.pid for p in kannel.procs},
                      **({"redis": redis.proc.pid} if redis else {})}
            result = through_kannel(kannel, args.texts, args.numbers, groups)
            stored = read_rows(str(server.database),
                               "SELECT count(*) AS n, count(DISTINCT s.client_hash) AS numbers,"
                               " max(per) AS most FROM submissions s JOIN (SELECT client_hash AS h,"
                               " count(*) AS per FROM submissions WHERE message NOT LIKE '%baseline'"
                               " AND message NOT LIKE '% web'"
                               " GROUP BY client_hash) ON h = s.client_hash"
                               " WHERE s.message NOT LIKE '%baseline' AND s.message NOT LIKE '% web'")[0]
        finally:
            kannel.stop()
            server.stop()
            if redis:
                redis.stop()
    report = {
        "gunicorn": {"workers": args.workers, "threads": args.threads,
                     # The web baseline's limits; the SMS per-number limits are counted in
                     # the database with each text (sms/store.py), whatever the workers.
                     "web_limit_counters": "redis" if redis else "in the process",
                     "sms_limit_counters": "in the database"},
        "kannel_max_pending_requests": args.max_pending_requests,
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        "baseline_web_submissions": web_baseline,
        "baseline_service_alone": baseline,
        "through_kannel": {**result, "submissions_stored": stored["n"], "distinct_numbers": stored["numbers"],
                           "most_texts_from_one_number": stored["most"],
                           "lost": (args.texts - result["replies"]) + (args.texts - stored["n"])},
        "ratio_kannel_to_service_alone": round(result["texts_per_second"] / baseline["texts_per_second"], 2),
        "ratio_kannel_to_web_submissions": round(result["texts_per_second"] / web_baseline["per_second"], 2),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
