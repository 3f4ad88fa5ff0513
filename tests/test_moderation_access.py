"""Who may reach what under /moderation/: every route refuses the anonymous and every
state-changing request without a CSRF token; moderators never reach admin-only data; sessions
hold only an id, time out when idle, end on sign-out and when a user is disabled; failed
sign-ins are rate limited; pages carry a strict CSP."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.routing import IntegerConverter

from feedback_api import storage
from tests.fixtures_moderation import PASSWORD, Staff, add_user
from tests.fixtures_service import make_app

OPEN_TO_ANONYMOUS = {"moderation.sign_in", "moderation.static"}
SAMPLE_ARGS = {"reference": "7KQ2-MXR4-TZF", "user_id": 1, "fmt": "csv", "filename": "moderation.css"}


def moderation_routes(app):
    """(endpoint, url, method) for every rule under /moderation/, arguments filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/moderation"):
            continue
        # Routes other parts add (e.g. /changes/<int:change_id>) get a sample of their type.
        args = {name: SAMPLE_ARGS.get(name, 1 if isinstance(rule._converters[name], IntegerConverter) else "x")
                for name in rule.arguments}
        with app.test_request_context():
            from flask import url_for
            url = url_for(rule.endpoint, **args)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, url, method))
    return found


def audit_count(app) -> int:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        return conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    finally:
        conn.close()


def test_the_url_map_has_the_moderation_routes(mod_app):
    endpoints = {e for e, _, _ in moderation_routes(mod_app)}
    assert len(endpoints) >= 18
    assert {"moderation.queue", "moderation.submission", "moderation.export", "moderation.audit",
            "moderation.users", "moderation.bulk", "moderation.save_answer"} <= endpoints


def test_every_moderation_route_refuses_the_anonymous(mod_app, anonymous, submit):
    submit()
    token = anonymous.token_from("/moderation/sign-in")  # a valid token: only the sign-in is missing
    before = audit_count(mod_app)
    checked = 0
    for endpoint, url, method in moderation_routes(mod_app):
        if endpoint in OPEN_TO_ANONYMOUS:
            continue
        if method == "GET":
            response = anonymous.get(url)
        else:
            response = anonymous.client.post(url, data={"csrf_token": token, "status": "spam",
                                                         "action": "spam", "ids": "1"})
        assert response.status_code in (302, 303, 401, 403), (method, url, response.status_code)
        if response.status_code in (302, 303):
            assert response.headers["Location"].startswith("/moderation/sign-in"), (method, url)
        assert "Kafalat" not in response.get_data(as_text=True)
        checked += 1
    assert checked >= 20
    assert audit_count(mod_app) == before, "an anonymous request changed something"


def test_every_state_changing_route_refuses_a_post_without_csrf_token(mod_app, admin, submit, mod_rows):
    reference = submit()
    before = (audit_count(mod_app), mod_rows("SELECT status, topic_code FROM submissions"))
    posts = [(e, u, m) for e, u, m in moderation_routes(mod_app) if m == "POST"]
    assert len(posts) >= 12
    for endpoint, url, _ in posts:
        url = url.replace(SAMPLE_ARGS["reference"], reference)
        response = admin.post(url, {"status": "spam", "action": "spam", "ids": "1", "body": "x",
                                    "language": "en", "username": "ada", "password": PASSWORD},
                              csrf=False)
        assert response.status_code == 400, (url, response.status_code)
        assert "Form expired" in response.get_data(as_text=True)
        # a wrong token is refused the same way
        response = admin.post(url, {"csrf_token": "forged", "status": "spam"}, csrf=False)
        assert response.status_code == 400, url
    assert (audit_count(mod_app), mod_rows("SELECT status, topic_code FROM submissions")) == before
    assert admin.get("/moderation/").status_code == 200  # still signed in: sign-out was refused too


def test_the_public_api_takes_form_posts_without_a_token(mod_app):
    client = mod_app.test_client()
    response = client.post("/api/v1/submissions", data={"message": "A question from the static site",
                                                        "language": "ur"})
    assert response.status_code == 303
    response = client.post("/api/v1/ratings", data={"page": "/ur/", "helpful": "yes"})
    assert response.status_code == 303


def test_a_moderator_cannot_reach_admin_only_pages(moderator):
    for url in ("/moderation/users", "/moderation/audit", "/moderation/export.csv?personal=1",
                "/moderation/export.json?personal=1"):
        response = moderator.get(url)
        assert response.status_code == 403, url
    response = moderator.post("/moderation/users", {"username": "eve", "role": "admin",
                                                    "password": "x" * 20})
    assert response.status_code == 403
    assert moderator.post("/moderation/users/2", {"action": "role", "role": "admin"}).status_code == 403


def test_a_moderator_never_sees_personal_data(moderator, admin, submit):
    reference = submit(name="Zainab Bibi", contact="zainab@example.org", consent_to_contact=True)
    for staff, visible in ((moderator, False), (admin, True)):
        pages = [staff.get(f"/moderation/submissions/{reference}"), staff.get("/moderation/"),
                 staff.get("/moderation/export.csv"), staff.get("/moderation/export.json")]
        text = "".join(p.get_data(as_text=True) for p in pages)
        assert all(p.status_code == 200 for p in pages)
        assert reference in text
        assert ("Zainab Bibi" in text) is visible, staff.username
    assert "Personal data is shown to admins only" in moderator.get(
        f"/moderation/submissions/{reference}").get_data(as_text=True)
    personal = admin.get("/moderation/export.csv?personal=1").get_data(as_text=True)
    assert "Zainab Bibi" in personal and "zainab@example.org" in personal


def test_sensitive_cases_are_for_admins_only(moderator, admin, submit, mod_rows):
    secret = submit("The agent took a commission from my payment and threatened me")
    plain = submit("When does registration open?")
    queue = moderator.get("/moderation/?status=all").get_data(as_text=True)
    assert plain in queue and secret not in queue
    assert secret not in moderator.get("/moderation/?status=all&sensitive=1").get_data(as_text=True)
    assert moderator.get(f"/moderation/submissions/{secret}").status_code == 404
    assert moderator.post(f"/moderation/submissions/{secret}/status", {"status": "closed"}).status_code == 404
    for url in ("/moderation/export.csv?status=all&sensitive=1", "/moderation/export.json?status=all"):
        assert secret not in moderator.get(url).get_data(as_text=True)
    # bulk actions skip what the moderator cannot see
    ids = re.findall(r'name="ids" value="(\d+)"', admin.get("/moderation/?status=all&sensitive=1").get_data(as_text=True))
    assert ids
    moderator.post("/moderation/bulk", {"action": "spam", "ids": ids})
    assert mod_rows("SELECT status FROM submissions WHERE reference = ?", [secret]) == [{"status": "new"}]
    assert secret in admin.get("/moderation/?status=all&sensitive=1").get_data(as_text=True)
    assert admin.get(f"/moderation/submissions/{secret}").status_code == 200
    assert secret not in admin.get("/moderation/?status=all").get_data(as_text=True), \
        "sensitive cases stay out of the main queue, even for admins"


def test_pages_carry_a_strict_csp_and_are_not_cached(admin, anonymous):
    for response in (admin.get("/moderation/"), anonymous.get("/moderation/sign-in")):
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        html = response.get_data(as_text=True)
        assert "<script" not in html and " style=" not in html


def test_session_cookie_flags_and_contents(mod_app):
    staff = Staff(mod_app, "ada")
    response = staff.sign_in()
    cookie = session_cookie(response)
    assert cookie.startswith("moderation=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    data = SecureCookieSessionInterface().get_signing_serializer(mod_app).loads(value)
    assert set(data) <= {"sid", "csrf_token", "_permanent"}, data
    assert "ada" not in repr(data)


def session_cookie(response) -> str:
    """The session's Set-Cookie (sign-in also sets moderation_known, signin_limits.py)."""
    cookies = [c for c in response.headers.getlist("Set-Cookie") if "moderation_known=" not in c]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_production_cookie_is_host_prefixed_and_secure(tmp_path):
    app = make_app(tmp_path, ENV="production", PASSWORD_METHOD="pbkdf2:sha256:1000")
    add_user(app, "ada", "admin")
    staff = Staff(app, "ada")
    staff.client = app.test_client()
    token_page = staff.client.get("/moderation/sign-in", base_url="https://mod.example.org")
    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page.get_data(as_text=True)).group(1)
    response = staff.client.post("/moderation/sign-in", base_url="https://mod.example.org",
                                 data={"username": "ada", "password": PASSWORD, "csrf_token": token},
                                 headers={"Referer": "https://mod.example.org/moderation/sign-in"})
    assert response.status_code == 303
    cookie = session_cookie(response)
    assert cookie.startswith("__Host-moderation=") and "Secure" in cookie and "Domain" not in cookie
    # Over HTTPS Flask-WTF also wants a same-origin Referer: moderation pages send
    # Referrer-Policy: same-origin (the service's default, no-referrer, would break every form).
    page = staff.client.get("/moderation/intake", base_url="https://mod.example.org")
    assert page.headers["Referrer-Policy"] == "same-origin"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"csrf_token": token, "message": "x"}
    refused = staff.client.post("/moderation/intake", base_url="https://mod.example.org", data=form)
    assert refused.status_code == 400, "no Referer over HTTPS"
    other = staff.client.post("/moderation/intake", base_url="https://mod.example.org", data=form,
                              headers={"Referer": "https://evil.example/"})
    assert other.status_code == 400, "a Referer from another site"
    ok = staff.client.post("/moderation/intake", base_url="https://mod.example.org", data=form,
                           headers={"Referer": "https://mod.example.org/moderation/intake"})
    assert ok.status_code == 400 and "Please check" in ok.get_data(as_text=True), "reached the form's own checks"
    storage.close_thread_connections()


def test_wrong_password_and_disabled_users_cannot_sign_in(mod_app):
    wrong = Staff(mod_app, "ada").sign_in(password="not the password")
    assert wrong.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    assert Staff(mod_app, "nobody").sign_in().status_code == 401


def test_sign_out_ends_the_session_on_the_server(mod_app, admin):
    cookie = admin.client.get_cookie("moderation").value
    assert admin.post("/moderation/sign-out").status_code == 303
    assert admin.get("/moderation/").status_code == 302
    replay = mod_app.test_client()
    replay.set_cookie("moderation", cookie)
    assert replay.get("/moderation/").status_code == 302, "an old cookie must not work after sign-out"


def test_disabling_a_user_ends_their_sessions(mod_app, admin, moderator):
    assert moderator.get("/moderation/").status_code == 200
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    mo_id = conn.execute("SELECT id FROM users WHERE username = 'mo'").fetchone()[0]
    conn.close()
    assert admin.post(f"/moderation/users/{mo_id}", {"action": "disable"}).status_code == 303
    assert moderator.get("/moderation/").status_code == 302
    assert moderator.sign_in().status_code == 401


def test_idle_sessions_time_out(mod_app, admin):
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    conn.execute("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    response = admin.get("/moderation/dashboard")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert "signed out after a time without activity" in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_failed_sign_ins_are_rate_limited_per_user_name_and_address(tmp_path):
    # Per name from anywhere only slows (tests/test_hardening_sign_in.py); here one address.
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, PASSWORD_METHOD="pbkdf2:sha256:1000",
                   LIMIT_SIGN_IN_ADDRESS_USER="3 per 15 minutes", LIMIT_SIGN_IN_ADDRESS="5 per 15 minutes")
    add_user(app, "ada", "admin")
    add_user(app, "mo", "moderator")
    # A correct sign-in does not count against anyone.
    for _ in range(4):
        assert Staff(app, "mo").sign_in().status_code == 303
    attacker = Staff(app, "ada")
    codes = [attacker.sign_in(password="guess number %d" % i).status_code for i in range(4)]
    assert codes == [401, 401, 401, 429]
    assert attacker.sign_in().status_code == 429, "this address is locked for this name, even with the password"
    limited = attacker.sign_in(password="again")
    assert "Retry-After" in limited.headers
    # The same address trying other names hits the per-address limit.
    other = Staff(app, "someone")
    codes = [other.sign_in(password="x").status_code for _ in range(3)]
    assert codes[-1] == 429
    storage.close_thread_connections()


def test_moderators_cannot_search_for_a_hidden_number(moderator, admin, submit):
    reference = submit("My CNIC is 35202-1234567-1, please check")
    assert reference in admin.get("/moderation/?q=1234567").get_data(as_text=True)
    assert reference in moderator.get("/moderation/?q=1234567").get_data(as_text=True), \
        "the number is dropped from a moderator's search: all open rows match"
    assert reference not in moderator.get("/moderation/?q=1234567 watches").get_data(as_text=True)
    assert 'value="watches"' in moderator.get("/moderation/?q=1234567 watches").get_data(as_text=True)


def test_admin_views_of_personal_data_are_audited(admin, submit, mod_rows):
    with_contact = submit(name="Ali", contact="ali@example.org")
    without = submit("No contact given")
    admin.get(f"/moderation/submissions/{with_contact}")
    admin.get(f"/moderation/submissions/{without}")
    rows = mod_rows("SELECT s.reference FROM audit_log l JOIN submissions s ON s.id = l.submission_id"
                    " WHERE l.action = 'view_personal'")
    assert rows == [{"reference": with_contact}]


def test_signing_in_sweeps_expired_sessions(mod_app, admin, mod_rows):
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    conn.execute("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    Staff(mod_app, "mo").sign_in()
    assert [r["username"] for r in mod_rows("SELECT u.username FROM sessions s JOIN users u ON u.id = s.user_id")] == ["mo"]


@pytest.mark.parametrize("first", ["feedback_api.openapi", "feedback_api.feed", "feedback_api.moderation"])
def test_every_route_is_there_whatever_is_imported_first(first, tmp_path):
    """A fresh interpreter that imports the public feed or the moderation package before the
    app: an import cycle once left the blueprint with 2 routes instead of all of them."""
    import subprocess
    import sys
    code = (f"import {first}\n"
            "from feedback_api import create_app\n"
            f"app = create_app({{'DATABASE': {str(tmp_path / 'x.sqlite3')!r}, 'INSTANCE_PATH': {str(tmp_path / 'i')!r},"
            " 'SECRET_KEY': 'x'})\n"
            "print(sorted(r.endpoint for r in app.url_map.iter_rules() if r.rule.startswith('/moderation')))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    endpoints = eval(result.stdout)  # a printed list of strings
    assert {"moderation.queue", "moderation.submission", "moderation.sign_in", "moderation.export",
            "moderation.users", "moderation.audit", "moderation.dashboard"} <= set(endpoints)


def test_an_answer_typed_while_the_session_timed_out_is_shown_back(mod_app, admin, submit, mod_rows):
    reference = submit()
    token = admin.token_from(f"/moderation/submissions/{reference}")
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    conn.execute("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    answer = "A long answer <b>typed</b> for forty minutes\nجواب"
    response = admin.post(f"/moderation/submissions/{reference}/answer",
                          {"csrf_token": token, "body": answer, "language": "en", "action": "publish"}, csrf=False)
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "A long answer &lt;b&gt;typed&lt;/b&gt; for forty minutes\nجواب</textarea>" in html
    assert f"next=/moderation/submissions/{reference}" in html.replace("%2F", "/")
    assert mod_rows("SELECT count(*) AS n FROM answers") == [{"n": 0}]
    assert admin.get("/moderation/").status_code == 302, "still signed out"
