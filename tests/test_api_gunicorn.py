"""The service under a real gunicorn on 127.0.0.1: many clients at once lose nothing, and a
kill -9 of the whole server loses nothing that was acknowledged."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
import requests

from feedback_api import storage
from tests.fixtures_deploy import Redis
from tests.fixtures_service import ROOT, check_against_openapi, free_port, references

CLIENTS = 8
PER_CLIENT = 250


def _stream(url: str, client: int, count: int | None, acks: list, failures: list, stop: threading.Event):
    """POST submissions one after another; record each acknowledged reference."""
    session = requests.Session()
    i = 0
    while (count is None or i < count) and not stop.is_set():
        body = {"kind": "feedback", "component": "general", "language": "en",
                "message": f"client {client} submission {i}"}
        try:
            response = session.post(url + "/api/v1/submissions", json=body, timeout=30)
        except requests.RequestException as exc:
            failures.append(repr(exc))
            if count is None:   # crash test: the server is gone, stop this client
                return
            continue
        if i == 0:  # the real server's answers keep to the OpenAPI document too
            check_against_openapi("POST", "/api/v1/submissions", response.status_code,
                                  response.headers.get("Content-Type", "").split(";")[0],
                                  response.headers, response.json())
        if response.status_code == 201:
            acks.append(response.json()["reference"])
        else:
            failures.append((response.status_code, response.text[:200]))
        i += 1


def _clients(url: str, count: int, per_client: int | None):
    """`count` clients streaming submissions (per_client each, or until stopped), started:
    (threads, acknowledged references, failures, stop event)."""
    acks: list[str] = []
    failures: list = []
    stop = threading.Event()
    threads = [threading.Thread(target=_stream, args=(url, c, per_client, acks, failures, stop))
               for c in range(count)]
    [t.start() for t in threads]
    return threads, acks, failures, stop


def test_8_clients_x_250_submissions_lose_nothing(gunicorn_server):
    server = gunicorn_server(env={"FEEDBACK_RATELIMIT_ENABLED": "false", "FEEDBACK_THREADS": "8"})
    started = time.monotonic()
    threads, acks, failures, _ = _clients(server.url, CLIENTS, PER_CLIENT)
    [t.join(timeout=120) for t in threads]
    elapsed = time.monotonic() - started
    assert not failures, failures[:5]
    assert len(acks) == CLIENTS * PER_CLIENT == len(set(acks))
    stored = references(server.database)
    assert stored == set(acks)            # every 201 is in the database, and nothing else
    assert storage.integrity(str(server.database)) == "ok"
    print(f"\n{len(acks)} submissions from {CLIENTS} clients in {elapsed:.1f}s ({len(acks) / elapsed:.0f}/s)")


def test_kill_9_mid_stream_loses_no_acknowledged_submission(gunicorn_server):
    server = gunicorn_server(env={"FEEDBACK_RATELIMIT_ENABLED": "false", "FEEDBACK_THREADS": "4"})
    threads, acks, failures, stop = _clients(server.url, 6, None)
    deadline = time.monotonic() + 20
    while len(acks) < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill9()                      # master and every worker, no chance to clean up
    stop.set()
    [t.join(timeout=30) for t in threads]
    acknowledged = set(acks)
    assert len(acknowledged) >= 300
    assert not [f for f in failures if isinstance(f, tuple)], failures[:5]   # no 5xx before the kill

    server.start()                      # the same database file, a fresh server
    stored = references(server.database)
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged submissions lost"
    assert storage.integrity(str(server.database)) == "ok"
    # And it keeps working.
    after = requests.post(server.url + "/api/v1/submissions", json={"message": "after the crash"}, timeout=10)
    assert after.status_code == 201
    assert requests.get(server.url + after.json()["status_url"], timeout=10).status_code == 200


def test_limits_hold_across_worker_processes_with_redis(gunicorn_server, tmp_path):
    """memory:// counters are per process; with FEEDBACK_RATELIMIT_STORAGE_URI in Redis two
    workers together allow exactly the configured limit."""
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (scripts/setup --test installs it)")
    redis = Redis(tmp_path / "redis").start()
    try:
        server = gunicorn_server(env={"FEEDBACK_WORKERS": "2", "FEEDBACK_THREADS": "2",
                                      "FEEDBACK_RATELIMIT_STORAGE_URI": redis.uri,
                                      "FEEDBACK_LIMIT_SUBMISSIONS": "5 per minute"})
        codes = []
        for i in range(12):  # a new connection each time, so both workers answer some
            response = requests.post(server.url + "/api/v1/submissions", json={"message": f"redis {i}"},
                                     headers={"Connection": "close"}, timeout=10)
            codes.append(response.status_code)
        assert codes.count(201) == 5 and codes.count(429) == 7, codes
    finally:
        redis.stop()


def test_production_gunicorn_without_a_secret_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDBACK_")}
    env.update({"FEEDBACK_ENV": "production", "FEEDBACK_INSTANCE_PATH": str(tmp_path),
                "FEEDBACK_BIND": f"127.0.0.1:{free_port()}"})
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "FEEDBACK_SECRET_KEY is not set" in result.stdout + result.stderr
    assert not (tmp_path / "feedback.sqlite3").exists()   # nothing was created
