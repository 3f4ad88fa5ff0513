"""The settings schema (feedback_api/config.py): what the README says, what the service refuses,
and that the OpenAPI document and the forms follow the running configuration."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from feedback_api import config, create_app
from feedback_api.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_readme_settings_table_is_the_schema():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- settings table:[^>]*-->\n(.*?)<!-- end of settings table -->", readme, re.S)
    assert table, "README.md lost its settings table markers"
    assert table.group(1) == config.markdown_table(), \
        "README's settings table differs from feedback_api/config.py: paste `python -m feedback_api.config`"


def test_every_setting_has_a_meaning_and_a_valid_default():
    for setting in config.SETTINGS:
        assert setting.meaning.strip(), setting.name
        assert config.value_of(setting, setting.default, "default") == setting.default


def base(tmp_path, **more):
    return {"INSTANCE_PATH": str(tmp_path), "DATABASE": str(tmp_path / "db.sqlite3"), "SECRET_KEY": "k", **more}


@pytest.mark.parametrize("variable, value, says", [
    ("FEEDBACK_MESSAGE_MAX_CHARS", "-5", "FEEDBACK_MESSAGE_MAX_CHARS must be from 1"),
    ("FEEDBACK_MESSAGE_MAX_CHARS", "lots", "FEEDBACK_MESSAGE_MAX_CHARS must be a whole number"),
    ("FEEDBACK_RATELIMIT_ENABLED", "perhaps", "FEEDBACK_RATELIMIT_ENABLED must be true or false"),
    ("FEEDBACK_RATELIMIT_STORAGE_URI", "mongo://x", "FEEDBACK_RATELIMIT_STORAGE_URI must start with"),
    ("FEEDBACK_MODERATION_PAGE_SIZE", "0", "FEEDBACK_MODERATION_PAGE_SIZE must be from 5"),
    # 0 would make the SMS sender ask the database for replies without pause
    ("FEEDBACK_SMS_POLL_SECONDS", "0", "FEEDBACK_SMS_POLL_SECONDS must be from 0.1 to 60"),
    ("FEEDBACK_ENV", "prod", "FEEDBACK_ENV must be one of development, production"),
    ("FEEDBACK_MESAGE_MAX_CHARS", "50", "did you mean FEEDBACK_MESSAGE_MAX_CHARS"),
])
def test_impossible_environment_is_refused_at_start_naming_the_variable(tmp_path, monkeypatch,
                                                                         variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=re.escape(says)):
        create_app(base(tmp_path))


def test_environment_values_take_their_types(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_MESSAGE_MAX_CHARS", "50")
    monkeypatch.setenv("FEEDBACK_RATELIMIT_ENABLED", "no")
    monkeypatch.setenv("FEEDBACK_CORS_ORIGINS", "https://a.example, https://b.example")
    app = create_app(base(tmp_path))
    assert app.config["MESSAGE_MAX_CHARS"] == 50
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]


def test_gunicorn_settings_come_through_the_schema():
    assert config.from_environment("WORKERS", {"FEEDBACK_WORKERS": "2"}) == 2
    with pytest.raises(ConfigError, match="FEEDBACK_THREADS must be from 1 to 256"):
        config.from_environment("THREADS", {"FEEDBACK_THREADS": "0"})


def test_openapi_document_follows_the_running_configuration(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_MESSAGE_MAX_CHARS", "50")
    app = create_app(base(tmp_path, RATELIMIT_ENABLED=False))
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    message = doc["components"]["schemas"]["SubmissionRequest"]["properties"]["message"]
    assert message["maxLength"] == 50
    # and a message of 51 characters is refused, as the document says
    response = app.test_client().post("/api/v1/submissions", json={
        "kind": "question", "component": "kafalat", "language": "en", "message": "x" * 51,
        "consent_to_contact": False})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["message"]["code"] == "too_long"
    monkeypatch.delenv("FEEDBACK_MESSAGE_MAX_CHARS")
    default = create_app(base(tmp_path / "other", RATELIMIT_ENABLED=False))
    doc = default.test_client().get("/api/v1/openapi.json").get_json()
    assert doc["components"]["schemas"]["SubmissionRequest"]["properties"]["message"]["maxLength"] == 3000
