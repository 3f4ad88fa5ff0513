"""Answers reach the site without a person rebuilding it (feedback_api/site_rebuild.py): a
publish schedules one debounced rebuild, builds run one at a time, the site folder is swapped
atomically, and a build that fails half way leaves the previous site served, whole, with the
reason kept for admins. The build command is a small script here (the real mkdocs build runs in
test_site_rebuild_browser.py) so that it can be stopped half way on purpose."""
from __future__ import annotations

import fcntl
import html
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from feedback_api import site_rebuild, storage
from tests.fixtures_moderation import CHEAP_HASH, Staff, add_user
from tests.fixtures_service import ROOT, make_app

# Writes a complete small site into {out}: index.html, 404.html, answered/index.html (holding
# the feed's answers), page-1..page-40. With HALF_WAY set it writes half the pages, touches
# HALF_WAY, waits for GO, then fails (exit 1) or is killed, as FAIL says.
FAKE_BUILD = r'''
import json, os, sys, time
from pathlib import Path
out = Path(sys.argv[1]); out.mkdir(parents=True)
feed = json.loads(Path(os.environ["SITE_FEED"]).read_text(encoding="utf-8"))
Path(os.environ["BUILD_COUNT"]).open("a").write("x")
answers = "".join(f"<p>{a['answer']}</p>" for a in feed["answers"])
label = os.environ.get("LABEL", "new")
for n in range(40):
    if n == 20 and os.environ.get("HALF_WAY"):
        Path(os.environ["HALF_WAY"]).touch()
        while not Path(os.environ["GO"]).exists():
            time.sleep(0.05)
        if os.environ.get("FAIL") == "kill":
            os.kill(os.getpid(), 9)
        print("Error: a page could not be rendered (on purpose)")
        sys.exit(1)
    (out / f"page-{n}.html").write_text(f"{label} page {n}")
(out / "answered").mkdir()
(out / "answered" / "index.html").write_text(f"{label} answered {answers}")
(out / "index.html").write_text(f"{label} home")
(out / "404.html").write_text("not found")
'''


def old_site(folder: Path) -> dict[str, bytes]:
    folder.mkdir()
    (folder / "answered").mkdir()
    files = {"index.html": b"old home", "404.html": b"not found", "answered/index.html": b"old answered"}
    files.update({f"page-{n}.html": f"old page {n}".encode() for n in range(40)})
    for name, body in files.items():
        (folder / name).write_bytes(body)
    return files


@pytest.fixture
def onebox(tmp_path, monkeypatch):
    """An app serving tmp/site (a real folder, as `mkdocs build` leaves it), whose rebuild
    command is FAKE_BUILD; BUILD_COUNT counts builds."""
    script = tmp_path / "fake_build.py"
    script.write_text(FAKE_BUILD)
    monkeypatch.setenv("BUILD_COUNT", str(tmp_path / "count"))
    site = tmp_path / "site"
    files = old_site(site)
    app = make_app(tmp_path, PASSWORD_METHOD=CHEAP_HASH, SITE_DIR=str(site), FEED_CACHE_SECONDS=0,
                   SITE_BUILD_COMMAND=f"{sys.executable} {script} {{out}}", SITE_REBUILD_DEBOUNCE_SECONDS=0.3)
    add_user(app, "ada", "admin")
    app.files, app.site, app.tmp = files, site, tmp_path
    yield app
    storage.close_thread_connections()


def served(app, files) -> dict[str, bytes]:
    client = app.test_client()
    return {name: client.get("/" + name).get_data() for name in files}


def builds(app) -> int:
    path = app.tmp / "count"
    return len(path.read_text()) if path.exists() else 0


def wait_for(condition, seconds=60):
    """Wait until `condition()` holds (not a timing assertion: the test fails only if it never does)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_rebuild_failing_half_way_leaves_the_previous_site_served_whole(onebox, monkeypatch, how):
    monkeypatch.setenv("HALF_WAY", str(onebox.tmp / "half"))
    monkeypatch.setenv("GO", str(onebox.tmp / "go"))
    monkeypatch.setenv("FAIL", how)
    results = []

    def run():
        with onebox.app_context():
            results.append(site_rebuild.rebuild())
    worker = threading.Thread(target=run)
    worker.start()
    assert wait_for(lambda: (onebox.tmp / "half").exists())
    # half of the new build is on disk: readers still get every page of the old site
    assert served(onebox, onebox.files) == onebox.files
    (onebox.tmp / "go").touch()
    worker.join(60)
    result = results[0]
    assert not result["ok"]
    assert ("killed by signal 9" if how == "kill" else "exit status 1") in result["error"]
    if how == "exit":
        assert "a page could not be rendered (on purpose)" in result["error"]
    assert served(onebox, onebox.files) == onebox.files
    assert onebox.site.is_dir() and not onebox.site.is_symlink()  # untouched
    builds_dir = onebox.tmp / ".site-builds"
    assert list(builds_dir.iterdir()) == []  # the half build was removed
    # an admin sees that it failed, why, and that the old site is still served
    admin = Staff(onebox, "ada")
    admin.sign_in()
    page = admin.get("/moderation/site").get_data(as_text=True)
    assert "failed" in page and "The site still shows the previous build, whole." in page
    assert ("a page could not be rendered" if how == "exit" else "killed by signal 9") in page


def test_publishing_schedules_one_debounced_rebuild_and_swaps_atomically(onebox):
    admin = Staff(onebox, "ada")
    admin.sign_in()
    client = onebox.test_client()
    refs = []
    for n in range(3):
        response = client.post("/api/v1/submissions", json={"message": f"Question {n} about Langar",
                                                             "kind": "question", "language": "en"},
                               environ_base={"REMOTE_ADDR": f"10.1.1.{n}"})
        refs.append(response.get_json()["reference"])
    # three answers published in a burst: one build, not three
    for n, ref in enumerate(refs):
        response = admin.post(f"/moderation/submissions/{ref}/answer", {
            "body": f"MARKANSWER{n}", "language": "en", "action": "publish", "listed": "1",
            "public_question": f"Question {n}?"})
        assert response.status_code == 303
    page = html.unescape(admin.get(response.headers["Location"]).get_data(as_text=True))
    assert "within about" in page and "once the site has rebuilt itself" in page
    assert wait_for(lambda: b"MARKANSWER2" in client.get("/answered/index.html").get_data())
    answered = client.get("/answered/index.html").get_data()
    assert all(f"MARKANSWER{n}".encode() in answered for n in range(3))
    assert wait_for(lambda: _idle(onebox))
    assert builds(onebox) == 1
    # the site folder is now a symlink to the build; the first (real) folder was kept aside
    assert onebox.site.is_symlink()
    kept = sorted(p.name for p in (onebox.tmp / ".site-builds").iterdir())
    assert len(kept) == 2 and any(name.endswith("-first") for name in kept)
    # the page now says the answer is on the site, and when it got there
    page = html.unescape(admin.get(f"/moderation/submissions/{refs[0]}").get_data(as_text=True))
    assert "It is on the site's list of answered questions since the rebuild of" in page
    # unpublishing schedules another build, which takes it off the site
    response = admin.post(f"/moderation/submissions/{refs[0]}/unpublish")
    assert "leaves the site's list of answered questions" in html.unescape(
        admin.get(response.headers["Location"]).get_data(as_text=True))
    assert wait_for(lambda: b"MARKANSWER0" not in client.get("/answered/index.html").get_data())
    assert wait_for(lambda: _idle(onebox))
    assert builds(onebox) == 2 and len(list((onebox.tmp / ".site-builds").iterdir())) == 2  # pruned


def _idle(app) -> bool:
    with app.app_context():
        return not site_rebuild.running() and not site_rebuild.pending_since()


def test_one_build_at_a_time_and_a_change_during_a_build_is_built_after_it(onebox):
    with onebox.app_context():
        lock = site_rebuild.state_dir() / "lock"
        with open(lock, "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX)  # another worker is building
            site_rebuild.mark_pending("test")
            assert site_rebuild.rebuild(blocking=False) is None
            assert site_rebuild.running()
            fcntl.flock(held, fcntl.LOCK_UN)
        # the builder's pending token changes while it builds: the mark stays for one more build
        original = site_rebuild._build

        def build_and_change(out, feed):
            original(out, feed)
            site_rebuild.mark_pending("a publish during the build")
        site_rebuild._build = build_and_change
        try:
            result = site_rebuild.rebuild()
        finally:
            site_rebuild._build = original
        assert result["ok"] and result["retry"] and site_rebuild.pending_since()
        assert site_rebuild.rebuild()["ok"] and not site_rebuild.pending_since()
    assert builds(onebox) == 2


def test_rebuild_site_command_works_while_the_site_is_served(onebox):
    """`flask rebuild-site` (README) builds beside the served folder and swaps it in: nothing
    needs the port, so it works while the server runs."""
    env = {**os.environ, "FEEDBACK_INSTANCE_PATH": onebox.instance_path,
           "FEEDBACK_DATABASE": onebox.config["DATABASE"], "FEEDBACK_SECRET_KEY": "x" * 64,
           "FEEDBACK_SITE_DIR": str(onebox.site),
           "FEEDBACK_SITE_BUILD_COMMAND": onebox.config["SITE_BUILD_COMMAND"], "LABEL": "cli"}
    flask = [sys.executable, "-m", "flask", "--app", "feedback_api"]
    done = subprocess.run([*flask, "rebuild-site", "--if-pending"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "Nothing to do" in done.stdout
    done = subprocess.run([*flask, "rebuild-site"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert onebox.test_client().get("/index.html").get_data() == b"cli home"
    env["FEEDBACK_SITE_BUILD_COMMAND"] = f"{sys.executable} -c 'import sys; sys.exit(3)' {{out}}"
    done = subprocess.run([*flask, "rebuild-site"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 1 and "still serves the previous build" in done.stderr
    assert onebox.test_client().get("/index.html").get_data() == b"cli home"


def test_a_build_without_the_answered_page_is_not_swapped_in(onebox, tmp_path):
    script = tmp_path / "empty_build.py"
    script.write_text("import sys, pathlib; p = pathlib.Path(sys.argv[1]); p.mkdir(); (p / 'index.html').write_text('x')")
    onebox.config["SITE_BUILD_COMMAND"] = f"{sys.executable} {script} {{out}}"
    with onebox.app_context():
        result = site_rebuild.rebuild()
    assert not result["ok"] and "without 404.html, answered/index.html" in result["error"]
    assert served(onebox, onebox.files) == onebox.files


def test_hook_mode_only_marks_and_the_message_says_when(tmp_path):
    app = make_app(tmp_path, PASSWORD_METHOD=CHEAP_HASH, FEED_CACHE_SECONDS=0)  # no SITE_DIR: nginx serves
    add_user(app, "ada", "admin")
    admin = Staff(app, "ada")
    admin.sign_in()
    ref = app.test_client().post("/api/v1/submissions", json={
        "message": "When is the payment?", "kind": "question", "language": "en"}).get_json()["reference"]
    response = admin.post(f"/moderation/submissions/{ref}/answer", {
        "body": "Soon.", "language": "en", "action": "publish", "listed": "1", "public_question": "When?"})
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "at its next rebuild, at most 6 minutes from now" in page
    with app.app_context():
        assert site_rebuild.mode() == "hook" and site_rebuild.pending_since()
    state = json.loads((Path(app.instance_path) / "site-rebuild" / "pending").read_text())
    assert state["reason"] == "answer published"
    storage.close_thread_connections()
