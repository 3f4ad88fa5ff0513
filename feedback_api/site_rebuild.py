"""Owns bringing the static site up to date with the public feed: after a publish, an unpublish
or a "you said, we did" change, `schedule()` marks a rebuild as pending; `rebuild()` exports the
feed, builds the whole site strictly into a new folder and, only if that build is complete,
swaps it in atomically; `flask rebuild-site` does the same from a shell or a systemd timer.

Modes (FEEDBACK_SITE_REBUILD):
- background (the default when the service serves the site itself, FEEDBACK_SITE_DIR): a thread of
  the worker that scheduled it waits SITE_REBUILD_DEBOUNCE_SECONDS after the last change (a
  burst of publishes is one build), then builds.
- hook (default otherwise: nginx serves the site): only the pending mark is written; the
  ehsaas-site-rebuild timer (`rebuild-site --if-pending`, every 5 minutes) or the Pages
  workflow (`--dispatch`) does the build. deploy/README.md says how.
- off: nothing happens; someone runs `flask rebuild-site`.

Why these rules:
- One build at a time across all workers and the CLI: an flock on <state>/lock. At most one
  pending: the pending mark is one file; a change during a build rewrites its token, and the
  builder, seeing a token other than the one it built from, builds once more.
- The old site is served until the new one is complete: each build goes to its own folder;
  FEEDBACK_SITE_DIR is a symlink to the current one, replaced with rename(2), so a request sees
  the old build or the new one, never a mix. A failed or killed build leaves the symlink alone
  and its folder is deleted; the result (and why it failed) is kept for admins.
State: <instance>/site-rebuild/ (pending, lock, feed.json, build.log, last.json, last-ok.json).
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import fcntl
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

KEEP_BUILDS = 2  # the current build and the one before it (requests still reading it finish)
LOG_TAIL_LINES = 25

_workers: dict[str, threading.Thread] = {}
_workers_guard = threading.Lock()


def init_app(app: Flask) -> None:
    """Settings: SITE_REBUILD* and SITE_DISPATCH_* in config.DEFAULTS (checked there)."""
    app.cli.add_command(rebuild_site_command)

    @app.before_request
    def _resume_pending():
        # A build left pending by a worker that stopped (restart, kill) is picked up by the next
        # request in background mode; one stat per request until then, nothing after.
        if not app.extensions.get("site_rebuild_checked"):
            app.extensions["site_rebuild_checked"] = True
            if mode() == "background" and pending_since():
                _start_worker(app)


# ---------------------------------------------------------------- state

def mode(cfg=None) -> str:
    cfg = cfg or current_app.config
    chosen = cfg.get("SITE_REBUILD", "auto")
    if chosen == "auto":
        return "background" if cfg.get("SITE_DIR") else "hook"
    return chosen


def state_dir() -> Path:
    path = Path(current_app.instance_path) / "site-rebuild"
    path.mkdir(parents=True, exist_ok=True)
    return path


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextlib.contextmanager
def _flock(path: Path, blocking: bool = True):
    """Hold an exclusive flock on `path`; yields False (and holds nothing) if not blocking and busy."""
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_json(path: Path, value: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _pending_token() -> dict | None:
    return _read_json(state_dir() / "pending")


def pending_since() -> str | None:
    token = _pending_token()
    return token.get("since") if token else None


def mark_pending(reason: str) -> None:
    """Ask for a rebuild: a new token (so a build already running builds once more), keeping
    the moment of the first request since the last build."""
    with _flock(state_dir() / "pending.lock"):
        old = _pending_token() or {}
        _write_json(state_dir() / "pending", {"since": old.get("since") or now(), "token": uuid.uuid4().hex,
                                              "reason": reason})


def _clear_pending(token: str | None) -> bool:
    """Remove the pending mark if it is still the one the build started from (True), else keep
    it: something changed during the build."""
    with _flock(state_dir() / "pending.lock"):
        current = _pending_token()
        if current and current.get("token") != token:
            return False
        with contextlib.suppress(FileNotFoundError):
            (state_dir() / "pending").unlink()
        return True


def last_result() -> dict | None:
    return _read_json(state_dir() / "last.json")


def last_success() -> dict | None:
    return _read_json(state_dir() / "last-ok.json")


def running() -> bool:
    with _flock(state_dir() / "lock", blocking=False) as free:
        return not free


def status() -> dict:
    return {"mode": mode(), "pending_since": pending_since(), "running": running(),
            "interval_minutes": int(current_app.config["SITE_REBUILD_INTERVAL_MINUTES"]),
            "last": last_result(), "last_ok": last_success()}


def expected_seconds() -> int:
    """How long until a change is on the site, for the moderator's message: in background mode
    the debounce plus the last build's time with room for a second build (a change during a
    build waits for it); in hook mode the timer's interval plus a build."""
    last = last_success() or {}
    build = float(last.get("seconds") or 60)
    if mode() == "background":
        return int(float(current_app.config["SITE_REBUILD_DEBOUNCE_SECONDS"]) + 2 * build + 30)
    return int(current_app.config["SITE_REBUILD_INTERVAL_MINUTES"]) * 60 + int(build)


# ---------------------------------------------------------------- scheduling

def schedule(reason: str) -> None:
    """Called after a change the public feed shows (commits first: the build reads the feed)."""
    chosen = mode()
    if chosen == "off":
        return
    mark_pending(reason)
    if chosen == "background":
        _start_worker(current_app._get_current_object())


def _start_worker(app: Flask) -> None:
    key = app.instance_path
    with _workers_guard:
        worker = _workers.get(key)
        if worker is not None and worker.is_alive():
            return
        worker = threading.Thread(target=_work, args=(app,), name="site-rebuild", daemon=True)
        _workers[key] = worker
        worker.start()


def _work(app: Flask) -> None:
    """Wait for quiet, then build while something is pending. Leaves as soon as another process
    holds the lock: that builder sees the pending mark when it finishes (see _clear_pending)."""
    with app.app_context():
        debounce = float(app.config["SITE_REBUILD_DEBOUNCE_SECONDS"])
        while True:
            path = state_dir() / "pending"
            try:
                quiet = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                return
            if quiet < debounce:
                time.sleep(min(debounce - quiet, debounce) + 0.05)
                continue
            result = rebuild(blocking=False)
            if result is None:
                return  # another worker (or the CLI) is building; it picks our mark up
            if not result["ok"] and _pending_token() and not result.get("retry"):
                return  # failed: keep the mark (admins see why); the next change tries again


# ---------------------------------------------------------------- building

def site_dir() -> Path:
    configured = current_app.config.get("SITE_DIR")
    if not configured:
        raise click.UsageError("No site folder: set FEEDBACK_SITE_DIR (or pass --site-dir).")
    return Path(configured).absolute()


def builds_dir() -> Path:
    configured = current_app.config.get("SITE_BUILDS_DIR")
    site = site_dir()
    path = Path(configured) if configured else site.parent / f".{site.name}-builds"
    path.mkdir(parents=True, exist_ok=True)
    return path


def project_dir() -> Path:
    """The folder holding mkdocs.yml, docs/ and data/ (the data directory's parent)."""
    from . import i18n
    return i18n.data_dir().parent


def build_command(out: Path, feed: Path) -> tuple[list[str], dict]:
    configured = current_app.config.get("SITE_BUILD_COMMAND")
    env = {**os.environ, "SITE_FEED": str(feed), "NO_MKDOCS_2_WARNING": "1"}
    if configured:
        words = shlex.split(configured) if isinstance(configured, str) else list(configured)
        return [w.replace("{out}", str(out)) for w in words], env
    return [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], env


def rebuild(blocking: bool = True, reason: str | None = None) -> dict | None:
    """Build and swap in the site once, under the lock. None if not blocking and another build
    runs. Returns (and keeps in last.json) {ok, started_at, finished_at, seconds, answers, error}."""
    with _flock(state_dir() / "lock", blocking=blocking) as held:
        if not held:
            return None
        token = (_pending_token() or {}).get("token")
        started, clock = now(), time.monotonic()
        result = {"ok": False, "started_at": started, "answers": None, "error": None,
                  "reason": reason or (_pending_token() or {}).get("reason")}
        out = None
        try:
            feed = _export_feed()
            result["answers"] = feed["answers"]
            result["feed_at"] = started
            out = builds_dir() / f"{started.replace(':', '')}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
            _build(out, Path(feed["path"]))
            _check_complete(out)
            if current_app.config.get("SITE_REBUILD_PRECOMPRESS"):
                _run([sys.executable, str(project_dir() / "deploy" / "precompress.py"), str(out)], dict(os.environ))
            swap(out)
            result["ok"] = True
            result["build"] = out.name
            _prune(out)
        except BuildError as error:
            result["error"] = str(error)
            if out is not None:
                shutil.rmtree(out, ignore_errors=True)
        result["finished_at"] = now()
        result["seconds"] = round(time.monotonic() - clock, 1)
        _write_json(state_dir() / "last.json", result)
        if result["ok"]:
            _write_json(state_dir() / "last-ok.json", result)
            # Built from the feed as it was at `started`: a change since then keeps its mark.
            result["retry"] = not _clear_pending(token)
        current_app.logger.log(20 if result["ok"] else 40, "site rebuild %s in %.1f s%s",
                               "done" if result["ok"] else "FAILED", result["seconds"],
                               "" if result["ok"] else f": {result['error']}")
        return result


class BuildError(RuntimeError):
    """The build did not produce a complete site; the message says why (for admins)."""


def _export_feed() -> dict:
    from . import feed, storage
    doc, _updated = feed.document(storage.get_db())
    path = state_dir() / "feed.json"
    tmp = path.with_name(".feed.json.tmp")
    tmp.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
    return {"path": str(path), "answers": len(doc["answers"])}


def _run(command: list[str], env: dict) -> None:
    log = state_dir() / "build.log"
    with open(log, "wb") as output:
        try:
            process = subprocess.run(command, cwd=project_dir(), env=env, stdout=output, stderr=subprocess.STDOUT,
                                     timeout=float(current_app.config["SITE_REBUILD_TIMEOUT_SECONDS"]))
        except subprocess.TimeoutExpired:
            raise BuildError(f"The build took longer than {current_app.config['SITE_REBUILD_TIMEOUT_SECONDS']} s "
                             "and was stopped.\n" + _tail(log)) from None
        except OSError as error:
            raise BuildError(f"The build could not start: {error}") from None
    if process.returncode != 0:
        how = f"was killed by signal {-process.returncode}" if process.returncode < 0 else \
            f"failed (exit status {process.returncode})"
        raise BuildError(f"The build {how}.\n{_tail(log)}")


def _build(out: Path, feed: Path) -> None:
    command, env = build_command(out, feed)
    _run(command, env)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _check_complete(out: Path) -> None:
    """A build that exited 0 but lacks the home page or the answered page is not swapped in."""
    missing = [name for name in ("index.html", "404.html", "answered/index.html") if not (out / name).is_file()]
    if missing:
        raise BuildError(f"The build finished without {', '.join(missing)}: not used.")


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False if unavailable."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    function = getattr(libc, "renameat2", None)
    if function is None:
        return False
    at_fdcwd = -100
    return function(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0


def swap(new: Path) -> None:
    """Point the site folder at `new` in one step. The first time, when the site folder is a
    real folder (as `mkdocs build` made it), it is exchanged with the symlink atomically and
    moved into the builds folder; every later swap is one rename of a symlink."""
    site = site_dir()
    link = site.with_name(f".{site.name}.{os.getpid()}.link")
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    os.symlink(new, link)
    if site.is_dir() and not site.is_symlink():
        if not _exchange(link, site):
            raise BuildError(f"{site} is a folder and this system cannot swap it atomically: "
                             f"move it away and symlink it to a build.")
        os.replace(link, builds_dir() / f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H%M%SZ}-first")
        return
    os.replace(link, site)


def _prune(current: Path) -> None:
    builds = sorted((p for p in builds_dir().iterdir() if p.is_dir() and not p.is_symlink()),
                    key=lambda p: p.stat().st_mtime)
    keep = {current.name} | {p.name for p in builds[-KEEP_BUILDS:]}
    for path in builds:
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


# ---------------------------------------------------------------- GitHub Pages (hook mode)

def dispatch() -> str:
    """Ask GitHub to run the Pages workflow (repository_dispatch, event type feed-changed)."""
    import requests
    url, token = current_app.config.get("SITE_DISPATCH_URL"), current_app.config.get("SITE_DISPATCH_TOKEN")
    if not url or not token:
        raise click.UsageError("Set FEEDBACK_SITE_DISPATCH_URL and FEEDBACK_SITE_DISPATCH_TOKEN (deploy/README.md).")
    response = requests.post(url, timeout=30, json={"event_type": "feed-changed"}, headers={
        "Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28"})
    if response.status_code != 204:
        raise click.ClickException(f"GitHub answered {response.status_code}: {response.text[:300]}")
    return "GitHub Pages workflow started (repository_dispatch feed-changed)."


@click.command("rebuild-site")
@click.option("--site-dir", type=click.Path(file_okay=False), help="The served site folder (default: FEEDBACK_SITE_DIR, else ./site).")
@click.option("--if-pending", is_flag=True, help="Only if a change asked for a rebuild (what the timer runs).")
@click.option("--dispatch", "use_dispatch", is_flag=True,
              help="Start the GitHub Pages workflow instead of building here (the default when FEEDBACK_SITE_DISPATCH_URL is set).")
@with_appcontext
def rebuild_site_command(site_dir, if_pending, use_dispatch):
    """Rebuild the static site from the live feed and swap it in, while the server runs."""
    if site_dir:
        current_app.config["SITE_DIR"] = site_dir
    elif not current_app.config.get("SITE_DIR"):
        current_app.config["SITE_DIR"] = str(project_dir() / "site")
    token = _pending_token()
    if if_pending and not token:
        click.echo("Nothing to do: no change since the last rebuild.")
        return
    if use_dispatch or current_app.config.get("SITE_DISPATCH_URL"):
        click.echo(dispatch())
        _clear_pending((token or {}).get("token"))
        return
    click.echo(f"Building the site into {builds_dir()} (the served site stays as it is until the build is complete)…")
    result = rebuild(blocking=True, reason="command line")
    if not result["ok"]:
        raise click.ClickException(f"Rebuild failed; {site_dir or current_app.config['SITE_DIR']} still serves the "
                                   f"previous build.\n{result['error']}")
    click.echo(f"Done in {result['seconds']} s: {current_app.config['SITE_DIR']} -> {result['build']} "
               f"({result['answers']} answers listed).")

