"""The project's shape: import rules (import-linter contracts in pyproject.toml) hold, and no code
outside tests/ edits sys.path: the packages are installed (`pip install -e .`), not found by path."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "node_modules", "tests", "site", "instance", "test-artifacts"}


def project_files(*suffixes: str) -> list[Path]:
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in SKIP or "__pycache__" in parts or not path.is_file():
            continue
        if path.suffix in suffixes or (path.parent.name == "deploy" and not path.suffix):
            found.append(path)
    return found


def test_import_rules_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_sys_path_edits_outside_tests():
    offenders = [str(p.relative_to(ROOT)) for p in project_files(".py")
                 if re.search(r"\bsys\.path\b|PYTHONPATH", p.read_text(encoding="utf-8", errors="replace"))]
    assert offenders == []
    assert "pythonpath" not in (ROOT / "pytest.ini").read_text()
