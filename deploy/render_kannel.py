#!/usr/bin/env python3
"""Render deploy/kannel/kannel.conf (Kannel's bearerbox + smsbox) for this service.

Secrets come from the environment, never from the command line (which other users can see
in `ps`): FEEDBACK_SMS_INBOUND_SECRET (Kannel -> service), FEEDBACK_SMS_SENDSMS_PASSWORD
(service -> Kannel) and optionally KANNEL_ADMIN_PASSWORD (Kannel's status page; random if
unset). The same two FEEDBACK_ values go in the service's environment file.

    deploy/render_kannel.py --short-code SHORTCODE --smsc-file /etc/ehsaas/smsc.conf --output /etc/ehsaas/kannel.conf
    deploy/render_kannel.py --short-code 8877 --fake-smsc-port 10000 ...   # Kannel's fake SMS centre (tests)
        [--service-url http://127.0.0.1:8000] [--sendsms-port 13013] [--smsbox-port 13001]
        [--admin-port 13000] [--state-dir /var/lib/ehsaas-kannel] [--log-dir /var/log/ehsaas-kannel]
        [--sendsms-user feedback] [--inbound-user kannel] [--max-pending-requests 32] [--debug-logs]
Standard library only. The output file is written readable by its owner only (it holds secrets).
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent / "kannel"
TEMPLATE = HERE / "kannel.conf"
FAKE_SMSC = HERE / "smsc-fake.conf"
SAFE_SECRET = re.compile(r"[A-Za-z0-9._~-]{16,128}")   # URL- and config-safe, long enough
SAFE_WORD = re.compile(r"[A-Za-z0-9._-]{1,64}")
SAFE_PATH = re.compile(r"/[A-Za-z0-9._/-]*")
# Texts smsbox posts to the service at once (Kannel's default is 512). A few per gunicorn
# thread keep every thread busy; hundreds of open requests only cost smsbox and gunicorn CPU
# juggling connections (benchmarks/sms_throughput.md: smsbox 2.0 -> 1.0 ms a text).
MAX_PENDING_REQUESTS = 32


class RenderError(Exception):
    pass


def render(env: dict, short_code: str, service_url: str = "http://127.0.0.1:8000", smsc_file: Path | None = None,
           fake_smsc_port: int | None = None, sendsms_port: int = 13013, smsbox_port: int = 13001,
           admin_port: int = 13000, state_dir: str = "/var/lib/ehsaas-kannel",
           log_dir: str = "/var/log/ehsaas-kannel", sendsms_user: str = "feedback",
           inbound_user: str = "kannel", debug_logs: bool = False,
           max_pending_requests: int = MAX_PENDING_REQUESTS) -> str:
    inbound = env.get("FEEDBACK_SMS_INBOUND_SECRET") or ""
    sendsms = env.get("FEEDBACK_SMS_SENDSMS_PASSWORD") or ""
    admin = env.get("KANNEL_ADMIN_PASSWORD") or secrets.token_urlsafe(24)
    for name, value in (("FEEDBACK_SMS_INBOUND_SECRET", inbound), ("FEEDBACK_SMS_SENDSMS_PASSWORD", sendsms),
                        ("KANNEL_ADMIN_PASSWORD", admin)):
        if not SAFE_SECRET.fullmatch(value):
            raise RenderError(f"{name} must be set in the environment: 16-128 letters, digits, . _ ~ - "
                              "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
    if not re.fullmatch(r"\+?[0-9]{3,15}|[A-Za-z0-9 ]{1,11}", short_code):
        raise RenderError(f"--short-code {short_code!r}: the number people text (digits), or an 11-letter sender id")
    for name, value in (("--sendsms-user", sendsms_user), ("--inbound-user", inbound_user)):
        if not SAFE_WORD.fullmatch(value):
            raise RenderError(f"{name} {value!r}: letters, digits, . _ - only")
    for name, value in (("--state-dir", state_dir), ("--log-dir", log_dir)):
        if not SAFE_PATH.fullmatch(value):
            raise RenderError(f"{name} {value!r}: an absolute path without spaces or quotes")
    if not 1 <= int(max_pending_requests) <= 10_000:
        raise RenderError(f"--max-pending-requests {max_pending_requests}: from 1 to 10000")
    url = urlsplit(service_url)
    if url.scheme not in ("http", "https") or not url.hostname or url.username or url.query or \
            not re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", url.netloc) or not SAFE_PATH.fullmatch(url.path or "/"):
        raise RenderError(f"--service-url {service_url!r}: like http://127.0.0.1:8000")
    if (smsc_file is None) == (fake_smsc_port is None):
        raise RenderError("give exactly one of --smsc-file (the operator's SMS centre) or --fake-smsc-port")
    if smsc_file is not None:
        smsc = smsc_file.read_text(encoding="utf-8")
        groups = re.findall(r"^\s*group\s*=\s*(\S*)", smsc, re.M)
        if not groups or set(groups) != {"smsc"}:
            raise RenderError(f"{smsc_file}: must hold only 'group = smsc' sections")
    else:
        smsc = FAKE_SMSC.read_text(encoding="utf-8").replace("@FAKE_SMSC_PORT@", str(int(fake_smsc_port)))
    ports = {"ADMIN_PORT": admin_port, "SMSBOX_PORT": smsbox_port, "SENDSMS_PORT": sendsms_port}
    for name, port in ports.items():
        if not 0 < int(port) < 65536:
            raise RenderError(f"{name.lower()} {port}: not a port")
    base = f"{url.scheme}://{inbound_user}:{inbound}@{url.netloc}{url.path.rstrip('/')}"
    values = {**{k: str(int(v)) for k, v in ports.items()}, "ADMIN_PASSWORD": admin,
              "STATE_DIR": state_dir.rstrip("/"), "LOG_DIR": log_dir.rstrip("/"), "SMSC": smsc.strip(),
              "SENDSMS_USER": sendsms_user, "SHORT_CODE": short_code, "SENDSMS_PASSWORD": sendsms,
              # Kannel fills %p (sender), %P (our number), %I (its message id).
              "INBOUND_URL": base + "/api/v1/sms/inbound?from=%p&to=%P&id=%I",
              "LOG_LEVEL": "1" if debug_logs else "2",
              "MAX_PENDING_REQUESTS": str(int(max_pending_requests)),
              "BEARERBOX_ACCESS_LOG": f'access-log = "{log_dir.rstrip("/")}/bearerbox-access.log"' if debug_logs
              else "# access-log: off (it would keep every number and text)",
              "SMSBOX_ACCESS_LOG": f'access-log = "{log_dir.rstrip("/")}/smsbox-access.log"' if debug_logs
              else "# access-log: off (it would keep every number and text, and the inbound secret)"}
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = sorted(set(re.findall(r"@[A-Z_]+@", text.split("\n\n", 1)[1])))
    if left:
        raise RenderError(f"template placeholders not filled: {left}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short-code", required=True, help="the number people text (the operator's short code)")
    parser.add_argument("--service-url", default="http://127.0.0.1:8000",
                        help="how Kannel reaches the feedback service (gunicorn's FEEDBACK_BIND)")
    parser.add_argument("--smsc-file", type=Path, help="the operator's 'group = smsc' section(s)")
    parser.add_argument("--fake-smsc-port", type=int, help="use Kannel's fake SMS centre on this port")
    parser.add_argument("--sendsms-port", type=int, default=13013)
    parser.add_argument("--smsbox-port", type=int, default=13001)
    parser.add_argument("--admin-port", type=int, default=13000)
    parser.add_argument("--state-dir", default="/var/lib/ehsaas-kannel")
    parser.add_argument("--log-dir", default="/var/log/ehsaas-kannel")
    parser.add_argument("--sendsms-user", default="feedback", help="= FEEDBACK_SMS_SENDSMS_USER")
    parser.add_argument("--inbound-user", default="kannel", help="= FEEDBACK_SMS_INBOUND_USER")
    parser.add_argument("--max-pending-requests", type=int, default=MAX_PENDING_REQUESTS,
                        help="texts smsbox posts to the service at once (about 2 x gunicorn's workers x threads)")
    parser.add_argument("--debug-logs", action="store_true",
                        help="log every text, number and URL (tests, the demo, debugging only: personal data)")
    parser.add_argument("--output", type=Path, help="write here (mode 0600) instead of stdout")
    args = parser.parse_args(argv)
    try:
        text = render(os.environ, args.short_code, args.service_url, args.smsc_file, args.fake_smsc_port, args.sendsms_port,
                      args.smsbox_port, args.admin_port, args.state_dir, args.log_dir, args.sendsms_user,
                      args.inbound_user, args.debug_logs, args.max_pending_requests)
    except (RenderError, OSError) as exc:
        print(f"render_kannel: {exc}", file=sys.stderr)
        return 2
    if args.output:
        fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(args.output, 0o600)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
