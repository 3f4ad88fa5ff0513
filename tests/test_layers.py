"""The project's shape: import rules (import-linter contracts in pyproject.toml) hold, and no code
outside tests/ edits sys.path: the packages are installed (`pip install -e .`), not found by path."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".git", ".venv", "node_modules", "tests", "site", "instance", "test-artifacts"}


def project_files(*suffixes: str) -> list[Path]:
    """The project's own files with these suffixes (and deploy/'s scripts), outside SKIP."""
    found = []
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder)
        # node_modules anywhere (benchmarks/lighthouse/ has its own): installed, not ours
        dirs[:] = [d for d in dirs if d not in ("__pycache__", "node_modules")
                   and not (here == ROOT and (d in SKIP or d.startswith(".") and d != ".github"))]
        for name in files:
            path = here / name
            if path.suffix in suffixes or (here.name == "deploy" and not path.suffix):
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


# Notes kept outside this repository (a team's shared folder, its findings and design files):
# the code must not need or cite them; docs/dev/ holds the decisions in the repository.
OUTSIDE = re.compile(r"FINDINGS|\.\./shared\b|/work/|shared/source|\b(?:DESIGN|STYLE)\.md\b|facts-sources")


def test_no_reference_to_files_outside_the_repository():
    this = Path(__file__).resolve()
    offenders = []
    for path in project_files(".py", ".md", ".yml", ".yaml", ".toml", ".json", ".html", ".js", ".css",
                              ".txt", ".ini", ".cfg", ".conf", ".service", ".timer", ".env", ".example",
                              ".cjs", ".sh"):
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(text.splitlines(), 1)
                      if OUTSIDE.search(line)]
    for path in (ROOT / "tests").rglob("*.py"):
        if path.resolve() != this:
            offenders += [f"{path.relative_to(ROOT)}:{n}" for n, line in
                          enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if OUTSIDE.search(line)]
    for path in (ROOT / "scripts").iterdir():
        offenders += [f"{path.relative_to(ROOT)}:{n}" for n, line in
                      enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if OUTSIDE.search(line)]
    assert offenders == []


def test_decision_records_are_not_published_and_are_all_listed():
    records = sorted(p.name for p in (ROOT / "docs" / "dev").glob("[0-9]*.md"))
    index = (ROOT / "docs" / "dev" / "README.md").read_text(encoding="utf-8")
    assert records and all(f"({name})" in index for name in records)
    assert "dev/" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8").split("exclude_docs:", 1)[1].split("\n\n")[0]
