"""Sign-in limits and passwords (issue 15, items 1 and 14): strangers hammering a user name from
many addresses cannot lock its owner out (the owner's correct password from their own address
still works; the name is slowed, never locked), one address guessing is stopped, locks and
slow-downs are audited, and an admin can clear them on the web or the CLI. Common and guessable
passwords are refused with a clear reason, on the web and the CLI."""
from __future__ import annotations

import json
import sqlite3

import pytest

from feedback_api import storage
from tests.fixtures_moderation import PASSWORD, Staff, add_user
from tests.fixtures_service import make_app

LIMITS = {"LIMIT_SIGN_IN_ADDRESS": "8 per 15 minutes", "LIMIT_SIGN_IN_ADDRESS_USER": "3 per 15 minutes",
          "LIMIT_SIGN_IN_USER": "6 per 15 minutes", "LIMIT_SIGN_IN_ADDRESS_USER_SLOWED": "1 per 15 minutes"}


class From(Staff):
    """A member of staff (or a stranger) on one address."""

    def __init__(self, app, username, address):
        super().__init__(app, username)
        self.client.environ_base["REMOTE_ADDR"] = address


def audit(app, action: str) -> list[dict]:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        rows = conn.execute("SELECT user_id, after, detail FROM audit_log WHERE action = ? ORDER BY id",
                            [action]).fetchall()
    finally:
        conn.close()
    return [{"user_id": r[0], "after": json.loads(r[1]) if r[1] else None, "detail": r[2]} for r in rows]


@pytest.fixture
def limited_app(tmp_path):
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, PASSWORD_METHOD="pbkdf2:sha256:1000", **LIMITS)
    add_user(app, "ada", "admin")
    add_user(app, "mo", "moderator")
    yield app
    storage.close_thread_connections()


def test_strangers_on_many_addresses_cannot_lock_the_owner_out(limited_app):
    # Ten strangers, each on its own address (carrier NAT or a botnet), fail as "mo".
    codes = []
    for n in range(10):
        stranger = From(limited_app, "mo", f"10.66.0.{n}")
        codes += [stranger.sign_in(password=f"guess {n} {i}").status_code for i in range(3)]
    assert codes.count(401) >= 10 and 429 in codes, codes
    # The owner, on their own address, with the right password: in.
    owner = From(limited_app, "mo", "10.1.1.1")
    assert owner.sign_in().status_code == 303
    assert owner.get("/moderation/").status_code == 200
    # The name was slowed (audited once), not locked.
    assert [e["after"]["user"] for e in audit(limited_app, "sign_in_slowed")] == ["mo"]


def test_a_slowed_name_lets_each_new_address_only_one_failure(limited_app):
    for n in range(3):
        stranger = From(limited_app, "mo", f"10.66.1.{n}")
        assert [stranger.sign_in(password="x" * 12).status_code for _ in range(2)] == [401, 401]
    # Six failures: the name is slowed. A fresh address gets one try, then waits.
    newcomer = From(limited_app, "mo", "10.66.1.200")
    first, second = newcomer.sign_in(password="wrong one"), newcomer.sign_in(password="wrong two")
    assert (first.status_code, second.status_code) == (401, 429)
    assert int(second.headers["Retry-After"]) > 60
    assert "ask an admin" in second.get_data(as_text=True)
    # ...even with the right password (that address has used its try), but the owner's browser
    # that signed in before is never slowed, whatever its address.
    assert newcomer.sign_in().status_code == 429


def test_the_owners_usual_browser_is_not_slowed(limited_app):
    owner = From(limited_app, "mo", "10.1.1.1")
    assert owner.sign_in().status_code == 303
    owner.client.post("/moderation/sign-out", data={"csrf_token": owner.token()})
    for n in range(4):
        From(limited_app, "mo", f"10.66.2.{n}").sign_in(password="nope nope nope")
        From(limited_app, "mo", f"10.66.2.{n}").sign_in(password="nope nope nope")
    owner.client.environ_base["REMOTE_ADDR"] = "10.1.9.9"  # travelling: another address
    assert owner.sign_in(password="typo typo typo").status_code == 401
    assert owner.sign_in().status_code == 303


def test_one_address_guessing_one_name_is_stopped_and_the_lock_audited(limited_app):
    attacker = From(limited_app, "ada", "10.66.3.1")
    codes = [attacker.sign_in(password=f"guess {i}").status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    locked = audit(limited_app, "sign_in_locked")
    assert len(locked) == 1 and locked[0]["after"]["user"] == "ada"
    assert locked[0]["after"]["scope"] == "this address and name"
    # The owner elsewhere is unaffected.
    assert From(limited_app, "ada", "10.1.1.2").sign_in().status_code == 303


def test_one_address_trying_many_names_is_stopped(limited_app):
    attacker = From(limited_app, None, "10.66.4.1")
    codes = []
    for n in range(5):
        attacker.username = f"name{n}"
        codes += [attacker.sign_in(password="password guess").status_code for _ in range(2)]
    assert codes[:8] == [401] * 8 and codes[8:] == [429, 429]
    scopes = [e["after"]["scope"] for e in audit(limited_app, "sign_in_locked")]
    assert "this address" in scopes
    assert all(e["after"]["user"] == "(no such user)" for e in audit(limited_app, "sign_in_locked"))


def test_an_admin_clears_a_lock_on_the_web_and_it_is_audited(limited_app):
    attacker = From(limited_app, "mo", "10.66.5.1")
    for i in range(3):
        attacker.sign_in(password=f"guess {i}")
    assert attacker.sign_in().status_code == 429
    admin = From(limited_app, "ada", "10.1.1.3")
    assert admin.sign_in().status_code == 303
    users = admin.get("/moderation/users").get_data(as_text=True)
    assert "3 failed sign-ins" in users
    user_id = next(u for u in storage_users(limited_app) if u[1] == "mo")[0]
    response = admin.post(f"/moderation/users/{user_id}", {"action": "unlock"})
    assert response.status_code == 303
    assert attacker.sign_in().status_code == 303  # the limit is gone for that name
    cleared = audit(limited_app, "sign_in_unlock")
    assert cleared[-1]["after"] == {"user": "mo"} and cleared[-1]["user_id"] is not None


def storage_users(app):
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        return conn.execute("SELECT id, username FROM users").fetchall()
    finally:
        conn.close()


def test_an_admin_clears_a_lock_with_the_cli(limited_app):
    attacker = From(limited_app, "mo", "10.66.6.1")
    for i in range(3):
        attacker.sign_in(password=f"guess {i}")
    assert attacker.sign_in().status_code == 429
    runner = limited_app.test_cli_runner()
    result = runner.invoke(args=["clear-sign-in-limits", "mo"])
    assert result.exit_code == 0, result.output
    assert "cleared for mo" in result.output
    assert attacker.sign_in().status_code == 303
    assert audit(limited_app, "sign_in_unlock")[-1]["after"] == {"user": "mo"}
    assert runner.invoke(args=["clear-sign-in-limits", "nobody"]).exit_code != 0
    assert runner.invoke(args=["clear-sign-in-limits", "--all"]).exit_code == 0


# ---------------------------------------------------------------- passwords (item 14)

WEAK = ["aaaaaaaaaaaa", "password1234", "qwertyuiop12", "123456789012", "iloveyou1234",
        "ehsaasehsaas", "moderator123", "newuser12345"]


@pytest.mark.parametrize("password", WEAK)
def test_common_and_guessable_passwords_are_refused_on_the_web(admin, mod_rows, password):
    response = admin.post("/moderation/users", {"username": "newuser", "role": "moderator",
                                                "password": password})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "too easy to guess" in page
    assert not mod_rows("SELECT id FROM users WHERE username = 'newuser'")


def test_a_strong_password_is_accepted_and_the_rules_are_shown(admin, mod_rows):
    page = admin.get("/moderation/users").get_data(as_text=True)
    assert "not a common or guessable password" in page
    response = admin.post("/moderation/users", {"username": "newuser", "role": "moderator",
                                                "password": "plum river satchel lantern"})
    assert response.status_code == 303
    assert mod_rows("SELECT id FROM users WHERE username = 'newuser'")


def test_resetting_to_a_guessable_password_is_refused(admin, mod_rows):
    user_id = mod_rows("SELECT id FROM users WHERE username = 'mo'")[0]["id"]
    response = admin.post(f"/moderation/users/{user_id}", {"action": "password", "password": "password1234"})
    assert response.status_code == 400 and "too easy to guess" in response.get_data(as_text=True)


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", "password1234", "amina-amina-amina", "amina2024!!!"])
def test_the_cli_refuses_guessable_passwords_with_the_reason(mod_app, password):
    runner = mod_app.test_cli_runner()
    result = runner.invoke(args=["create-user", "amina", "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0
    assert "too easy to guess" in result.output
    ok = runner.invoke(args=["create-user", "amina", "--password-stdin"], input="plum river satchel lantern\n")
    assert ok.exit_code == 0, ok.output
    result = runner.invoke(args=["set-password", "amina", "--password-stdin"], input=password + "\n")
    assert result.exit_code != 0 and "too easy to guess" in result.output
