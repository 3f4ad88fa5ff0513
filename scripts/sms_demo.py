"""scripts/sms-demo: the SMS channel on loopback, and the exchange as the phone saw it.

Starts Kannel (bearerbox + smsbox, configured by deploy/render_kannel.py with its fake SMS
centre) and the feedback service under gunicorn with the outbox sender as a thread (one-box
mode); a phone (Kannel's fakesmsc) texts a keyword in Urdu, a question, its reference; a
moderator signs in over HTTP and publishes an answer, which reaches the phone; then STOP.
Everything runs in a temporary folder and stops at the end.
"""
from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import requests

from feedback_api import i18n
from feedback_api.sms import parts
from tests.fixtures_moderation import CHEAP_HASH, add_user
from tests.fixtures_service import SECRET, Gunicorn, free_port, make_app, read_rows
from tests.fixtures_sms import SHORT_CODE, Kannel, Phones

PHONE = "03001234567"
PASSWORD = "demo moderator password"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def show(direction: str, text: str) -> None:
    info = parts.count(text)
    tag = "" if direction == "→" else f"   [{info['parts']} part{'s' if info['parts'] != 1 else ''}, " \
                                      f"{'GSM-7' if info['encoding'] == 'gsm7' else 'UCS-2'}]"
    prefix = "  phone →" if direction == "→" else "  phone ←"
    lines = text.split("\n")
    print(f"{prefix} {lines[0]}{tag}")
    for line in lines[1:]:
        print(f"          {line}")


def exchange(phones: Phones, text: str) -> str:
    show("→", text)
    replies = phones.text(PHONE, text)
    for reply in replies:
        show("←", reply)
    return replies[0] if replies else ""


def moderator_publishes(url: str, reference: str, body: str) -> None:
    session = requests.Session()
    page = session.get(url + "/moderation/sign-in", timeout=10).text
    session.post(url + "/moderation/sign-in", timeout=10, data={
        "username": "demo", "password": PASSWORD, "csrf_token": TOKEN.search(page).group(1)})
    for action in ("save", "publish"):   # a draft first: the page then counts its SMS parts
        page = session.get(f"{url}/moderation/submissions/{reference}", timeout=10).text
        preview = re.search(r"Publishing also texts the answer[^<]*<strong>([^<]+)</strong>\s*\(([^)]*)\)", page)
        done = session.post(f"{url}/moderation/submissions/{reference}/answer", timeout=10,
                            allow_redirects=False, data={"body": body, "language": "ur", "action": action,
                                                         "csrf_token": TOKEN.search(page).group(1)})
        assert done.status_code == 303, done.status_code
    print(f"  [a moderator saves a draft answer to {reference} at /moderation/; the page says publishing"
          f" texts it in {preview.group(1)} ({preview.group(2)}); the moderator publishes]")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="sms-demo-") as tmp:
        root = Path(tmp)
        server = Gunicorn(root / "instance")
        server.port = free_port()
        kannel = Kannel(root / "kannel", server.url)
        server.extra_env = {**kannel.service_env(), "FEEDBACK_SMS_SENDER_THREAD": "true",
                            "FEEDBACK_SMS_POLL_SECONDS": "0.5", "FEEDBACK_PASSWORD_METHOD": CHEAP_HASH}
        try:
            server.start()
            kannel.start()
            app = make_app(root / "cli", DATABASE=str(server.database), SECRET_KEY=SECRET)
            add_user(app, "demo", "moderator", PASSWORD)
            print(f"Kannel bearerbox + smsbox on loopback (fake SMS centre :{kannel.fake_port}, sendsms "
                  f":{kannel.sendsms_port}), the service at {server.url}; the phone {PHONE} texts "
                  f"the short code {SHORT_CODE} through Kannel's fakesmsc.\n")
            exchange(Phones(kannel), "کفالت")
            receipt = exchange(Phones(kannel), "میری کفالت کی قسط تین مہینے سے نہیں آئی۔ کب آئے گی؟")
            reference = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", receipt).group(0)
            urdu = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
            exchange(Phones(kannel), reference.lower().replace("-", " ").translate(urdu))
            moderator_publishes(server.url, reference,
                                "آپ کی قسط اگلے ہفتے آپ کے قریبی مرکز پر ملے گی۔ کسی کو پیسے نہ دیں۔")
            [answer] = Phones(kannel).listen(1, timeout=30)
            show("←", answer["text"])
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                [row] = read_rows(str(server.database), "SELECT status, dlr_status FROM sms_outbox")
                if row["status"] == "delivered":
                    break
                time.sleep(0.2)
            print(f"  [outbox: {row['status']}, Kannel's delivery report type {row['dlr_status']}]")
            exchange(Phones(kannel), "بند")
            print(f"\n{i18n.t('en', 'sms.stopped')!r} is the English of that last reply; the number "
                  "now gets nothing until it texts START (شروع).")
        finally:
            kannel.stop()
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
