"""What the automatic sensitive flag costs on the busiest route: CPU time of
`sensitive.categories()` per message, against a whole in-process POST /api/v1/submissions
(validation, flag, SQLite insert with synchronous=FULL) measured in the same run.

    nice -n 10 .venv/bin/python -m benchmarks.sensitive_flag [rounds]      (default 20)

Messages: the 179 realistic ones of tests/data/sensitive_messages.yml, and the same joined
into messages of the 3000-character limit (the worst case a sender can choose).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

from feedback_api import create_app, sensitive, storage

ROOT = Path(__file__).resolve().parent.parent


def per_call_us(func, items, rounds: int) -> float:
    """Median over rounds of the mean microseconds per call."""
    means = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            func(item)
        means.append((time.perf_counter() - start) / len(items) * 1e6)
    return statistics.median(means)


def main(rounds: int = 20) -> None:
    data = yaml.safe_load((ROOT / "tests" / "data" / "sensitive_messages.yml").read_text(encoding="utf-8"))
    messages = [m for _, m in data["sensitive"] + data["not_sensitive"]]
    joined = " ".join(messages)
    longest = [joined[i:i + 3000] for i in range(0, len(joined) - 3000, 1500)]
    sensitive.categories("warm up")

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "INSTANCE_PATH": tmp, "DATABASE": f"{tmp}/b.sqlite3",
                          "SECRET_KEY": "x" * 32, "RATELIMIT_ENABLED": False,
                          "DUPLICATE_WINDOW_SECONDS": 0})
        client = app.test_client()
        counter = iter(range(10 ** 9))

        def post(message):
            client.post("/api/v1/submissions", json={"message": f"{next(counter)} {message}"})

        route = per_call_us(post, messages, max(1, rounds // 4))
        storage.close_thread_connections()

    flag = per_call_us(sensitive.categories, messages, rounds)
    flag_long = per_call_us(sensitive.categories, longest, rounds)
    print(f"POST /api/v1/submissions (in-process, SQLite FULL): {route:8.0f} us per request")
    print(f"sensitive.categories, realistic messages ({len(messages)}): {flag:8.0f} us"
          f"  = {flag / route:.1%} of the route")
    print(f"sensitive.categories, 3000-character messages ({len(longest)}): {flag_long:8.0f} us"
          f"  = {flag_long / route:.1%} of the route")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
