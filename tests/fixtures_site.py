"""Fixtures that build the static site once per test session (per xdist worker)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def build_site(dest: Path, config: Path | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `mkdocs build --strict` into `dest`; returns the finished process (output captured)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(extra_env or {})}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(dest)]
    if config:
        cmd += ["--config-file", str(config)]
    return subprocess.run(cmd, cwd=config.parent if config else ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    """The real site, built strictly from this working tree."""
    dest = tmp_path_factory.mktemp("site")
    result = build_site(dest)
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return dest


def copy_project(dest: Path) -> Path:
    """A copy of the working tree (without .git, the venv, built output), node_modules linked,
    so a test can change pages and build without touching the real tree. Returns its mkdocs.yml."""
    import shutil
    skip = {".git", ".venv", "node_modules", "site", "instance", "test-artifacts", ".pytest_cache"}
    shutil.copytree(ROOT, dest, dirs_exist_ok=True, ignore=lambda d, names: [
        n for n in names if n == "__pycache__" or (Path(d) == ROOT and n in skip)])
    (dest / "node_modules").symlink_to(ROOT / "node_modules")
    return dest / "mkdocs.yml"


@pytest.fixture(scope="session")
def site_server(built_site):
    """The built site over HTTP on 127.0.0.1 (a thread; stopped at session end)."""
    import functools
    import http.server
    import threading

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, message=None, explain=None):
            # Like GitHub Pages / nginx: the language's own 404 page.
            if code == 404:
                parts = self.path.lstrip("/").split("/", 1)
                page = built_site / parts[0] / "404.html"
                body = (page if len(parts) > 1 and page.is_file() else built_site / "404.html").read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().send_error(code, message, explain)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(built_site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
