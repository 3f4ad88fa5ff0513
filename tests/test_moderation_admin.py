"""Admins' tools and the figures: users (web and CLI), the audit list with filters, exports of
the current filter, and the dashboard's numbers."""
from __future__ import annotations

import csv
import io
import json
import sqlite3

from feedback_api import storage
from feedback_api.moderation import dashboard as dash
from tests.fixtures_moderation import PASSWORD, Staff
from tests.fixtures_service import make_app


def set_times(app, reference, received, answered=None):
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.execute("UPDATE submissions SET received_at = ?, first_answered_at = COALESCE(?, first_answered_at)"
                 " WHERE reference = ?", [received, answered, reference])
    conn.commit()
    conn.close()


def test_admin_creates_a_moderator_who_can_then_sign_in(mod_app, admin, mod_rows):
    response = admin.post("/moderation/users", {"username": "Sana", "role": "moderator", "password": "short"})
    assert response.status_code == 400 and "at least 12 characters" in response.get_data(as_text=True)
    response = admin.post("/moderation/users", {"username": "sana", "role": "moderator", "password": PASSWORD})
    assert response.status_code == 303
    assert Staff(mod_app, "sana").sign_in().status_code == 303
    assert admin.post("/moderation/users", {"username": "sana", "role": "admin",
                                            "password": PASSWORD}).status_code == 400
    assert mod_rows("SELECT role FROM users WHERE username = 'sana'") == [{"role": "moderator"}]
    assert mod_rows("SELECT password_hash FROM users WHERE username = 'sana'")[0]["password_hash"].startswith("pbkdf2:")


def test_the_last_admin_cannot_be_removed(admin, mod_rows):
    ada = mod_rows("SELECT id FROM users WHERE username = 'ada'")[0]["id"]
    for action in ({"action": "disable"}, {"action": "role", "role": "moderator"}):
        response = admin.post(f"/moderation/users/{ada}", action)
        assert response.status_code == 400 and "last active admin" in response.get_data(as_text=True)
    assert mod_rows("SELECT role, active FROM users WHERE id = ?", [ada]) == [{"role": "admin", "active": 1}]


def test_password_reset_ends_sessions(mod_app, admin, moderator, mod_rows):
    mo = mod_rows("SELECT id FROM users WHERE username = 'mo'")[0]["id"]
    admin.post(f"/moderation/users/{mo}", {"action": "password", "password": "a new long password"})
    assert moderator.get("/moderation/").status_code == 302
    assert moderator.sign_in(password="a new long password").status_code == 303


def test_audit_list_filters(admin, moderator, submit):
    ref = submit()
    moderator.post(f"/moderation/submissions/{ref}/status", {"status": "in_review"})
    admin.post(f"/moderation/submissions/{ref}/notes", {"body": "checked"})
    html = admin.get("/moderation/audit?user=mo&action=status").get_data(as_text=True)
    assert "<strong>mo</strong> status" in html and "<strong>ada</strong> note" not in html
    html = admin.get(f"/moderation/audit?reference={ref.lower()}").get_data(as_text=True)
    assert "<strong>ada</strong> note" in html and "sign in" not in html
    assert "sign in" in admin.get("/moderation/audit?action=sign_in").get_data(as_text=True)


def test_export_follows_the_current_filter_and_is_audited(admin, submit, mod_rows):
    urdu = submit("سوال", language="ur", district="Multan")
    submit("Question", language="en")
    rows = json.loads(admin.get("/moderation/export.json?language=ur").get_data(as_text=True))
    assert [r["reference"] for r in rows] == [urdu]
    assert rows[0]["message"] == "سوال" and rows[0]["district"] == "Multan"
    body = admin.get("/moderation/export.csv?language=ur&personal=1").get_data(as_text=True)
    assert body.startswith("\ufeff")
    table = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["reference"] for r in table] == [urdu] and "contact" in table[0]
    exports = mod_rows("SELECT after FROM audit_log WHERE action = 'export' ORDER BY id")
    assert json.loads(exports[-1]["after"]) == {"format": "csv", "personal": True,
                                                "filters": {"language": "ur", "status": "open",
                                                                        "order": "newest"}}
    assert admin.get("/moderation/export.xlsx").status_code == 404


def test_dashboard_counts_median_and_oldest(mod_app, admin, moderator, submit):
    week = dash.week_starts(2)
    a = submit("One", component="langar", district="Quetta")
    b = submit("Two", component="langar", language="ur", district="Quetta")
    c = submit("Three", component="amdan")
    submit("The agent took a bribe")  # sensitive: in admins' figures only
    set_times(mod_app, a, f"{week[0]}T08:00:00Z")
    set_times(mod_app, b, f"{week[1]}T08:00:00Z")
    admin.post(f"/moderation/submissions/{c}/answer", {"body": "Yes", "language": "en", "action": "publish"})
    set_times(mod_app, c, f"{week[1]}T00:00:00Z", f"{week[1]}T06:00:00Z")
    with mod_app.test_request_context():
        from flask import g
        g.user = {"role": "moderator"}
        data = dash.build(2)
    assert [w["total"] for w in data["per_week"]] == [1, 2]
    assert data["stats"]["states"] == {"open": 2, "answered": 1, "closed": 0}
    assert data["stats"]["median_hours_to_answer"] == 6.0
    assert data["stats"]["oldest"][0]["reference"] == a
    component = next(t for t in data["tables"] if t["dim"] == "component")
    assert component["rows"][0] == {"label": "Langar", "series": [1, 1], "total": 2}
    html = moderator.get("/moderation/dashboard?weeks=2").get_data(as_text=True)
    assert "6 hours" in html and a in html and "<svg" in html
    assert html.count('class="spark"') >= 5
    admin_html = admin.get("/moderation/dashboard?weeks=2").get_data(as_text=True)
    assert '<span class="n">4</span> received' in admin_html
    assert '<span class="n">3</span> received' in html


def test_cli_creates_disables_and_lists_users(tmp_path, monkeypatch):
    app = make_app(tmp_path, PASSWORD_METHOD="pbkdf2:sha256:1000")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "Admin1", "--role", "admin", "--password-stdin"],
                           input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "created admin admin1" in result.output
    assert runner.invoke(args=["create-user", "admin1", "--password-stdin"], input=PASSWORD + "\n").exit_code == 1
    result = runner.invoke(args=["create-user", "weak", "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "at least 12" in result.output
    result = runner.invoke(args=["create-user", "mod1"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert Staff(app, "mod1").sign_in().status_code == 303
    result = runner.invoke(args=["disable-user", "admin1"])
    assert result.exit_code == 1 and "last active admin" in result.output
    assert runner.invoke(args=["disable-user", "mod1"]).exit_code == 0
    assert Staff(app, "mod1").sign_in().status_code == 401
    listing = runner.invoke(args=["list-users"]).output
    assert "admin1\tadmin\tactive" in listing and "mod1\tmoderator\tdisabled" in listing
    assert runner.invoke(args=["enable-user", "mod1"]).exit_code == 0
    assert runner.invoke(args=["set-password", "mod1", "--password-stdin"], input="another long password\n").exit_code == 0
    assert Staff(app, "mod1").sign_in(password="another long password").status_code == 303
    assert runner.invoke(args=["disable-user", "ghost"]).exit_code == 1
    storage.close_thread_connections()


def test_production_hashes_with_scrypt(tmp_path):
    app = make_app(tmp_path)
    with app.app_context():
        from feedback_api.moderation import security
        assert security.hash_password("x" * 12).startswith("scrypt:")
    storage.close_thread_connections()
