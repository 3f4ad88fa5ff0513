"""The service as a whole: factory and config, storage guarantees, CLI, limits, CORS, headers,
the OpenAPI document, one-box site serving and the strings it uses."""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from openapi_spec_validator import validate

from feedback_api import create_app, i18n, storage
from feedback_api.config import ConfigError

GOOD = {"kind": "feedback", "component": "general", "language": "en", "message": "Helpful site"}
ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- config and secret key

def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="FEEDBACK_SECRET_KEY is not set"):
        create_app({"ENV": "production", "SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path),
                    "DATABASE": str(tmp_path / "db.sqlite3")})


def test_production_secret_key_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_ENV", "production")
    monkeypatch.setenv("FEEDBACK_SECRET_KEY", "from-env-0123456789")
    monkeypatch.setenv("FEEDBACK_DATABASE", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("FEEDBACK_RATELIMIT_ENABLED", "false")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-env-0123456789"
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["DATABASE"] == str(tmp_path / "db.sqlite3")


@pytest.mark.parametrize("override, message", [
    ({"SQLITE_SYNCHRONOUS": "OFF"}, "FEEDBACK_SQLITE_SYNCHRONOUS"),
    ({"TRUSTED_PROXIES": "one"}, "FEEDBACK_TRUSTED_PROXIES"),
    ({"LIMIT_SUBMISSIONS": "lots"}, "FEEDBACK_LIMIT_SUBMISSIONS"),
])
def test_bad_settings_are_refused_at_start_with_their_name(tmp_path, override, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE": str(tmp_path / "db.sqlite3"),
                    "SECRET_KEY": "k", **override})


def test_development_generates_a_key_once_and_keeps_it(tmp_path):
    config = {"SECRET_KEY": None, "INSTANCE_PATH": str(tmp_path / "inst"), "DATABASE": str(tmp_path / "db.sqlite3")}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0


# ---------------------------------------------------------------- storage guarantees

def test_database_is_wal_with_foreign_keys_and_a_long_busy_timeout(service_app):
    with service_app.app_context():
        db = storage.get_db()
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert storage.schema_version(db) == storage.latest()


def test_one_connection_per_thread(service_app):
    import threading
    seen = {}

    def grab(name):
        with service_app.app_context():
            seen[name] = (storage.get_db(), storage.get_db())
            storage.close_thread_connections()

    threads = [threading.Thread(target=grab, args=(n,)) for n in "ab"]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert seen["a"][0] is seen["a"][1] and seen["a"][0] is not seen["b"][0]


def test_audit_log_is_append_only(service_app):
    conn = sqlite3.connect(service_app.config["DATABASE"])
    with conn:
        conn.execute("INSERT INTO audit_log (at, action, detail) VALUES ('2026-01-01T00:00:00Z', 'test', 'x')")
    for statement in ("UPDATE audit_log SET detail = 'changed'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            with conn:
                conn.execute(statement)
    assert conn.execute("SELECT detail FROM audit_log").fetchall() == [("x",)]
    conn.close()


def test_schema_rejects_impossible_values(service_app):
    conn = sqlite3.connect(service_app.config["DATABASE"])
    conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO submissions (reference, kind, component, language, message, message_hash,"
                     " received_at, updated_at, status) VALUES ('A', 'q', 'c', 'en', 'm', 'h', 't', 't', 'lost')")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("INSERT INTO contacts (submission_id, name) VALUES (999, 'nobody')")
    conn.close()


# ---------------------------------------------------------------- CLI

def test_init_db_creates_then_reports_up_to_date(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE": str(tmp_path / "new.sqlite3"),
                      "SECRET_KEY": "k", "MIGRATE_ON_START": False})
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init-db"])
    assert first.exit_code == 0 and "applied 0001_initial" in first.output
    second = runner.invoke(args=["init-db"])
    assert second.exit_code == 0 and "up to date" in second.output


def test_app_start_applies_pending_migrations(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE": str(path), "SECRET_KEY": "k"})
    assert storage.pending(str(path)) == []


def test_backup_is_a_consistent_copy(service_app, api, tmp_path):
    for i in range(5):
        api.post("/api/v1/submissions", json={**GOOD, "message": f"message {i}"})
    dest = tmp_path / "backups" / "copy.sqlite3"
    result = service_app.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report == {"path": str(dest), "submissions": 5, "integrity": "ok"}
    conn = sqlite3.connect(dest)
    assert conn.execute("SELECT count(*) FROM submissions").fetchone()[0] == 5
    conn.close()


def test_backup_default_destination_is_in_instance(service_app):
    result = service_app.test_cli_runner().invoke(args=["backup"])
    assert result.exit_code == 0
    assert Path(json.loads(result.output)["path"]).parent == Path(service_app.instance_path) / "backups"


# ---------------------------------------------------------------- health

def test_healthz(api):
    response = api.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok",
                                   "schema_version": storage.latest()}


def test_livez_needs_no_database(service_app, api):
    Path(service_app.config["DATABASE"]).write_bytes(b"broken" * 100)
    storage.close_thread_connections()
    response = api.get("/livez")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"


def test_healthz_fails_when_the_database_is_broken(service_app, api):
    Path(service_app.config["DATABASE"]).write_bytes(b"this is not a database" * 100)
    storage.close_thread_connections()
    response = api.get("/healthz")
    assert response.status_code == 503 and response.get_json()["status"] == "error"


# ---------------------------------------------------------------- limits

def test_rate_limit_answers_429_with_retry_after_in_json(make_service_app):
    app = make_service_app(RATELIMIT_ENABLED=True, LIMIT_SUBMISSIONS="3 per minute")
    client = app.test_client()
    codes = [client.post("/api/v1/submissions", json={**GOOD, "message": f"m{i}"}).status_code for i in range(4)]
    assert codes == [201, 201, 201, 429]
    response = client.post("/api/v1/submissions", json={**GOOD, "message": "m5"})
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited" and re.search(r"wait \d+ seconds", error["message"])
    assert abs(error["retry_after"] - int(response.headers["Retry-After"])) <= 1
    # Another client is not affected.
    other = client.post("/api/v1/submissions", json={**GOOD, "message": "m6"}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 201


def test_rate_limited_form_keeps_what_was_typed(make_service_app):
    app = make_service_app(RATELIMIT_ENABLED=True, LIMIT_SUBMISSIONS="1 per minute")
    client = app.test_client()
    client.post("/api/v1/submissions", data={**GOOD, "language": "ur"})
    response = client.post("/api/v1/submissions", data={**GOOD, "language": "ur", "message": "میرا دوسرا سوال"})
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert "میرا دوسرا سوال" in html and "سیکنڈ انتظار" in html and 'dir="rtl"' in html


def test_lookups_are_rate_limited(make_service_app):
    app = make_service_app(RATELIMIT_ENABLED=True, LIMIT_LOOKUPS="2 per minute")
    client = app.test_client()
    codes = [client.get("/api/v1/submissions/0000-0000-000").status_code for _ in range(3)]
    assert codes[-1] == 429


def test_ratings_are_rate_limited(make_service_app):
    app = make_service_app(RATELIMIT_ENABLED=True, LIMIT_RATINGS="1 per minute")
    client = app.test_client()
    codes = [client.post("/api/v1/ratings", json={"page": "/", "helpful": True}).status_code for _ in range(2)]
    assert codes == [201, 429]


# ---------------------------------------------------------------- CORS and headers

def test_cors_only_for_configured_origins(make_service_app):
    app = make_service_app(CORS_ORIGINS="https://site.example.org, https://ur.site.example.org")
    client = app.test_client()
    allowed = client.post("/api/v1/submissions", json=GOOD, headers={"Origin": "https://site.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://site.example.org"
    denied = client.post("/api/v1/submissions", json={**GOOD, "message": "x"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in denied.headers
    preflight = client.options("/api/v1/submissions", headers={
        "Origin": "https://site.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Content-Type"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://site.example.org"


def test_client_address_behind_a_trusted_proxy(make_service_app, db_rows):
    """With TRUSTED_PROXIES=1 the address nginx puts in X-Forwarded-For is the client's; with
    the default 0 a client cannot pick its own address (and so its own rate-limit bucket)."""
    def hashes(app):
        client = app.test_client()
        for n, forwarded in enumerate(["198.51.100.7", "198.51.100.8"]):
            client.post("/api/v1/submissions", json={**GOOD, "message": f"{app.config['TRUSTED_PROXIES']} {n}"},
                        headers={"X-Forwarded-For": forwarded})
    hashes(make_service_app(TRUSTED_PROXIES=0))
    hashes(make_service_app(TRUSTED_PROXIES=1))
    rows = db_rows("SELECT message, client_hash FROM submissions ORDER BY id")
    direct, proxied = rows[:2], rows[2:]
    assert direct[0]["client_hash"] == direct[1]["client_hash"]          # header ignored
    assert proxied[0]["client_hash"] != proxied[1]["client_hash"]        # header trusted


def test_no_cors_by_default(api):
    response = api.post("/api/v1/submissions", json=GOOD, headers={"Origin": "https://site.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_security_headers(api):
    response = api.get("/api/v1/form")
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]


def test_service_pages_make_no_external_requests(api):
    html = api.post("/api/v1/submissions", data=GOOD, follow_redirects=True).get_data(as_text=True)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    css = api.get("/api/v1/static/service.css")
    assert css.status_code == 200 and "url(" not in css.get_data(as_text=True)


def test_unknown_api_path_and_wrong_method(api):
    assert api.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    response = api.delete("/api/v1/submissions")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_error_is_a_clean_500(service_app, api, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(storage, "insert_rating", broken)
    response = api.post("/api/v1/ratings", json={"page": "/", "helpful": True})
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "server_error"
    assert "disk on fire" not in response.get_data(as_text=True)


# ---------------------------------------------------------------- OpenAPI

def test_openapi_document_is_valid_and_served(api):
    response = api.get("/api/v1/openapi.json")
    document = response.get_json()
    validate(document)
    assert set(document["paths"]) >= {"/api/v1/submissions", "/api/v1/submissions/{reference}",
                                      "/api/v1/ratings", "/healthz", "/api/v1/openapi.json"}
    schema = document["components"]["schemas"]["SubmissionRequest"]["properties"]
    assert [code for code in schema["language"]["enum"] if code] == list(i18n.languages())
    assert "kafalat" in schema["component"]["enum"]


# ---------------------------------------------------------------- one box: the site at /

@pytest.fixture
def site_dir(tmp_path):
    site = tmp_path / "site"
    (site / "ur" / "programme").mkdir(parents=True)
    (site / "index.html").write_text("<html lang=en>home</html>")
    (site / "404.html").write_text("<html lang=ur>wrong language 404</html>")
    (site / "en").mkdir()
    (site / "en" / "404.html").write_text("<html lang=en>english 404</html>")
    (site / "ur" / "404.html").write_text("<html lang=ur>اردو 404</html>")
    (site / "ur" / "programme" / "index.html").write_text("<html lang=ur>پروگرام</html>")
    (tmp_path / "secret.txt").write_text("outside the site")
    return site


def test_one_box_serves_the_site_and_per_language_404s(make_service_app, site_dir):
    client = make_service_app(SITE_DIR=str(site_dir)).test_client()
    assert client.get("/").get_data(as_text=True) == "<html lang=en>home</html>"
    assert client.get("/ur/programme/").status_code == 200
    assert client.get("/ur/programme").status_code == 301
    ur = client.get("/ur/nothing-here/")
    assert ur.status_code == 404 and "اردو 404" in ur.get_data(as_text=True)
    en = client.get("/nothing-here/")
    assert en.status_code == 404 and "english 404" in en.get_data(as_text=True)
    assert client.get("/../secret.txt").status_code == 404
    assert client.get("/%2e%2e/secret.txt").status_code == 404
    assert client.get("/healthz").status_code == 200 and client.get("/api/v1/form").status_code == 200
    assert client.get("/api/v1/no-such-thing").get_json()["error"]["code"] == "not_found"


def test_no_site_without_site_dir(api):
    assert api.get("/").status_code == 404


# ---------------------------------------------------------------- strings

def _keys(node, prefix=""):
    if isinstance(node, dict):
        return {k for key, value in node.items() for k in _keys(value, f"{prefix}{key}.")}
    return {prefix.rstrip(".")}


def test_every_language_has_every_service_string():
    sections = ("form", "errors", "confirm", "status", "rating")
    english = {k for k in _keys(i18n.strings("en")) if k.split(".")[0] in sections}
    for lang in i18n.languages():
        mine = {k for k in _keys(i18n.strings(lang)) if k.split(".")[0] in sections}
        assert mine == english, f"{lang}: missing {sorted(english - mine)}, extra {sorted(mine - english)}"


def test_every_string_the_templates_use_exists():
    used = set()
    for template in (ROOT / "feedback_api" / "templates").rglob("*.html"):
        used |= set(re.findall(r't\(lang, "([a-z_.]+)"\)', template.read_text()))
    used |= {f"errors.{c}" for c in ("required", "too_long", "not_text", "unknown_choice", "control_characters",
                                      "no_visible_text", "invalid_submission_key", "invalid_characters",
                                      "invalid_boolean", "invalid_page", "invalid_reference")}
    for lang in i18n.languages():
        for key in used:
            node = i18n.strings(lang)
            for part in key.split("."):
                node = node[part]
            assert isinstance(node, str) and node.strip(), f"{lang}: {key}"


def test_sensitive_keywords_cover_every_language_and_moderation_knows_each_category():
    from feedback_api.moderation.submission import SENSITIVE_REASONS
    table = yaml.safe_load((ROOT / "data" / "sensitive_keywords.yml").read_text(encoding="utf-8"))
    for category, by_language in table["terms"].items():
        assert set(by_language) == {"en", "ur", "roman_ur", "sd", "ps", "pa"}, category
        assert all(by_language.values()), category
        assert category in SENSITIVE_REASONS
    groups = {name for rule in table["near"] for name in rule["all"] + [rule.get("unless")] if name}
    assert groups <= set(table["words"]) | {"number", "money"}


def test_districts_file_is_well_formed():
    regions = i18n.districts()
    assert len(regions) == 7
    names = [d for r in regions.values() for d in r["districts"]]
    assert len(names) == len(set(names)) and all(isinstance(n, str) and n.strip() == n for n in names)
    for region in regions.values():
        assert region["names"]["en"] and region["names"]["ur"]


def test_every_translation_formats_with_the_services_placeholders():
    """A translator who renames {seconds} would turn a 429 into a 500: every language's
    service strings must format with exactly the values the service passes."""
    sections = ("form", "errors", "confirm", "status", "rating")
    for lang in i18n.languages():
        for key in (k for k in _keys(i18n.strings(lang)) if k.split(".")[0] in sections):
            text = i18n.t(lang, key, seconds=30)
            assert "{" not in text and "}" not in text, f"{lang}: {key}"
        assert "30" in i18n.t(lang, "errors.rate_limited", seconds=30), lang


def test_service_pages_have_the_sites_icon(api):
    """The service's own pages (forms, errors) and moderation's carry the site's icon."""
    for path in ("/api/v1/form?lang=ur", "/moderation/sign-in"):
        html = api.get(path, headers={"Accept": "text/html"}).get_data(as_text=True)
        assert '<link rel="icon" href="/assets/favicon.svg">' in html, path
