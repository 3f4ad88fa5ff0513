"""Fixtures for the feedback service: a real app on a real SQLite file, a test client that holds
every response to the OpenAPI document, and a real gunicorn on 127.0.0.1."""
from __future__ import annotations

import os
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from openapi_schema_validator import OAS30Validator

from feedback_api import create_app, openapi, storage
from tests import processes
from tests.processes import free_port  # noqa: F401 (tests import it from here)

ROOT = Path(__file__).resolve().parent.parent
SECRET = "test-secret-key-0123456789abcdef"


# ---------------------------------------------------------------- OpenAPI conformance

def _operation(doc: dict, method: str, path: str):
    for template, item in doc["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return item.get(method.lower()), template
    return None, None


def check_against_openapi(method: str, path: str, status: int, mimetype: str, headers, body_json):
    """Fail unless the response is one the OpenAPI document describes (status, content type,
    headers, JSON body schema). Paths the document does not cover must still answer errors in
    the documented Error shape."""
    doc = openapi.document()
    if not (path.startswith("/api/") or path in ("/healthz", "/livez")) or path.startswith("/api/v1/static/"):
        return
    operation, template = _operation(doc, method, path)
    if operation is None:
        if method == "OPTIONS":
            return
        assert status in (404, 405), f"{method} {path} answered {status} but is not in the OpenAPI document"
        spec = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}},
                            "text/html": {"schema": {"type": "string"}}}}
    else:
        responses = operation["responses"]
        assert str(status) in responses, f"{method} {template}: status {status} is not documented"
        spec = responses[str(status)]
    for header in spec.get("headers", {}):
        assert header in headers, f"{method} {template} {status}: header {header} missing"
    content = spec.get("content")
    if content is None:
        return
    assert mimetype in content, f"{method} {template} {status}: {mimetype} not documented"
    if mimetype == "application/json":
        schema = {**content[mimetype]["schema"], "components": doc["components"]}
        OAS30Validator(schema).validate(body_json)


class CheckedClient(FlaskClient):
    """Flask's test client; every response is checked against /api/v1/openapi.json."""

    def open(self, *args, **kwargs):
        response = super().open(*args, **kwargs)
        request = response.request
        body = response.get_json(silent=True) if response.mimetype == "application/json" else None
        check_against_openapi(request.method, request.path, response.status_code,
                              response.mimetype, response.headers, body)
        return response


# ---------------------------------------------------------------- app fixtures

def make_app(tmp_path: Path, **overrides):
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE": str(tmp_path / "feedback.sqlite3"),
        "SECRET_KEY": SECRET,
        "RATELIMIT_ENABLED": False,
        **overrides,
    }
    app = create_app(config)
    app.test_client_class = CheckedClient
    return app


@pytest.fixture
def service_app(tmp_path):
    """The real app on a fresh SQLite file, rate limits off (tests of limits turn them on)."""
    app = make_app(tmp_path)
    yield app
    storage.close_thread_connections()


@pytest.fixture
def api(service_app):
    return service_app.test_client()


@pytest.fixture
def make_service_app(tmp_path):
    """Build an app with config overrides: make_service_app(RATELIMIT_ENABLED=True, ...)."""
    def build(**overrides):
        return make_app(tmp_path, **overrides)
    yield build
    storage.close_thread_connections()


def read_rows(db_path: str, sql: str, params=()) -> list[dict]:
    """Rows straight from a database file, through a fresh connection (what is really stored)."""
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def references(database) -> set[str]:
    """Every reference stored in a database file (what survived, read afresh)."""
    return {row["reference"] for row in read_rows(str(database), "SELECT reference FROM submissions")}


@pytest.fixture
def db_rows(service_app):
    """rows("SELECT ...", params) from the service app's database file."""
    return lambda sql, params=(): read_rows(service_app.config["DATABASE"], sql, params)


# ---------------------------------------------------------------- a real gunicorn

class Gunicorn:
    """gunicorn -c deploy/gunicorn.conf.py on a free loopback port, in its own process group
    (so a test can kill -9 the master and every worker at once)."""

    def __init__(self, instance: Path, env: dict | None = None):
        self.instance = instance
        self.database = instance / "feedback.sqlite3"
        self.extra_env = env or {}
        self.port = None
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.instance.parent / f"gunicorn-{self.port}.log"

    def start(self, timeout: float = 20, ready: str = "/healthz") -> "Gunicorn":
        """Start and wait until `ready` answers 200 (/livez for a server whose storage is down)."""
        self.port = self.port or free_port()  # a caller may choose it first (Kannel needs it)
        env = {**os.environ, "FEEDBACK_INSTANCE_PATH": str(self.instance),
               "FEEDBACK_DATABASE": str(self.database), "FEEDBACK_SECRET_KEY": SECRET,
               "FEEDBACK_BIND": f"127.0.0.1:{self.port}", "FEEDBACK_ACCESS_LOG": "",
               "FEEDBACK_LOG_LEVEL": "warning", **self.extra_env}
        self.proc = processes.start([sys.executable, "-m", "gunicorn", "-c", ROOT / "deploy" / "gunicorn.conf.py"],
                                    self.log, cwd=ROOT, env=env)
        processes.wait_until(processes.answering(self.url + ready), self.proc, "gunicorn", self.log, timeout)
        return self

    def read_log(self) -> str:
        return processes.tail(self.log)

    def kill9(self) -> None:
        """SIGKILL the master and all its workers (the whole process group) at once."""
        processes.kill(self.proc)

    def stop(self) -> None:
        processes.stop(self.proc)


@pytest.fixture
def gunicorn_server(tmp_path):
    """gunicorn_server(env={...}) -> a started Gunicorn; stopped after the test."""
    started = []

    def start(env: dict | None = None, instance: Path | None = None, ready: str = "/healthz") -> Gunicorn:
        server = Gunicorn(instance or tmp_path / "instance", env).start(ready=ready)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
