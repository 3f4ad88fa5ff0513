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
