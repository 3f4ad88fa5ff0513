"""deploy/render_kannel.py: the Kannel configuration the units run, rendered from the template
with the secrets from the environment; refuses what would break Kannel or leak a secret."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from tests.fixtures_service import ROOT

RENDER = ROOT / "deploy" / "render_kannel.py"
SECRETS = {"FEEDBACK_SMS_INBOUND_SECRET": "in-secret-0123456789abc", "FEEDBACK_SMS_SENDSMS_PASSWORD": "out-secret-0123456789"}


def render(*args, env=None):
    return subprocess.run([sys.executable, str(RENDER), *args], capture_output=True, text=True, timeout=30,
                          env={**os.environ, **(SECRETS if env is None else env)})


def test_renders_for_an_operator_smsc_with_secrets_from_the_environment(tmp_path):
    smsc = tmp_path / "smsc.conf"
    smsc.write_text((ROOT / "deploy" / "kannel" / "smsc-smpp.example").read_text())
    out = tmp_path / "kannel.conf"
    done = render("--short-code", "8877", "--smsc-file", str(smsc), "--output", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "smsc = smpp" in text and "smsc = fake" not in text and "@" not in text.replace(
        f"kannel:{SECRETS['FEEDBACK_SMS_INBOUND_SECRET']}@127.0.0.1", "")
    assert f'post-url = "http://kannel:{SECRETS["FEEDBACK_SMS_INBOUND_SECRET"]}@127.0.0.1:8000/api/v1/sms/inbound?' \
           f'from=%p&to=%P&id=%I"' in text
    assert f'password = "{SECRETS["FEEDBACK_SMS_SENDSMS_PASSWORD"]}"' in text
    assert 'global-sender = "8877"' in text and 'sendsms-interface = 127.0.0.1' in text
    # No personal data or secret in Kannel's logs unless asked for (--debug-logs).
    assert "\naccess-log" not in text and text.count("log-level = 2") == 2
    # smsbox posts a few texts at a time, not Kannel's default of 512 (benchmarks/sms_throughput.md).
    smsbox = text.split("group = smsbox", 1)[1].split("group = ", 1)[0]
    assert "\nmax-pending-requests = 32\n" in smsbox


def test_texts_in_flight_to_the_service_can_be_set(tmp_path):
    done = render("--short-code", "8877", "--fake-smsc-port", "10000", "--max-pending-requests", "64")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("max-pending-requests = ") == 1 and "\nmax-pending-requests = 64\n" in done.stdout


@pytest.mark.parametrize("args, env, message", [
    (["--short-code", "8877", "--fake-smsc-port", "10000"], {}, "FEEDBACK_SMS_INBOUND_SECRET must be set"),
    (["--short-code", "8877", "--fake-smsc-port", "10000"],
     {**SECRETS, "FEEDBACK_SMS_INBOUND_SECRET": 'short"q'}, "FEEDBACK_SMS_INBOUND_SECRET must be set"),
    (["--short-code", "8877"], None, "exactly one of --smsc-file"),
    (["--short-code", "88;77", "--fake-smsc-port", "1"], None, "--short-code"),
    (["--short-code", "8877", "--fake-smsc-port", "1", "--service-url", "http://a b"], None, "--service-url"),
    (["--short-code", "8877", "--fake-smsc-port", "1", "--log-dir", "/tmp/x\"y"], None, "--log-dir"),
    (["--short-code", "8877", "--fake-smsc-port", "1", "--max-pending-requests", "0"], None,
     "--max-pending-requests 0: from 1 to 10000"),
])
def test_refuses_what_would_break_kannel(args, env, message):
    done = render(*args, env=env)
    assert done.returncode == 2 and message in done.stderr


def test_an_smsc_file_may_hold_only_smsc_groups(tmp_path):
    smsc = tmp_path / "smsc.conf"
    smsc.write_text("group = smsc\nsmsc = fake\n\ngroup = sendsms-user\nusername = x\n")
    done = render("--short-code", "8877", "--smsc-file", str(smsc))
    assert done.returncode == 2 and "only 'group = smsc'" in done.stderr


def test_the_production_rendering_is_one_kannel_accepts(tmp_path):
    """Without --debug-logs (as deployed): bearerbox and smsbox start on it and log nothing
    about the texts."""
    from tests import processes
    from tests.fixtures_sms import BEARERBOX, SMSBOX

    ports = [processes.free_port() for _ in range(4)]
    conf = tmp_path / "kannel.conf"
    done = render("--short-code", "8877", "--fake-smsc-port", str(ports[0]), "--smsbox-port", str(ports[1]),
                  "--sendsms-port", str(ports[2]), "--admin-port", str(ports[3]), "--state-dir", str(tmp_path),
                  "--log-dir", str(tmp_path), "--output", str(conf))
    assert done.returncode == 0, done.stderr
    procs = []
    try:
        for binary, port in ((BEARERBOX, ports[1]), (SMSBOX, ports[2])):
            log = tmp_path / f"{os.path.basename(binary)}.out"
            procs.append(processes.start([binary, conf], log, cwd=tmp_path))
            processes.wait_until(processes.listening(port), procs[-1], binary, log, 20)
    finally:
        for proc in reversed(procs):
            processes.stop(proc, timeout=20)
    assert not list(tmp_path.glob("*access*"))
