"""The install files in deploy/ do what deploy/README.md says: the systemd units pass systemd's
own checks and hardening review, the commands they run work as written with the environment they
give (a missing secret key stops the start with a clear message), feedback-cli gives a person
the same environment, and the nginx config renders for HTTPS and passes `nginx -t`."""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests import processes
from tests.fixtures_deploy import NGINX, Nginx, nginx_main_conf, read_env_file
from tests.fixtures_service import ROOT, SECRET, free_port

UNITS = ROOT / "deploy" / "systemd"
SERVICES = ["ehsaas-feedback.service", "ehsaas-backup.service", "ehsaas-retention.service",
            "ehsaas-bearerbox.service", "ehsaas-smsbox.service", "ehsaas-sms-sender.service"]
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def parse_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """systemd's unit syntax: [Section], Key=Value, a key may repeat (values accumulate)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def installed_copy(tmp_path: Path) -> tuple[Path, dict]:
    """The units with the install's paths pointed at this checkout and a temp state dir."""
    state = tmp_path / "state"
    state.mkdir()
    mapping = {"/srv/ehsaas": str(ROOT), "/var/lib/ehsaas": str(state), "/etc/ehsaas": str(tmp_path / "etc")}
    out = tmp_path / "units"
    out.mkdir()
    for unit in UNITS.iterdir():
        text = unit.read_text()
        for old, new in mapping.items():
            text = text.replace(old, new)
        (out / unit.name).write_text(text)
    return out, mapping


def unit_environment(unit: dict, mapping: dict, site_env: Path) -> dict:
    """What systemd gives the unit's commands: Environment=, then each EnvironmentFile= in order."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    for assignment in unit["Service"].get("Environment", []):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    for name in unit["Service"]["EnvironmentFile"]:
        path = site_env if name.endswith("/etc/ehsaas/feedback.env") or name.startswith(mapping["/etc/ehsaas"]) \
            else Path(name)
        values = read_env_file(path)
        for key, value in values.items():
            for old, new in mapping.items():
                value = value.replace(old, new)
            env[key] = value
    return env


def run_command(line: str, cwd: str, env: dict, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(shlex.split(line), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze is not installed (Debian package systemd)")
def test_units_pass_systemd_verify_and_its_hardening_review(tmp_path):
    units, _ = installed_copy(tmp_path)
    files = sorted(str(p) for p in units.glob("ehsaas-*"))
    done = subprocess.run([SYSTEMD_ANALYZE, "verify", *files], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr
    for service in SERVICES:
        done = subprocess.run([SYSTEMD_ANALYZE, "security", "--offline=yes", "--no-pager", str(units / service)],
                              capture_output=True, text=True, timeout=60)
        score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", done.stdout).group(1))
        # 10 is an unhardened service; below 2 is what systemd calls OK/SAFE.
        assert score < 2.0, (service, score)


def test_timers_run_retention_before_the_daily_backup():
    backup = parse_unit(UNITS / "ehsaas-backup.timer")["Timer"]
    retention = parse_unit(UNITS / "ehsaas-retention.timer")["Timer"]
    assert backup["Persistent"] == ["true"] and retention["Persistent"] == ["true"]
    when = lambda t: re.search(r"(\d\d):(\d\d):\d\d UTC", t["OnCalendar"][0]).groups()
    assert when(retention) < when(backup)
    assert "backup-rotate" in parse_unit(UNITS / "ehsaas-backup.service")["Service"]["ExecStart"][0]
    assert parse_unit(UNITS / "ehsaas-retention.service")["Service"]["ExecStart"][0].endswith("retention")


def test_the_units_commands_work_as_written(tmp_path):
    """ExecStartPre (init-db), ExecStart (gunicorn), then the backup and retention services'
    commands, each with the environment systemd would give it."""
    units, mapping = installed_copy(tmp_path)
    etc = Path(mapping["/etc/ehsaas"])
    etc.mkdir()
    site_env = etc / "feedback.env"
    example = (ROOT / "deploy" / "feedback.env.example").read_text()
    port = free_port()

    # As shipped, the example has no secret key: the service refuses to start, and says why.
    site_env.write_text(example)
    service = parse_unit(units / "ehsaas-feedback.service")
    env = unit_environment(service, mapping, site_env)
    cwd = service["Service"]["WorkingDirectory"][0]
    done = run_command(service["Service"]["ExecStartPre"][0], cwd, env)
    assert done.returncode != 0 and "FEEDBACK_SECRET_KEY is not set" in done.stderr

    # With a key (and a free port; one worker so no Redis is needed here).
    site_env.write_text(example.replace("FEEDBACK_SECRET_KEY=", f"FEEDBACK_SECRET_KEY={SECRET}")
                        .replace("FEEDBACK_BIND=127.0.0.1:8000", f"FEEDBACK_BIND=127.0.0.1:{port}")
                        .replace("FEEDBACK_WORKERS=2", "FEEDBACK_WORKERS=1")
                        .replace("FEEDBACK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0",
                                 "FEEDBACK_RATELIMIT_STORAGE_URI=memory://"))
    env = unit_environment(service, mapping, site_env)
    assert env["FEEDBACK_ENV"] == "production" and env["FEEDBACK_TRUSTED_PROXIES"] == "1"
    done = run_command(service["Service"]["ExecStartPre"][0], cwd, env)
    assert done.returncode == 0, done.stderr
    database = Path(env["FEEDBACK_DATABASE"])
    assert database.is_file() and database.parent == Path(mapping["/var/lib/ehsaas"])

    log = tmp_path / "gunicorn.log"
    proc = processes.start(shlex.split(service["Service"]["ExecStart"][0]), log, cwd=cwd, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        processes.wait_until(processes.answering(url + "/healthz", timeout=5), proc, "gunicorn", log)
        posted = requests.post(url + "/api/v1/submissions", timeout=10, json={
            "message": "through the unit's own command", "name": "Amina", "contact": "0300 0000000"})
        assert posted.status_code == 201
    finally:
        processes.stop(proc, timeout=20)

    # The timers' services need no network (PrivateNetwork=yes): an unreachable Redis is fine.
    for name, check in (("ehsaas-retention.service", lambda out: out["contacts_erased"] == 0),
                        ("ehsaas-backup.service", lambda out: out["submissions"] == 1)):
        unit = parse_unit(units / name)
        env = unit_environment(unit, mapping, site_env)
        env["FEEDBACK_RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:1/0"
        done = run_command(unit["Service"]["ExecStart"][0], unit["Service"]["WorkingDirectory"][0], env)
        assert done.returncode == 0, (name, done.stderr)
        assert check(json.loads(done.stdout.strip().splitlines()[-1])), (name, done.stdout)
    backups = list(Path(env["FEEDBACK_BACKUP_DIR"]).glob("feedback-*.sqlite3"))
    assert len(backups) == 1

    # feedback-cli: the same environment for a person at the terminal (the state paths of this
    # test go in its site file, which wins over deploy/production.env as in the units).
    cli_env = tmp_path / "cli.env"
    cli_env.write_text(site_env.read_text() + "".join(
        f"{key}={env[key]}\n" for key in ("FEEDBACK_INSTANCE_PATH", "FEEDBACK_DATABASE", "FEEDBACK_BACKUP_DIR")))
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "feedback-cli"), "retention", "--dry-run"],
                          env={**os.environ, "EHSAAS_ENV_FILE": str(cli_env)},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["days"] == 365


def test_feedback_cli_reads_env_files_like_systemd(tmp_path):
    site_env = tmp_path / "feedback.env"
    site_env.write_text('# a comment\n; another\nFEEDBACK_SECRET_KEY="abc def"\n'
                        "FEEDBACK_LIMIT_SUBMISSIONS=10 per minute;200 per day\n")
    code = (ROOT / "deploy" / "feedback-cli").read_text()
    scope: dict = {"__name__": "feedback_cli", "__file__": str(ROOT / "deploy" / "feedback-cli")}
    exec(compile(code, "feedback-cli", "exec"), scope)
    assert scope["read_env_file"](site_env) == {"FEEDBACK_SECRET_KEY": "abc def",
                                                "FEEDBACK_LIMIT_SUBMISSIONS": "10 per minute;200 per day"}
    missing = subprocess.run([sys.executable, str(ROOT / "deploy" / "feedback-cli"), "list-users"],
                             env={**os.environ, "EHSAAS_ENV_FILE": str(tmp_path / "nope.env")},
                             capture_output=True, text=True, timeout=30)
    assert missing.returncode != 0 and "nope.env is missing" in missing.stderr


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (scripts/setup --test installs it)")
def test_https_config_renders_and_passes_nginx_t(built_site, tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=outreach.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    nginx = Nginx(tmp_path / "nginx", built_site, "127.0.0.1:8000")
    nginx.prefix.mkdir()
    nginx.port = free_port()
    conf = nginx.render(tls_cert=cert, tls_key=key, server_name="outreach.example.org")
    # nginx -t would bind nothing, but a listen on :80 needs no privilege to be *checked*.
    (nginx.prefix / "ehsaas.conf").write_text(conf)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (nginx.prefix / "tmp" / kind).mkdir(parents=True)
    (nginx.prefix / "nginx.conf").write_text(nginx_main_conf(nginx.prefix, nginx.prefix / "ehsaas.conf"))
    checked = nginx.test_config()
    assert checked.returncode == 0, checked.stderr
    assert "Strict-Transport-Security" in conf and '"max-age=31536000"' in conf
    assert "upgrade-insecure-requests" in conf
    assert "return 301 https://$host$request_uri" in conf
    assert re.search(r"listen 127\.0\.0\.1:\d+ ssl http2;", conf)


def test_render_refuses_what_the_csp_would_break(built_site, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(built_site, site)
    page = site / "about" / "index.html"
    page.write_text(page.read_text().replace("<body", '<body onload="go()"', 1))
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "render_nginx.py"), "--site", str(site)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "about/index.html: inline event handler onload=" in done.stderr
    done = subprocess.run([sys.executable, str(ROOT / "deploy" / "render_nginx.py"), "--site", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "index.html is missing" in done.stderr


def test_deploy_readme_names_only_real_files_and_settings():
    """deploy/README.md and the env files follow the files: every deploy/ path it names exists,
    every FEEDBACK_* setting it or the env files name is one the service reads."""
    from feedback_api import config

    readme = (ROOT / "deploy" / "README.md").read_text()
    for path in set(re.findall(r"\bdeploy/[\w./*-]+", readme)):
        path = path.rstrip(".")
        assert list(ROOT.glob(path)), path
    for name in set(re.findall(r"`(systemd/[\w.{},-]+|nginx/[\w.]+|[\w-]+\.(?:py|env|example))`", readme)):
        assert list((ROOT / "deploy").glob(name.replace("{service,timer}", "*"))), name
    known = set(config.BY_NAME)
    texts = [readme, (ROOT / "deploy" / "feedback.env.example").read_text(),
             (ROOT / "deploy" / "production.env").read_text(),
             *(p.read_text() for p in UNITS.iterdir())]
    named = {n for text in texts for n in re.findall(r"\bFEEDBACK_([A-Z_]+[A-Z])\b", text)}
    assert named - known == set(), f"settings the service does not read: {sorted(named - known)}"
    # Every file the README's install copies is in the repository.
    assert {p.name for p in UNITS.iterdir()} >= {"ehsaas-feedback.service", "ehsaas-backup.service",
                                                 "ehsaas-backup.timer", "ehsaas-retention.service",
                                                 "ehsaas-retention.timer"}
