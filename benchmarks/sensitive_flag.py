"""What the automatic sensitive flag costs on the busiest route: CPU time of
`sensitive.categories()` per message, against two baselines measured in the same run: a plain
matcher over the same terms (NFKC + casefold, one regex per category: what the flag was before
it folded disguises and read near-rules) and a whole in-process POST /api/v1/submissions
(validation, flag, SQLite insert with synchronous=FULL).

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

import re
import unicodedata

import yaml

from feedback_api import create_app, i18n, sensitive, storage

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


def plain_matcher():
    """The baseline: the same terms matched as they are written, one regex per category."""
    table = yaml.safe_load((i18n.data_dir() / "sensitive_keywords.yml").read_text(encoding="utf-8"))
    fold = lambda text: " ".join(unicodedata.normalize("NFKC", text).casefold().split())  # noqa: E731
    patterns = [re.compile(r"(?<!\w)(?:" + "|".join(sorted(
        {re.escape(fold(str(t).rstrip("="))) for ts in by_language.values() for t in ts},
        key=len, reverse=True)) + ")") for by_language in table["terms"].values()]
    return lambda message: [p for p in patterns if p.search(fold(message))]


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

    plain = plain_matcher()
    base = per_call_us(plain, messages, rounds)
    base_long = per_call_us(plain, longest, rounds)
    flag = per_call_us(sensitive.categories, messages, rounds)
    flag_long = per_call_us(sensitive.categories, longest, rounds)
    print(f"POST /api/v1/submissions (in-process, SQLite FULL): {route:8.0f} us per request")
    for name, ours, plain_us, count in (("realistic messages", flag, base, len(messages)),
                                        ("3000-character messages", flag_long, base_long, len(longest))):
        print(f"{name} ({count}): flag {ours:7.0f} us = {ours / plain_us:4.1f} x the plain matcher"
              f" ({plain_us:.0f} us), {ours / route:.1%} of the route")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
