"""Storage faults against a real gunicorn: a full disk, a read-only disk and a write lock held by
another process. While storage cannot be written, submissions answer 503 "nothing was saved,
try again" with Retry-After, /healthz says so and /livez keeps answering; no worker dies; once
storage is writable again the service works by itself (no restart) and nothing acknowledged is lost."""
from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import pytest
import requests

from feedback_api import i18n, storage
from tests.fixtures_faults import count_rows
from tests.fixtures_service import read_rows

def _workers(master_pid: int) -> set[int]:
    """gunicorn's worker processes: the master's children, from /proc."""
    children = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            children.add(int(stat.parent.name))
    return children


def _submit(server, message: str, language: str = "en", timeout: float = 60) -> requests.Response:
    return requests.post(server.url + "/api/v1/submissions", timeout=timeout,
                         json={"kind": "feedback", "component": "general", "language": language,
                               "message": message})


def _assert_refused_clearly(response: requests.Response, language: str = "en") -> None:
    """503, Retry-After in seconds, and a message that says nothing was saved, in the language."""
    assert response.status_code == 503, response.text[:300]
    assert int(response.headers["Retry-After"]) > 0
    error = response.json()["error"]
    assert error["code"] in ("storage_unavailable", "storage_busy")
    assert error["message"] == i18n.t(language, f"errors.{error['code']}", seconds=error["retry_after"])
    assert error["retry_after"] == int(response.headers["Retry-After"])


def _wait_for(predicate, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    return predicate()


def _no_worker_died(server) -> None:
    log = server.read_log()
    assert "SIGBUS" not in log and "Worker exiting" not in log and "was sent" not in log, log


def test_full_disk_refuses_clearly_reports_it_and_recovers_by_itself(gunicorn_server, small_disk):
    disk = small_disk("4m")
    database = disk.path / "feedback.sqlite3"
    server = gunicorn_server(env={"FEEDBACK_DATABASE": str(database), "FEEDBACK_WORKERS": "2",
                                  "FEEDBACK_THREADS": "4", "FEEDBACK_RATELIMIT_ENABLED": "false"})
    # gunicorn answers health once the first worker is up; the second may still be forking.
    workers = _wait_for(lambda: len(_workers(server.proc.pid)) == 2 and _workers(server.proc.pid))
    assert len(workers) == 2
    acked, refused = [], []
    for i in range(5):
        response = _submit(server, f"before the disk filled {i}")
        assert response.status_code == 201
        acked.append(response.json()["reference"])

    disk.fill()
    assert disk.free_bytes() == 0
    # SQLite reuses WAL space it already has, so the first writes may still fit: write until
    # the disk refuses, and keep every answer honest meanwhile.
    for i in range(400):
        message = f"while the disk is full {i} " + "x" * 2500
        response = _submit(server, message)
        if response.status_code == 201:
            acked.append(response.json()["reference"])
            continue
        _assert_refused_clearly(response)
        refused.append(message)
        if len(refused) >= 5:
            break
    assert len(refused) >= 5, "a full disk never refused a submission"

    health = requests.get(server.url + "/healthz", timeout=30)
    assert health.status_code == 503
    assert health.json()["database"] == "disk full"
    assert requests.get(server.url + "/livez", timeout=30).status_code == 200
    assert _workers(server.proc.pid) == workers
    _no_worker_died(server)

    disk.free()
    assert _wait_for(lambda: requests.get(server.url + "/healthz", timeout=30).status_code == 200)
    for i in range(10):
        response = _submit(server, f"after the disk was freed {i}")
        assert response.status_code == 201, response.text[:300]
        acked.append(response.json()["reference"])
    assert _workers(server.proc.pid) == workers            # recovered without a restart
    _no_worker_died(server)

    server.stop()
    stored = {row["reference"] for row in read_rows(str(database), "SELECT reference FROM submissions")}
    assert set(acked) <= stored                             # nothing acknowledged was lost
    for message in refused:                                 # and "nothing was saved" was true
        assert count_rows(database, "submissions", f"message = '{message}'") == 0
    assert storage.integrity(str(database)) == "ok"


def test_read_only_disk_refuses_clearly_and_recovers_when_read_write_again(gunicorn_server, small_disk):
    disk = small_disk("8m")
    database = disk.path / "feedback.sqlite3"
    env = {"FEEDBACK_DATABASE": str(database), "FEEDBACK_RATELIMIT_ENABLED": "false"}
    first = gunicorn_server(env=env)
    reference = _submit(first, "written before the disk went read-only").json()["reference"]
    first.stop()

    disk.remount("ro")
    server = gunicorn_server(env=env, ready="/livez")       # starts, though it cannot write
    workers = _workers(server.proc.pid)
    for i in range(3):
        _assert_refused_clearly(_submit(server, f"while read-only {i}"))
    health = requests.get(server.url + "/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["database"] == "not writable"
    assert requests.get(server.url + "/livez", timeout=30).status_code == 200
    # Reading a WAL database needs its -shm file, which a read-only disk cannot create: a
    # lookup is refused as clearly as a write, never a 500.
    status = requests.get(server.url + f"/api/v1/submissions/{reference}", timeout=30)
    assert status.status_code == 200 or status.json()["error"]["code"] == "storage_unavailable"

    disk.remount("rw")
    seen = []
    assert _wait_for(lambda: seen.append(requests.get(server.url + "/healthz", timeout=30))
                     or seen[-1].status_code == 200, 90), (seen[-1].text[:300], server.read_log()[-4000:])
    response = _submit(server, "after the disk is writable again")
    assert response.status_code == 201, response.text[:300]
    assert _workers(server.proc.pid) == workers
    _no_worker_died(server)
    assert count_rows(database, "submissions", "message LIKE 'while read-only%'") == 0


def test_a_write_lock_held_by_another_process_gets_503_try_again_and_liveness_answers(
        gunicorn_server, write_lock_holder):
    server = gunicorn_server(env={"FEEDBACK_RATELIMIT_ENABLED": "false", "FEEDBACK_THREADS": "4"})
    before = count_rows(server.database, "submissions")
    holder = write_lock_holder(server.database).hold()

    # More submissions at once than the worker has threads, in Urdu: every one gets a clear
    # "try again" in Urdu with Retry-After, and liveness still answers meanwhile.
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(_submit, server, f"while locked {i}", "ur") for i in range(8)]
        time.sleep(0.5)
        livez = requests.get(server.url + "/livez", timeout=30)
        responses = [f.result() for f in futures]
    assert livez.status_code == 200
    for response in responses:
        _assert_refused_clearly(response, "ur")
        assert response.json()["error"]["code"] == "storage_busy"

    # A form post gets its form back, filled in, with the same notice.
    form = requests.post(server.url + "/api/v1/submissions", timeout=60,
                         data={"kind": "question", "component": "general", "language": "ur",
                               "message": "while locked, from the form"})
    assert form.status_code == 503 and int(form.headers["Retry-After"]) > 0
    assert "while locked, from the form" in form.text
    assert i18n.t("ur", "errors.storage_busy", seconds=int(form.headers["Retry-After"])) in form.text

    health = requests.get(server.url + "/healthz", timeout=30)
    assert health.status_code == 503 and health.json()["database"] == "busy"

    holder.release()
    assert count_rows(server.database, "submissions") == before     # nothing half-stored
    response = _submit(server, "after the lock was released")
    assert response.status_code == 201
    assert requests.get(server.url + "/healthz", timeout=30).status_code == 200
