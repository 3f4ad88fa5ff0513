"""A newcomer's run command, as the README gives it: `scripts/run` (setup skipped: the test
machine is set up) in a fresh copy of the project builds the site, creates the database and
serves both; a reader's question sent from the Urdu feedback page lands in instance/."""
from __future__ import annotations

import os
import re
import sqlite3

import pytest

from tests import processes
from tests.processes import free_port
from tests.fixtures_site import ROOT, copy_project

pytestmark = pytest.mark.browser


def test_scripts_run_serves_forms_that_store_into_sqlite(tmp_path, phone_nojs):
    project = copy_project(tmp_path / "project").parent
    (project / ".venv").symlink_to(ROOT / ".venv")
    port = free_port()
    env = {**os.environ, "SKIP_SETUP": "1", "FEEDBACK_BIND": f"127.0.0.1:{port}", "FEEDBACK_ACCESS_LOG": ""}
    for key in ("FEEDBACK_DATABASE", "FEEDBACK_INSTANCE_PATH", "FEEDBACK_SITE_DIR"):
        env.pop(key, None)
    log = tmp_path / "run.log"
    proc = processes.start([project / "scripts" / "run"], log, cwd=project, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        processes.wait_until(processes.answering(url + "/healthz", timeout=5), proc, "scripts/run", log,
                             timeout=120, every=0.25)
        page = phone_nojs
        page.goto(url + "/ur/feedback/")
        message = "میرا سوال: لنگر کہاں ہے؟ " + str(port)
        page.fill("#fb-message", message)
        page.click("form.fb-form[method=post] button[type=submit]")
        reference = page.inner_text(".fb-reference").strip()
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{3}", reference)
        conn = sqlite3.connect(project / "instance" / "feedback.sqlite3")
        try:
            assert conn.execute("SELECT message, language FROM submissions WHERE reference = ?",
                                (reference,)).fetchall() == [(message, "ur")]
        finally:
            conn.close()
    finally:
        processes.stop(proc, timeout=20)
