#!/usr/bin/env python3
"""How fast moderation pages answer with a realistic amount of data; writes
benchmarks/moderation_pages.md.

    .venv/bin/python benchmarks/moderation_pages.py [--submissions 20000] [--repeat 15]

Fills a fresh SQLite file with N submissions through storage.insert_submission (mixed Urdu
and English messages, components, districts, channels; a tenth answered), signs in an admin
and a moderator, then times each page in-process through Flask's test client (no network:
what the page costs the server). Reports the median and the slowest of `repeat` runs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from feedback_api import create_app, i18n, references, storage, validation
from feedback_api.storage import moderation as sm

ROOT = Path(__file__).resolve().parent.parent

URDU = ("کفالت کی قسط کب ملے گی رقم نہیں آئی لنگر میں کھانا ختم ہو گیا نشوونما مرکز کے اوقات "
        "اسکالرشپ کی درخواست کیسے دیں رجسٹریشن کا طریقہ بتائیں ضلع دفتر بند تھا").split()
ENGLISH = ("when will the kafalat payment come my registration failed the langar queue was long "
           "scholarship application form nashonuma centre timings district office closed").split()
DISTRICTS = ["Lahore", "Karachi", "Quetta", "Peshawar", "Multan", "Hyderabad", "Sukkur", "Swat"]
PASSWORD = "benchmark password"


def seed(app, count: int, rng: random.Random) -> None:
    db = storage.connect(app.config["DATABASE"], "NORMAL")
    db.path = os.path.abspath(app.config["DATABASE"])
    components = (*i18n.components(), "general")
    for i in range(count):
        urdu = rng.random() < 0.6
        words = rng.choices(URDU if urdu else ENGLISH, k=rng.randint(6, 30))
        message = " ".join(words) + f" {i}"
        row = {"kind": rng.choice(validation.KINDS), "component": rng.choice(components),
               "language": "ur" if urdu else "en", "message": message,
               "district": rng.choice(DISTRICTS), "channel": rng.choice(storage.CHANNELS),
               "sensitive": int(rng.random() < 0.03), "message_hash": validation.message_hash(message)}
        storage.insert_submission(db, row, {"name": "N", "contact": "0300 0000000"} if i % 5 == 0 else None,
                                  storage.now(), references.new_reference)
    db.close()


def timed(client, url: str, repeat: int) -> tuple[float, float, int]:
    times, status = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
    return statistics.median(times), max(times), status


def sign_in(app, name: str):
    client = app.test_client()
    page = client.get("/moderation/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/moderation/sign-in", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"INSTANCE_PATH": f"{tmp}/instance", "DATABASE": f"{tmp}/bench.sqlite3",
                          "SECRET_KEY": "benchmark", "RATELIMIT_ENABLED": False})
        started = time.perf_counter()
        seed(app, args.submissions, rng)
        seeded = time.perf_counter() - started
        with app.app_context():
            from werkzeug.security import generate_password_hash
            db = storage.get_db()
            sm.create_user(db, "admin", generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), "admin")
            sm.create_user(db, "mod", generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"), "moderator")
            reference = db.execute("SELECT reference FROM submissions WHERE sensitive = 0 ORDER BY id DESC LIMIT 1").fetchone()[0]
        admin, mod = sign_in(app, "admin"), sign_in(app, "mod")
        pages = [
            ("moderator", mod, "/moderation/", "queue, first page (50 of all open)"),
            ("moderator", mod, "/moderation/?page=100", "queue, page 100"),
            ("moderator", mod, "/moderation/?q=قسط", "search, one Urdu word"),
            ("moderator", mod, "/moderation/?q=kafalat payment&language=en&status=all", "search, two English words + filter"),
            ("moderator", mod, "/moderation/?district=Quetta&channel=sms&kind=complaint&status=all", "filters only"),
            ("moderator", mod, f"/moderation/submissions/{reference}", "one submission"),
            ("moderator", mod, "/moderation/dashboard", "dashboard, 8 weeks"),
            ("admin", admin, "/moderation/?sensitive=1", "sensitive queue"),
            ("admin", admin, "/moderation/audit", "audit log"),
            ("admin", admin, "/moderation/export.csv?status=all&personal=1", "CSV export, every row"),
        ]
        rows = []
        for who, client, url, what in pages:
            repeat = 3 if "export" in url else args.repeat
            median, worst, status = timed(client, url, repeat)
            rows.append((what, who, url, median, worst, status, repeat))
            print(f"{what:45} {median:8.1f} ms  (max {worst:.1f}, {status})", flush=True)
        export_bytes = len(admin.get("/moderation/export.csv?status=all&personal=1").get_data())
        storage.close_thread_connections()
    load = os.getloadavg()[0]
    lines = [
        "# Moderation pages: time per page with realistic data",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `.venv/bin/python benchmarks/moderation_pages.py "
        f"--submissions {args.submissions} --repeat {args.repeat}` (the script writes this file).",
        "",
        f"- Machine: {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}; "
        f"load average {load:.2f} at the end (other work on the machine slows these figures).",
        f"- Data: {args.submissions:,} submissions (60 % Urdu, 3 % sensitive, a fifth with contact details), "
        f"seeded through `storage.insert_submission` in {seeded:.1f} s.",
        "- Timing: in-process through Flask's test client (rendering included, no network), median and "
        "slowest of the runs; the export streams every matching row.",
        f"- The full CSV export with personal data was {export_bytes / 1e6:.1f} MB.",
        "",
        "| Page | As | Median ms | Slowest ms | Runs | Status |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for what, who, url, median, worst, status, repeat in rows:
        lines.append(f"| {what} (`{url}`) | {who} | {median:.1f} | {worst:.1f} | {repeat} | {status} |")
    (ROOT / "benchmarks" / "moderation_pages.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
