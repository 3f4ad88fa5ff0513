"""How long the public feed takes to build (no in-memory cache) on a large database, and how big
it is: N submissions over a year, a share of them answered and published.

    .venv/bin/python benchmarks/feed_build.py [submissions]      (default 100000)
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


from feedback_api import create_app, i18n, storage


def fill(db_path: str, count: int) -> None:
    rng = random.Random(7)
    conn = storage.connect(db_path, "NORMAL").conn
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    components = list(i18n.components())
    languages = list(i18n.languages())
    rows, answers = [], []
    for n in range(count):
        received = start + dt.timedelta(seconds=rng.randint(0, 330 * 86400))
        answered = received + dt.timedelta(hours=rng.randint(1, 400)) if rng.random() < 0.6 else None
        stamp = received.strftime("%Y-%m-%dT%H:%M:%SZ")
        rows.append((f"REF{n:08d}", "question", rng.choice(components), rng.choice(languages),
                     "سوال " * rng.randint(5, 40), "Lahore", "answered" if answered else "new",
                     int(rng.random() < 0.03), f"h{n}", stamp, stamp,
                     answered.strftime("%Y-%m-%dT%H:%M:%SZ") if answered else None))
        if answered and rng.random() < 0.05:
            answers.append((n + 1, "جواب " * rng.randint(20, 120), rows[-1][3], "سوال " * 10,
                            answered.strftime("%Y-%m-%dT%H:%M:%SZ")))
    with conn:
        conn.executemany("INSERT INTO submissions (reference, kind, component, language, message, district,"
                         " status, sensitive, message_hash, received_at, updated_at, first_answered_at)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO answers (submission_id, body, language, public_question, published, listed,"
                         " created_at, updated_at, published_at) VALUES (?, ?, ?, ?, 1, 1, ?5, ?5, ?5)", answers)
    conn.close()


def main(count: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    app = create_app({"TESTING": True, "DATABASE": str(tmp / "f.sqlite3"), "INSTANCE_PATH": str(tmp),
                      "SECRET_KEY": "x" * 32, "FEED_CACHE_SECONDS": 0})
    fill(app.config["DATABASE"], count)
    client = app.test_client()
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        response = client.get("/api/v1/feed.json")
        times.append(time.perf_counter() - t0)
    body = response.get_data()
    doc = response.get_json()
    cached = app.test_client()
    app.config["FEED_CACHE_SECONDS"] = 60
    cached.get("/api/v1/feed.json")
    t0 = time.perf_counter()
    for _ in range(200):
        cached.get("/api/v1/feed.json")
    per_cached = (time.perf_counter() - t0) / 200
    import gzip
    print(f"{count} submissions, {len(doc['answers'])} answers in the feed "
          f"(at most {app.config['FEED_ANSWERS_PER_LANGUAGE']} per language): "
          f"build {statistics.median(times) * 1000:.0f} ms median of 5 (no cache); "
          f"{per_cached * 1000:.2f} ms per request from the cache; "
          f"{len(body) / 1024:.0f} KB, {len(gzip.compress(body)) / 1024:.0f} KB gzipped")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000)
