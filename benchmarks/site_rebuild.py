"""How long an answer takes to reach the public site in one-box mode (background rebuild), against
a plain `mkdocs build --strict` measured in the same run as the baseline.

    nice -n 10 .venv/bin/python -m benchmarks.site_rebuild 3

Starts gunicorn (deploy/gunicorn.conf.py) serving a fresh build of the site, signs in as an
admin over HTTP, publishes a listed answer, and polls /answered/ until the answer is there; the
time from the Publish request to the first page showing it, N times. Prints a Markdown table.
"""
from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from feedback_api import create_app, storage
from tests.fixtures_moderation import CHEAP_HASH, PASSWORD, add_user
from tests.fixtures_service import ROOT, SECRET, Gunicorn

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def plain_build(dest: Path) -> float:
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)], cwd=ROOT,
                   check=True, capture_output=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
    return time.monotonic() - start


def main(runs: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    baseline = [plain_build(tmp / f"plain-{n}") for n in range(runs)]
    site = tmp / "site"
    plain_build(site)
    instance = tmp / "instance"
    app = create_app({"INSTANCE_PATH": str(instance), "DATABASE": str(instance / "feedback.sqlite3"),
                      "SECRET_KEY": SECRET, "PASSWORD_METHOD": CHEAP_HASH})
    add_user(app, "ada", "admin")
    storage.close_thread_connections()
    server = Gunicorn(instance, {"FEEDBACK_PASSWORD_METHOD": CHEAP_HASH, "FEEDBACK_SITE_DIR": str(site),
                                 "FEEDBACK_LIMIT_SUBMISSIONS": "1000 per minute", "FEEDBACK_FEED_CACHE_SECONDS": "0"})
    server.start()
    try:
        session = requests.Session()
        page = session.get(server.url + "/moderation/sign-in").text
        session.post(server.url + "/moderation/sign-in", data={
            "username": "ada", "password": PASSWORD, "csrf_token": TOKEN.search(page).group(1)})
        token = TOKEN.search(session.get(server.url + "/moderation/intake").text).group(1)
        delays = []
        for n in range(runs):
            ref = requests.post(server.url + "/api/v1/submissions", timeout=10, json={
                "message": f"Benchmark question {n}", "kind": "question", "language": "en"}).json()["reference"]
            marker = f"BENCHANSWER{n}x{int(time.time())}"
            start = time.monotonic()
            session.post(f"{server.url}/moderation/submissions/{ref}/answer", data={
                "csrf_token": token, "body": marker, "language": "en", "action": "publish", "listed": "1",
                "public_question": f"Benchmark question {n}?"})
            while marker not in requests.get(server.url + "/answered/", timeout=10).text:
                time.sleep(0.5)
            delays.append(time.monotonic() - start)
    finally:
        server.stop()
    print("| measure | median | min | max |\n|---|---|---|---|")
    for label, values in (("plain `mkdocs build --strict` (baseline)", baseline),
                          ("Publish → answer on /answered/ (one box, background rebuild)", delays)):
        print(f"| {label} | {statistics.median(values):.1f} s | {min(values):.1f} s | {max(values):.1f} s |")
    print(f"\nratio (median): {statistics.median(delays) / statistics.median(baseline):.1f}x a plain build")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
