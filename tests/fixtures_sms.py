"""Fixtures for the SMS channel: real Kannel (bearerbox + smsbox from Debian's `kannel`) on
free loopback ports, configured by deploy/render_kannel.py exactly as in production but with
Kannel's fake SMS centre, and phones played by Kannel's own `fakesmsc` (`kannel-extras`).

A `Phones` object texts from a number (one fakesmsc run per text: it sends the text, then
collects what comes back until the expected replies are whole) and listens for messages
sent later (the outbox). What a phone shows is decoded from fakesmsc's lines: plain text,
UCS-2, and concatenated parts (UDH) joined back in order.
"""
from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote_from_bytes, unquote_to_bytes

import pytest

from tests import processes
from tests.fixtures_service import ROOT, SECRET, Gunicorn
from tests.processes import free_port

BEARERBOX, SMSBOX = "/usr/sbin/bearerbox", "/usr/sbin/smsbox"
FAKESMSC = "/usr/lib/kannel/test/fakesmsc"
INBOUND_SECRET = "inbound-secret-for-tests-0123"
SENDSMS_PASSWORD = "sendsms-password-for-tests-0123"
SHORT_CODE = "8877"
_GOT = re.compile(r"Got message \d+: <(.*)>\s*$")


def kannel_env() -> dict:
    """The service's side of the SMS settings these Kannel processes expect."""
    return {"FEEDBACK_SMS_INBOUND_SECRET": INBOUND_SECRET, "FEEDBACK_SMS_SENDSMS_PASSWORD": SENDSMS_PASSWORD}


class Kannel:
    """bearerbox + smsbox with the fake SMS centre; `service_url` is the feedback service."""

    def __init__(self, workdir: Path, service_url: str, debug_logs: bool = True,
                 max_pending_requests: int | None = None):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.service_url = service_url
        self.fake_port, self.smsbox_port = free_port(), free_port()
        self.sendsms_port, self.admin_port = free_port(), free_port()
        self.procs: list[subprocess.Popen] = []
        self.conf = self.dir / "kannel.conf"
        env = {**os.environ, **kannel_env()}
        done = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "render_kannel.py"), "--short-code", SHORT_CODE,
             "--service-url", service_url,
             "--fake-smsc-port", str(self.fake_port), "--sendsms-port", str(self.sendsms_port),
             "--smsbox-port", str(self.smsbox_port), "--admin-port", str(self.admin_port),
             "--state-dir", str(self.dir), "--log-dir", str(self.dir), "--output", str(self.conf)]
            # Phones.text(replies=0) reads smsbox's access log; production logs only warnings.
            + (["--debug-logs"] if debug_logs else [])
            + (["--max-pending-requests", str(max_pending_requests)] if max_pending_requests else []),
            env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.sendsms_port}/cgi-bin/sendsms"

    def service_env(self) -> dict:
        """FEEDBACK_* settings that point the service at this Kannel."""
        return {**kannel_env(), "FEEDBACK_SMS_SENDSMS_URL": self.sendsms_url,
                "FEEDBACK_SMS_SERVICE_URL": self.service_url}

    def _spawn(self, binary: str, name: str, port: int, timeout: float) -> None:
        """Start one box and wait until it listens on `port`."""
        log = self.dir / f"{name}.out"
        proc = processes.start([binary, self.conf], log, cwd=self.dir)
        self.procs.append(proc)
        processes.wait_until(processes.listening(port), proc, name, log, timeout, every=0.05)

    def start(self, timeout: float = 20) -> "Kannel":
        self._spawn(BEARERBOX, "bearerbox", self.smsbox_port, timeout)
        self._spawn(SMSBOX, "smsbox", self.sendsms_port, timeout)
        return self

    def stop(self) -> None:
        """Stop smsbox, then bearerbox (which keeps what it holds in its store file)."""
        for proc in reversed(self.procs):
            processes.stop(proc)
        self.procs = []

    def log(self, name: str = "smsbox") -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


# ---------------------------------------------------------------- phones

def encode_mo(number: str, text: str, to: str = SHORT_CODE) -> str:
    """A fakesmsc message line: plain text for ASCII, else UCS-2 as a phone sends Urdu."""
    if text.isascii() and "%" not in text and "\n" not in text:
        return f"{number} {to} text {text}"
    return f"{number} {to} ucs2 {quote_from_bytes(text.encode('utf-16-be'), safe='')}"


def _looks_ucs2(data: bytes) -> bool:
    if len(data) % 2:
        return False
    text = data.decode("utf-16-be", errors="replace")
    return all(c.isascii() or "\u0600" <= c <= "\u06ff" or c in "…’“”–—\u200c\u200f" for c in text)


def _unquote(field: str) -> bytes:
    return unquote_to_bytes(field.replace("+", " "))  # fakesmsc writes a space as +


def decode_line(line: str) -> dict:
    """One message as fakesmsc prints it -> {from, to, text or data, part, parts, ref}."""
    sender, receiver, kind, rest = (line.split(" ", 3) + [""])[:4]
    message = {"from": sender, "to": receiver, "part": 1, "parts": 1, "ref": None}
    if kind == "text":
        message["text"] = rest
    elif kind in ("ucs-2", "ucs2"):
        message["text"] = _unquote(rest).decode("utf-16-be")
    elif kind.startswith("udh"):
        udh_field, _, data_field = rest.partition(" ")
        if data_field.startswith("data "):
            data_field = data_field[5:]
        udh, data = _unquote(udh_field), _unquote(data_field)
        if len(udh) >= 6 and udh[1] == 0x00:  # IEI 0: concatenated message, 8-bit reference
            message.update(ref=udh[3], parts=udh[4], part=udh[5])
        message["text"] = data.decode("utf-16-be") if _looks_ucs2(data) else data.decode("latin-1")
    else:
        message["text"] = rest
    return message


class FakePhone:
    """One fakesmsc run: optionally sends one text, collects messages until stopped."""

    def __init__(self, kannel: Kannel, line: str | None):
        args = [FAKESMSC, "-H", "127.0.0.1", "-r", str(kannel.fake_port), "-i", "0",
                "-m", "1" if line else "0"] + ([line] if line else ["0 0 text unused"])
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.raw: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            found = _GOT.search(raw.decode("utf-8", errors="replace"))
            if found:
                with self.changed:
                    self.raw.append(found.group(1))
                    self.changed.notify_all()

    def messages(self) -> list[dict]:
        """Whole messages, parts joined, in order of arrival of their first part."""
        whole, partial = [], {}
        for line in list(self.raw):
            m = decode_line(line)
            if m["parts"] == 1:
                whole.append(m)
                continue
            key = (m["from"], m["to"], m["ref"])
            group = partial.setdefault(key, {"parts": m["parts"], "got": {}, "at": len(whole)})
            group["got"][m["part"]] = m["text"]
            if len(group["got"]) == group["parts"]:
                whole.append({**m, "text": "".join(group["got"][i] for i in sorted(group["got"])),
                              "part": 1, "parts_received": group["parts"]})
                del partial[key]
        return whole

    def wait(self, count: int, timeout: float) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.messages()) < count and time.monotonic() < deadline:
                self.changed.wait(0.2)
        return self.messages()

    def close(self) -> None:
        processes.stop(self.proc, timeout=5)


class Phones:
    def __init__(self, kannel: Kannel):
        self.kannel = kannel

    def text(self, number: str, text: str, replies: int = 1, timeout: float = 20) -> list[str]:
        """Text from `number`; the replies it got (waits for `replies` whole messages;
        replies=0: waits until smsbox has had the service's answer, then a moment more)."""
        phone = FakePhone(self.kannel, encode_mo(number, text))
        try:
            if replies:
                got = phone.wait(replies, timeout)
            else:
                before = self.kannel.log("smsbox-access").count("SMS HTTP-request")
                deadline = time.monotonic() + timeout
                while self.kannel.log("smsbox-access").count("SMS HTTP-request") <= before and \
                        time.monotonic() < deadline:
                    time.sleep(0.1)
                got = phone.wait(1, 1.0)
            return [m["text"] for m in got]
        finally:
            phone.close()

    def listen(self, count: int, timeout: float = 30) -> list[dict]:
        """Connect a phone that sends nothing; the messages (whole) Kannel hands it."""
        phone = FakePhone(self.kannel, None)
        try:
            return phone.wait(count, timeout)
        finally:
            phone.close()


@contextlib.contextmanager
def _stack(tmp_path: Path, env: dict):
    if not (os.path.exists(BEARERBOX) and os.path.exists(FAKESMSC)):
        pytest.fail("Kannel is not installed: scripts/setup --test installs kannel and kannel-extras")
    server = Gunicorn(tmp_path / "instance")
    server.port = free_port()
    kannel = Kannel(tmp_path / "kannel", server.url)
    server.extra_env = {**kannel.service_env(), "FEEDBACK_SMS_POLL_SECONDS": "0.2", **env}
    stack = SimpleNamespace(server=server, kannel=kannel, phones=Phones(kannel), senders=[])
    try:
        server.start()
        kannel.start()
        yield stack
    finally:
        for proc in stack.senders:
            processes.stop(proc)
        kannel.stop()
        server.stop()


@pytest.fixture
def kannel_stack(tmp_path):
    """The service under gunicorn (SMS on) + Kannel on loopback + phones: .server (Gunicorn),
    .kannel, .phones. No outbox sender: the test starts `flask sms-sender` (`sms_sender`)."""
    with _stack(tmp_path, {}) as stack:
        yield stack


@pytest.fixture
def kannel_onebox(tmp_path):
    """The same, in one-box mode: the service sends the outbox from its own thread."""
    with _stack(tmp_path, {"FEEDBACK_SMS_SENDER_THREAD": "true"}) as stack:
        yield stack


def sms_sender(stack, **env) -> subprocess.Popen:
    """`flask sms-sender` on the stack's database, as the systemd unit runs it (stopped at the
    end of the test)."""
    server = stack.server
    full = {**os.environ, **stack.kannel.service_env(), "FEEDBACK_INSTANCE_PATH": str(server.instance),
            "FEEDBACK_DATABASE": str(server.database), "FEEDBACK_SECRET_KEY": SECRET,
            "FEEDBACK_SMS_POLL_SECONDS": "0.2", "FEEDBACK_SMS_RETRY_BASE_SECONDS": "1",
            "FEEDBACK_SMS_RETRY_MAX_SECONDS": "2", **env}
    proc = processes.start([sys.executable, "-m", "flask", "--app", "feedback_api", "sms-sender"],
                           server.instance.parent / "sms-sender.log", cwd=ROOT, env=full)
    stack.senders.append(proc)
    return proc
