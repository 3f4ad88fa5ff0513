"""Owns the real processes tests start (gunicorn, Kannel, nginx, redis-server, scripts/run, the
SMS sender): each in its own process group with its output in a log file, waiting until it is
ready (failing with the log's end if it exits first), and stopping it with all its children."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd: list[str], log: Path, cwd: Path | None = None, env: dict | None = None) -> subprocess.Popen:
    """`cmd` in a new session (its own process group: stop() reaches every child), stdout and
    stderr appended to `log`."""
    with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([str(part) for part in cmd], cwd=cwd, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def tail(log: Path, chars: int = 3000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, what: str, log: Path,
               timeout: float = 20, every: float = 0.1) -> None:
    """Until `ready()` is true; RuntimeError with the log's end if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {tail(log)}")
        if ready():
            return
        time.sleep(every)
    raise RuntimeError(f"{what} was not ready within {timeout}s: {tail(log)}")


def listening(port: int) -> Callable[[], bool]:
    def ready() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    return ready


def answering(url: str, timeout: float = 1) -> Callable[[], bool]:
    """True once `url` answers 200 (a slow first answer on a busy machine counts as not yet)."""
    def ready() -> bool:
        try:
            return requests.get(url, timeout=timeout).status_code == 200
        except requests.RequestException:
            return False
    return ready


def stop(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    """SIGTERM to the process group, SIGKILL if it has not ended within `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc)


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL to the whole process group (a gunicorn master and its workers at once)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)
