"""The production stack on 127.0.0.1, from the repo's own files: Debian's nginx with the config
rendered from deploy/nginx/ehsaas.conf (deploy/render_nginx.py) over a copy of the built site,
gunicorn with deploy/gunicorn.conf.py behind it, redis-server for the rate-limit counters.
No root-owned path is touched: every file nginx writes lives in a temp prefix."""
from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import processes
from tests.fixtures_service import ROOT, SECRET, Gunicorn
from tests.processes import free_port

NGINX = "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


class Redis:
    """redis-server on a free loopback port, nothing persisted."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = None
        self.proc = None

    @property
    def uri(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        self.port = free_port()
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.workdir / "redis.log"
        self.proc = processes.start([REDIS, "--port", self.port, "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", self.workdir, "--logfile", log],
                                    self.workdir / "redis.out")
        processes.wait_until(processes.listening(self.port), self.proc, "redis-server", log, 15, every=0.05)
        return self

    def stop(self) -> None:
        processes.stop(self.proc, timeout=10)


def nginx_main_conf(prefix: Path, site_conf: Path, workers: str = "1") -> str:
    """A whole nginx.conf around the rendered site config: what Debian's /etc/nginx/nginx.conf
    provides in production (http block, mime types), with every path inside `prefix`."""
    temp = "\n".join(f"    {kind}_temp_path {prefix / 'tmp' / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would run its workers as "nobody", who cannot read pytest's private temp dirs.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}daemon off;
worker_processes {workers};
pid {prefix / 'nginx.pid'};
error_log {prefix / 'error.log'} warn;
events {{ worker_connections 768; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
{temp}
    include {site_conf};
}}
"""


class Nginx:
    """Debian's nginx, not daemonised, serving `site` with the repo's rendered config."""

    def __init__(self, prefix: Path, site: Path, upstream: str, workers: str = "1"):
        """workers: nginx worker_processes (Debian's nginx.conf says auto: one per core)."""
        self.workers = workers
        self.prefix = prefix
        self.site = site
        self.upstream = upstream
        self.port = None
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def render(self, **options) -> str:
        options.setdefault("access_log", self.prefix / "access.log")
        done = subprocess.run(
            [sys.executable, str(ROOT / "deploy" / "render_nginx.py"), "--site", str(self.site),
             "--upstream", self.upstream, "--listen", f"127.0.0.1:{self.port}",
             *[a for k, v in options.items() for a in (f"--{k.replace('_', '-')}", str(v))]],
            capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"render_nginx.py failed: {done.stderr}"
        return done.stdout

    def write_config(self, **options) -> Path:
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        site_conf = self.prefix / "ehsaas.conf"
        site_conf.write_text(self.render(**options))
        main = self.prefix / "nginx.conf"
        main.write_text(nginx_main_conf(self.prefix, site_conf, self.workers))
        return main

    def test_config(self) -> subprocess.CompletedProcess:
        return subprocess.run([NGINX, "-t", "-p", str(self.prefix), "-c", str(self.prefix / "nginx.conf")],
                              capture_output=True, text=True, timeout=30)

    def start(self, **options) -> "Nginx":
        """options: render_nginx.py flags (tls_cert=..., tls_key=..., redirect_listen=...)."""
        self.prefix.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.write_config(**options)
        checked = self.test_config()
        assert checked.returncode == 0, f"nginx -t failed:\n{checked.stderr}"
        log = self.prefix / "stderr.log"
        self.proc = processes.start([NGINX, "-p", self.prefix, "-c", self.prefix / "nginx.conf"], log)
        processes.wait_until(processes.listening(self.port), self.proc, "nginx", log, 15, every=0.05)
        return self

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        processes.stop(self.proc, timeout=10)


def request_from(address: str, port: int, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None) -> tuple[int, dict, bytes]:
    """One HTTP request to 127.0.0.1:port from the loopback source `address` (127.0.0.2, ...):
    to nginx, a distinct client, as separate phones behind separate addresses would be."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15, source_address=(address, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def precompress(site: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "precompress.py"), str(site)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def flask_cli(args: list[str], env: dict, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """`flask --app feedback_api ARGS` as an operator (or a systemd timer) runs it."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "feedback_api", *args], cwd=ROOT,
                          env={**os.environ, "FEEDBACK_SECRET_KEY": SECRET, **env}, input=input,
                          capture_output=True, text=True, timeout=timeout)


def read_env_file(path: Path) -> dict:
    """KEY=VALUE lines as systemd reads an EnvironmentFile (comments on their own lines)."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and line[0] not in "#;":
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def production_settings(redis_uri: str) -> dict:
    """The service's settings as installed: deploy/production.env, then the shipped
    deploy/feedback.env.example, minus what differs on a test machine (paths, port, secret:
    the Gunicorn helper sets those) and with this Redis."""
    env = {**read_env_file(ROOT / "deploy" / "production.env"),
           **read_env_file(ROOT / "deploy" / "feedback.env.example")}
    for key in ("FEEDBACK_INSTANCE_PATH", "FEEDBACK_DATABASE", "FEEDBACK_BACKUP_DIR", "FEEDBACK_BIND",
                "FEEDBACK_SECRET_KEY"):
        env.pop(key, None)
    assert env["FEEDBACK_RATELIMIT_STORAGE_URI"].startswith("redis://")
    env["FEEDBACK_RATELIMIT_STORAGE_URI"] = redis_uri
    return env


class Stack:
    def __init__(self, nginx: Nginx, gunicorn: Gunicorn, redis: Redis):
        self.nginx, self.gunicorn, self.redis = nginx, gunicorn, redis
        self.url = nginx.url
        self.database = gunicorn.database


@pytest.fixture(scope="module")
def production_stack(built_site, tmp_path_factory):
    """nginx -> gunicorn -> SQLite, limits in Redis, with the installed settings
    (deploy/production.env + deploy/feedback.env.example: 2 workers, one trusted proxy hop),
    except 5 submissions per minute per client, so tests reach the limit quickly."""
    for binary in (NGINX, REDIS):
        if not Path(binary).exists():
            pytest.skip(f"{binary} is not installed (scripts/setup --test installs nginx and redis-server)")
    base = tmp_path_factory.mktemp("stack")
    site = base / "site"
    shutil.copytree(built_site, site)
    precompress(site)
    redis = Redis(base / "redis").start()
    gunicorn = None
    nginx = None
    try:
        gunicorn = Gunicorn(base / "instance", env={
            **production_settings(redis.uri), "FEEDBACK_LIMIT_SUBMISSIONS": "5 per minute"}).start()
        nginx = Nginx(base / "nginx", site, f"127.0.0.1:{gunicorn.port}").start()
        yield Stack(nginx, gunicorn, redis)
    finally:
        for part in (nginx, gunicorn, redis):
            if part:
                part.stop()
