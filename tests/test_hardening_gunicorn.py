"""Through a real gunicorn (issue 15, items 10 and 11): the one-box access log keeps one line per
request whatever the URL holds, never shows a reference or a client address; a chunked body
over the size limit is refused with 413 (form and JSON) and nothing of it is stored."""
from __future__ import annotations

import re
import socket
import time

import requests

from tests.fixtures_service import read_rows


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk


def chunked(port: int, path: str, content_type: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
    parts = [head]
    for start in range(0, len(body), 4096):
        part = body[start:start + 4096]
        parts.append(f"{len(part):x}\r\n".encode() + part + b"\r\n")
    parts.append(b"0\r\n\r\n")
    return raw_request(port, b"".join(parts))


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def test_a_chunked_body_over_the_limit_is_refused_with_413(gunicorn_server):
    server = gunicorn_server()
    padding = b"x" * 40000  # over the 32 KiB limit; the message itself is short
    form = chunked(server.port, "/api/v1/submissions", "application/x-www-form-urlencoded",
                   b"message=When+is+the+payment%3F&language=en&notes=" + padding)
    as_json = chunked(server.port, "/api/v1/submissions", "application/json",
                      b'{"message": "When is the payment?", "notes": "' + padding + b'"}')
    assert status_of(form) == 413, form[:300]
    assert b"too large" in form  # the page in the reader's language
    assert status_of(as_json) == 413, as_json[:300]
    assert b'"payload_too_large"' in as_json
    # Within the limit, chunked is fine.
    small = chunked(server.port, "/api/v1/submissions", "application/json", b'{"message": "When is the payment?"}')
    assert status_of(small) == 201
    assert read_rows(str(server.database), "SELECT count(*) AS n FROM submissions")[0]["n"] == 1


def test_the_access_log_cannot_be_forged_and_holds_no_reference_or_address(gunicorn_server, tmp_path):
    server = gunicorn_server(env={"FEEDBACK_ACCESS_LOG": "-", "FEEDBACK_LOG_LEVEL": "info"})
    reference = requests.post(server.url + "/api/v1/submissions",
                              json={"message": "When is the payment?"}, timeout=10).json()["reference"]
    compact = reference.replace("-", "")
    for path in (f"/api/v1/submissions/{reference}", f"/api/v1/submissions/{reference}/received",
                 f"/api/v1/submissions/{compact.lower()}", f"/api/v1/submissions?reference={reference}",
                 f"/moderation/submissions/{reference}"):
        requests.get(server.url + path, timeout=10, allow_redirects=False)
    forged = "/livez%0D%0A10.9.9.9%20-%20-%20FORGED%20%22GET%20/admin%22%20200%0A%0DFORGED2%E2%80%A8FORGED3"
    raw_request(server.port, f"GET {forged} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    raw_request(server.port, b"GET /livez HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")   # malformed
    raw_request(server.port, b"\x16\x03\x01 not http at all\r\n\r\n")                  # malformed
    deadline = time.monotonic() + 20  # gunicorn writes its log lines a moment after answering
    while True:
        server.read_log()  # flushes
        log = (server.instance.parent / f"gunicorn-{server.port}.log").read_text(errors="replace")
        lines = log.splitlines()
        if (sum("Invalid request" in line for line in lines) >= 2 and "FORGED" in log) \
                or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not [line for line in lines if "FORGED" in line and not line.startswith("[")], log
    assert sum("FORGED" in line for line in lines) == 1  # the whole URL on one line
    assert reference not in log and compact not in log and compact.lower() not in log
    assert log.count("<reference>") >= 4  # the four paths with one (query strings are not logged)
    requests_logged = [line for line in lines if re.search(r'"(GET|POST) ', line)]
    assert len(requests_logged) >= 7
    invalid = [line for line in lines if "Invalid request" in line]
    assert invalid, log
    assert "127.0.0.1" not in "\n".join(invalid + requests_logged)
