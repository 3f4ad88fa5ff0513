"""Scheduled publishing: the site is rebuilt with the latest feed daily and on demand, and every
build that publishes (push to main, schedule, manual) reads the feed from the same repository
secret (SITE_FEED). actionlint checks the workflow itself (tests/test_workflows.py)."""
from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def test_publish_runs_daily_and_on_demand_and_deploys_a_strict_build_with_the_feed():
    workflow = load("publish.yml")
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert triggers["schedule"][0]["cron"].split()[2:] == ["*", "*", "*"]  # every day
    assert "workflow_dispatch" in triggers
    steps = workflow["jobs"]["build"]["steps"]
    build = next(s for s in steps if "mkdocs build --strict" in s.get("run", ""))
    assert build["env"]["SITE_FEED"] == "${{ secrets.SITE_FEED }}"
    assert "pipefail" in build["run"]  # a failed build is not hidden by `tee`
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") for s in steps)
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert workflow["permissions"] == {"contents": "read"}


def test_push_builds_read_the_same_feed():
    steps = load("site.yml")["jobs"]["build-and-test"]["steps"]
    build = next(s for s in steps if "mkdocs build --strict" in s.get("run", ""))
    assert build["env"]["SITE_FEED"] == "${{ secrets.SITE_FEED }}"
