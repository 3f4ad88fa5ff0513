#!/usr/bin/env python3
"""Moderation at scale: every moderation page, over HTTP through gunicorn with the project's
configuration, signed in as an admin, with N synthetic submissions; writes benchmarks/scale.md.

    nice -n 5 .venv/bin/python benchmarks/scale.py 10000 100000 1000000 [--requests 20] [--cache DIR]

For each N: a fresh database made by `flask init-db`; N submissions (60 % Urdu, 6 components,
30 districts, 180 days; older ones mostly answered or closed, 3 % sensitive, 8 % spam, a fifth
with contact details, an answer and an audit entry for each answered one) inserted through SQL
in arrival order, as the service would have stored them (each with its duplicate group key; a
tenth from a pool of 300 common messages, half of those in other case and spacing); an admin
created with `flask create-user` and signed in through the real form; gunicorn started with deploy/gunicorn.conf.py.
Each page is fetched once to warm up, then `--requests` times: p50 and p95 of the full response.
The CSV export of everything: time to the first byte, rows per second, and the worker's
resident memory before and at its highest during the export. The first N (10,000 unless given)
is the baseline: every page's p50 is also shown as a ratio to it, measured in the same run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
PASSWORD = "scale benchmark password"

URDU = ("کفالت کی قسط کب ملے گی میری رقم نہیں آئی لنگر میں کھانا ختم ہو گیا نشوونما مرکز کے اوقات "
        "اسکالرشپ کی درخواست کیسے دیں رجسٹریشن کا طریقہ بتائیں ضلع دفتر بند تھا ایجنٹ نے پیسے کاٹے "
        "بائیو میٹرک تصدیق نہیں ہوئی شناختی کارڈ کی معیاد ختم سروے میں نام نہیں آیا پیغام نہیں ملا "
        "بیوہ خاتون ہوں مدد چاہیے بچوں کی تعلیم وظیفہ اہلیت معلوم کریں").split()
ENGLISH = ("when will the kafalat payment come my registration failed the langar queue was long "
           "scholarship application form nashonuma centre timings district office closed agent "
           "took money biometric verification failed cnic expired survey name missing no sms "
           "received widow need help children education stipend eligibility check").split()
COMPONENTS = ("emergency-cash", "kafalat", "langar", "nashonuma", "amdan", "undergraduate-scholarships")
KINDS = ("question", "feedback", "complaint", "suggestion", "appreciation")
CHANNELS = ("web",) * 14 + ("town_hall", "feedback_session", "helpline", "sms", "field_visit", "sms")
DISTRICTS = ("Lahore", "Karachi Central", "Karachi East", "Quetta", "Peshawar", "Multan", "Hyderabad",
             "Sukkur", "Swat", "Faisalabad", "Rawalpindi", "Gujranwala", "Sialkot", "Bahawalpur",
             "Dera Ghazi Khan", "Larkana", "Thatta", "Tharparkar", "Mardan", "Abbottabad", "Bannu",
             "Kohat", "Gwadar", "Turbat", "Khuzdar", "Muzaffargarh", "Rahim Yar Khan", "Sargodha",
             "Jhang", "Okara")
DAYS = 180


def message_hash(message: str) -> str:
    # feedback_api.validation.message_hash, repeated so seeding needs no app import.
    return hashlib.sha256(" ".join(message.casefold().split()).encode("utf-8")).hexdigest()


def reference(sid: int) -> str:
    """A valid reference (feedback_api.references' shape and check symbol) made from the id."""
    from feedback_api.references import ALPHABET, check_symbol, format_reference
    data = "".join(ALPHABET[(sid * 2654435761 >> (5 * i)) & 31] for i in range(10))
    return format_reference(data + check_symbol(data))


def topic_codes() -> list[str]:
    import yaml
    table = yaml.safe_load((ROOT / "data" / "topic_codes.yml").read_text(encoding="utf-8"))
    return [f"{t}-{p}" for t in table["types"] for p in table["topics"]]


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(path: str, n: int, rng: random.Random) -> float:
    """Insert n submissions (and their contacts, answers, audit entries) through SQL."""
    from feedback_api.folding import group_key

    started = time.perf_counter()
    codes = topic_codes()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    start = now - dt.timedelta(days=DAYS)
    span = DAYS * 86400
    # A pool of messages many people send word for word (or nearly): triage groups them.
    common = [" ".join(rng.choices(URDU if i % 5 < 3 else ENGLISH, k=rng.randint(5, 12))) for i in range(300)]
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")  # seeding only; the service keeps FULL
    conn.execute("PRAGMA cache_size = -500000")  # 500 MB: a million rows' indexes stay in memory
    offsets = sorted(rng.random() * span for _ in range(n))
    batch_subs, batch_contacts, batch_answers, batch_audit = [], [], [], []
    admin_id = conn.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()
    admin_id = admin_id[0] if admin_id else None

    def flush():
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO submissions (id, reference, kind, component, language, message, page, district,"
            " channel, status, spam_reason, sensitive, topic_code, duplicate_of, client_hash, message_hash,"
            " received_at, gathered_on, updated_at, first_answered_at, group_key)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch_subs)
        conn.executemany("INSERT INTO contacts (submission_id, name, contact, consent_to_contact)"
                         " VALUES (?, ?, ?, ?)", batch_contacts)
        conn.executemany("INSERT INTO answers (submission_id, body, language, public_question, published,"
                         " listed, author_id, created_at, updated_at, published_at)"
                         " VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)", batch_answers)
        conn.executemany("INSERT INTO audit_log (at, user_id, action, submission_id, before, after)"
                         " VALUES (?, ?, 'answer_publish', ?, NULL, ?)", batch_audit)
        conn.execute("COMMIT")
        for batch in (batch_subs, batch_contacts, batch_answers, batch_audit):
            batch.clear()

    recent: list[tuple[int, str]] = []
    for i in range(n):
        sid = i + 1
        received = start + dt.timedelta(seconds=int(offsets[i]))
        age_days = (now - received).days
        urdu = rng.random() < 0.6
        language = "ur" if urdu else "en"
        duplicate_of = None
        if recent and rng.random() < 0.02:
            duplicate_of, message = rng.choice(recent)
        elif rng.random() < 0.1:
            message = rng.choice(common)
            if rng.random() < 0.5:  # near duplicate: other case and spacing
                message = "  " + message.upper() + " "
        else:
            message = " ".join(rng.choices(URDU if urdu else ENGLISH, k=rng.randint(6, 40)))
            if rng.random() < 0.05:
                message += f" 03{rng.randint(0, 49):02d}-{rng.randint(0, 9999999):07d}"
            message += f" {sid}"
        r = rng.random()
        if age_days < 14:
            status = "new" if r < .70 else "in_review" if r < .85 else "answered" if r < .93 else "closed" if r < .95 else "spam"
        else:
            status = "new" if r < .15 else "in_review" if r < .20 else "answered" if r < .70 else "closed" if r < .92 else "spam"
        sensitive = int(status != "spam" and rng.random() < 0.03)
        if sensitive and status == "answered":
            status = "closed"
        received_at = stamp(received)
        answered_at = None
        if status == "answered":
            answered_at = stamp(min(now, received + dt.timedelta(hours=rng.uniform(0.2, 96))))
        channel = rng.choice(CHANNELS)
        batch_subs.append((
            sid, reference(sid), rng.choice(KINDS), rng.choice(COMPONENTS), language, message,
            "/ur/kafalat/" if channel == "web" and rng.random() < 0.3 else None,
            rng.choice(DISTRICTS) if rng.random() < 0.9 else None, channel, status,
            "link" if status == "spam" else None, sensitive,
            rng.choice(codes) if status not in ("new", "spam") else None, duplicate_of,
            f"{rng.getrandbits(64):016x}" if channel == "web" else None, message_hash(message),
            received_at, received_at[:10] if channel != "web" else None, answered_at or received_at,
            answered_at, group_key(message)))
        if rng.random() < 0.2:
            batch_contacts.append((sid, "نام" if urdu else "Name", f"03{rng.randint(0, 49):02d}{rng.randint(0, 9999999):07d}",
                                   int(rng.random() < 0.7)))
        if status == "answered":
            body = ("آپ کی قسط اگلے ماہ جاری ہو گی۔ ہیلپ لائن پر رابطہ کریں۔" if urdu
                    else "Your payment will be released next month. Call the helpline.")
            question = message if rng.random() < 0.1 else None
            # Listed only with its question (migration 0007 refuses a listed answer without one).
            batch_answers.append((sid, body, language, question, int(rng.random() < 0.1 and question is not None),
                                  admin_id, answered_at, answered_at, answered_at))
            batch_audit.append((answered_at, admin_id, sid, json.dumps({"published": 1})))
        if duplicate_of is None and rng.random() < 0.01:
            recent.append((sid, message))
            recent = recent[-500:]
        if len(batch_subs) >= 20000:
            flush()
    flush()
    # Every row got its duplicate group as insert_submission gives it: nothing to backfill.
    conn.execute("UPDATE triage_progress SET groups_done_to = (SELECT max(id) FROM submissions)")
    conn.commit()
    conn.close()
    return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn with deploy/gunicorn.conf.py on a free port, against one database."""

    def __init__(self, db: str, secret: str):
        self.port = free_port()
        self.env = {**os.environ, "FEEDBACK_DATABASE": db, "FEEDBACK_SECRET_KEY": secret,
                    "FEEDBACK_BIND": f"127.0.0.1:{self.port}", "FEEDBACK_ACCESS_LOG": "",
                    "FEEDBACK_LOG_LEVEL": "warning", "NO_MKDOCS_2_WARNING": "1"}
        self.url = f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, stdin: str | None = None) -> str:
        return subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "feedback_api", *args],
                              cwd=ROOT, env=self.env, input=stdin, text=True, check=True,
                              capture_output=True).stdout

    def __enter__(self):
        self.proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py"],
                                     cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.time() + 600
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/livez", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return int(children[0])

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def sign_in(url: str) -> requests.Session:
    client = requests.Session()
    page = client.get(url + "/moderation/sign-in").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(url + "/moderation/sign-in", allow_redirects=False,
                           data={"username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return client


def timed(client: requests.Session, url: str, count: int) -> dict:
    client.get(url)  # warm up (templates, caches, the page's first read from disk)
    times, status = [], None
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        status = response.status_code
    times.sort()
    return {"p50": statistics.median(times), "p95": times[max(0, round(0.95 * len(times)) - 1)],
            "status": status}


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a [^>]*href="([^"]+)"[^>]*rel="{rel}"', html) or \
        re.search(rf'<a [^>]*rel="{rel}"[^>]*href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def page_urls(client: requests.Session, base: str) -> tuple[str, str]:
    """Page 200 of all statuses, newest first, and its last page, as a moderator reaches them:
    by the pager's own links (numbered pages where it has them, else 199 clicks on "Older";
    where there are fewer pages, the deepest one)."""
    start = "/moderation/?status=all"
    first = client.get(base + start).text
    numbered = re.search(r"Page 1 of ([\d,]+)", first)
    if numbered:
        last = int(numbered.group(1).replace(",", ""))
        return f"{start}&page={min(200, last)}", f"{start}&page={last}"
    url, html = start, first
    for _ in range(199):
        deeper = link(html, "next")
        if deeper is None:
            break
        url = deeper
        html = client.get(base + url).text
    return url, link(first, "last")


def export(server: Server, client: requests.Session) -> dict:
    pid = server.worker_pid()
    before = rss_kib(pid)
    peak = [before]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.perf_counter()
    first = None
    size = lines = 0
    with client.get(server.url + "/moderation/export.csv?status=all", stream=True) as response:
        for chunk in response.iter_content(65536):
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\r\n")
    total = time.perf_counter() - started
    done.set()
    watcher.join()
    rows = lines - 1
    return {"first_byte_ms": first * 1000, "seconds": total, "rows": rows, "rows_per_s": rows / total,
            "mb": size / 1e6, "rss_before_mib": before / 1024, "rss_peak_mib": peak[0] / 1024}


def checkpoint(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    conn.close()


def seeded_copy(n: int, db: str, cache: str | None) -> float:
    """A database made by init-db with an admin and n submissions at `db`; seeded afresh, or
    copied from `cache` where an earlier run left one (seeding a million rows takes minutes)."""
    kept = Path(cache) / f"scale-{n}.sqlite3" if cache else None
    if kept and kept.exists():
        # Brought to this code's schema, its backfills finished, before the copy: otherwise the
        # copy's would run beside the pages measured.
        Server(str(kept), "scale-benchmark-secret").cli("init-db")
        checkpoint(str(kept))
        shutil.copyfile(kept, db)
        return 0.0
    target = str(kept) if kept else db
    server = Server(target, "scale-benchmark-secret")
    server.cli("init-db")
    server.cli("create-user", "admin", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    took = seed(target, n, random.Random(n))
    checkpoint(target)
    if kept:
        shutil.copyfile(kept, db)
    return took


def measure(n: int, count: int, tmp: str, cache: str | None) -> dict:
    db = f"{tmp}/scale-{n}.sqlite3"
    server = Server(db, "scale-benchmark-secret")
    seeded = seeded_copy(n, db, cache)
    size_mb = os.path.getsize(db) / 1e6
    print(f"N={n:,}: " + (f"seeded in {seeded:.0f} s" if seeded else "copied from the cache")
          + f" ({size_mb:.0f} MB)", flush=True)
    load_before = os.getloadavg()[0]
    with server:
        started = time.perf_counter()
        client = sign_in(server.url)
        sign_in_s = time.perf_counter() - started
        ref = reference(n // 2)
        page200, last = page_urls(client, server.url)
        largest = re.search(r'href="(/moderation/groups/\d+)"', client.get(server.url + "/moderation/groups").text)
        pages = [
            ("queue (open, newest first)", "/moderation/"),
            ("all statuses", "/moderation/?status=all"),
            ("status: answered", "/moderation/?status=answered"),
            ("status: spam", "/moderation/?status=spam"),
            ("oldest first", "/moderation/?order=oldest"),
            ("kind: complaint", "/moderation/?kind=complaint"),
            ("component: kafalat", "/moderation/?component=kafalat"),
            ("language: en", "/moderation/?language=en"),
            ("district: Quetta", "/moderation/?district=Quetta"),
            ("channel: sms", "/moderation/?channel=sms"),
            ("topic code (all statuses)", "/moderation/?topic_code=COM-PAY&status=all"),
            ("date range (a week, all)", "/moderation/?status=all&date_from="
             + (dt.date.today() - dt.timedelta(days=60)).isoformat() + "&date_to="
             + (dt.date.today() - dt.timedelta(days=53)).isoformat()),
            ("component + district (all)", "/moderation/?component=kafalat&district=Quetta&status=all"),
            ("sensitive queue", "/moderation/?sensitive=1"),
            ("search, Urdu word", "/moderation/?q=قسط"),
            ("search, Urdu word, all", "/moderation/?q=قسط&status=all"),
            ("search, English words", "/moderation/?q=payment kafalat&status=all"),
            ("page 200", page200),
            ("last page", last),
            ("submission page", f"/moderation/submissions/{ref}"),
            ("duplicate groups", "/moderation/groups"),
            ("largest duplicate group", largest.group(1) if largest else "/moderation/groups"),
            ("dashboard (8 weeks)", "/moderation/dashboard"),
            ("dashboard (26 weeks)", "/moderation/dashboard?weeks=26"),
            ("district digest", "/moderation/digest?district=Quetta&lang=ur"),
            ("audit log", "/moderation/audit"),
        ]
        results = {}
        for name, url in pages:
            results[name] = {"url": url, **timed(client, server.url + url, count)}
            r = results[name]
            print(f"  {name:32} p50 {r['p50']:8.1f} ms  p95 {r['p95']:8.1f} ms  {r['status']}", flush=True)
        exported = export(server, client)
        print(f"  export: {exported}", flush=True)
    return {"n": n, "seeded_s": seeded, "db_mb": size_mb, "sign_in_s": sign_in_s, "pages": results,
            "export": exported, "load_before": load_before, "load_after": os.getloadavg()[0]}


def write(runs: list[dict], command: str, out: Path, count: int) -> None:
    base = runs[0]
    lines = [
        "# Moderation at scale: every page over HTTP with N submissions",
        "",
        f"Measured {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `{command}` (the script "
        "writes this file; how it seeds and measures is in its docstring).",
        "",
        f"- Machine: {os.cpu_count()} cores shared with other work, Linux {platform.release()}, Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}; gunicorn with deploy/gunicorn.conf.py "
        "(1 process x 8 threads), an admin signed in through the form, one client at a time.",
        "- Load average (1 min) before/after each size: " + "; ".join(
            f"{r['n']:,}: {r['load_before']:.1f}/{r['load_after']:.1f}" for r in runs) + ".",
        "- Database size: " + "; ".join(f"{r['n']:,}: {r['db_mb']:.0f} MB" for r in runs) + ".",
        "",
        f"p50 / p95 in ms of {count} requests per page; `(x)` is the p50 as a multiple of the same "
        f"page's p50 at {base['n']:,} in this run.",
        "",
        "| Page | " + " | ".join(f"{r['n']:,}" for r in runs) + " |",
        "|---|" + "---:|" * len(runs),
    ]
    for name in base["pages"]:
        cells = []
        for r in runs:
            p = r["pages"].get(name)
            if p is None:
                cells.append("")
                continue
            ratio = p["p50"] / base["pages"][name]["p50"] if base["pages"][name]["p50"] else 0
            cells.append(f"{p['p50']:.0f} / {p['p95']:.0f}" + (f" ({ratio:.1f}x)" if r is not base else "")
                         + ("" if p["status"] == 200 else f" [{p['status']}]"))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "CSV export of every row (`/moderation/export.csv?status=all`):", "",
              "| N | first byte ms | total s | rows/s | MB | worker RSS before -> peak MiB |",
              "|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        e = r["export"]
        lines.append(f"| {r['n']:,} | {e['first_byte_ms']:.0f} | {e['seconds']:.1f} | {e['rows_per_s']:,.0f} | "
                     f"{e['mb']:.0f} | {e['rss_before_mib']:.0f} -> {e['rss_peak_mib']:.0f} |")
    lines += ["", "Pages measured:", ""]
    for name, p in base["pages"].items():
        lines.append(f"- {name}: `{p['url']}`")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10000, 100000])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "scale.md"))
    parser.add_argument("--json", help="also write the raw figures here")
    parser.add_argument("--tmp", default=None, help="directory for the databases (default: a temporary one)")
    parser.add_argument("--cache", default=None, help="keep seeded databases here and reuse them")
    args = parser.parse_args()
    sizes = args.sizes
    command = "nice -n 5 .venv/bin/python benchmarks/scale.py " + " ".join(map(str, args.sizes))
    if args.requests != 20:
        command += f" --requests {args.requests}"
    if args.cache:
        command += f" --cache {args.cache}"
    runs = []
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for n in sizes:  # the first is the baseline of the ratios
            runs.append(measure(n, args.requests, tmp, args.cache))
            for suffix in ("", "-wal", "-shm"):
                Path(f"{tmp}/scale-{n}.sqlite3{suffix}").unlink(missing_ok=True)
            write(runs, command, Path(args.out), args.requests)
            if args.json:
                Path(args.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
