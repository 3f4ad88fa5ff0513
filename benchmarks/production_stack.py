"""The production stack for the benchmarks, on 127.0.0.1, from the repo's own files (the same
classes the end-to-end test uses: tests/fixtures_deploy.py): a fresh strict build of the site,
precompressed; redis-server; gunicorn with deploy/gunicorn.conf.py and the installed settings
(deploy/production.env + deploy/feedback.env.example: 2 workers x 8 threads, one trusted proxy
hop, limits in Redis); nginx with the rendered
deploy/nginx/ehsaas.conf in front.

    .venv/bin/python -m benchmarks.production_stack      # start it and wait (Ctrl-C stops it)
"""
from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.fixtures_deploy import Nginx, Redis, precompress, production_settings
from tests.fixtures_service import Gunicorn
from tests.fixtures_site import build_site


@contextlib.contextmanager
def production_stack(workdir: Path | None = None, env: dict | None = None, site: Path | None = None):
    """Yields (nginx, gunicorn, redis). `env` overrides gunicorn's FEEDBACK_* settings."""
    own = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="ehsaas-bench-"))
    if site is None:
        site = workdir / "site"
        result = build_site(site)
        if result.returncode != 0:
            raise SystemExit(f"mkdocs build failed:\n{result.stderr[-3000:]}")
        precompress(site)
    redis = Redis(workdir / "redis").start()
    gunicorn = nginx = None
    try:
        gunicorn = Gunicorn(workdir / "instance", env={**production_settings(redis.uri), **(env or {})}).start()
        # worker_processes auto, as in Debian's /etc/nginx/nginx.conf.
        nginx = Nginx(workdir / "nginx", site, f"127.0.0.1:{gunicorn.port}", workers="auto").start()
        yield nginx, gunicorn, redis
    finally:
        for part in (nginx, gunicorn, redis):
            if part:
                part.stop()
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def rss_kib(pid: int) -> int:
    """Resident memory of one process (KiB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def gunicorn_pids(master: int) -> list[int]:
    """The master and its workers (its children), read from /proc."""
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == master:
                pids.append(int(entry.name))
    return sorted(pids)


if __name__ == "__main__":
    with production_stack() as (nginx, gunicorn, redis):
        print(f"site and API: {nginx.url}/   gunicorn: {gunicorn.url}   redis: {redis.uri}", flush=True)
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    sys.exit(0)
