"""Fixtures for moderation: an app with cheap password hashing (pbkdf2 at 1,000 rounds instead
of scrypt: tests sign in hundreds of times), an admin and a moderator, `Staff` clients that
sign in and carry CSRF tokens like a browser, helpers that submit through the public API, and a recorder of the SQL a page runs."""
from __future__ import annotations

import re

import pytest

from feedback_api import storage
from feedback_api.storage import moderation as sm
from tests.fixtures_service import make_app

PASSWORD = "correct horse battery"
CHEAP_HASH = "pbkdf2:sha256:1000"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class Staff:
    """A browser-like client for one member of staff: `sign_in()`, then `get`/`post`, where
    `post` adds the CSRF token from a page the way a form would (csrf=False leaves it out)."""

    def __init__(self, app, username: str | None):
        self.app = app
        self.client = app.test_client()
        self.username = username
        self._token = None

    def sign_in(self, password: str = PASSWORD, follow: bool = False):
        token = self.token_from("/moderation/sign-in")
        response = self.client.post("/moderation/sign-in", data={
            "username": self.username, "password": password, "csrf_token": token},
            follow_redirects=follow)
        self._token = None  # a new session has a new CSRF secret
        return response

    def token_from(self, url: str) -> str:
        page = self.client.get(url)
        match = TOKEN_RE.search(page.get_data(as_text=True))
        assert match, f"no CSRF token on {url} ({page.status_code})"
        return match.group(1)

    def token(self) -> str:
        if self._token is None:
            self._token = self.token_from("/moderation/intake")
        return self._token

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict | None = None, csrf: bool = True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kwargs)


def statements(app, client, url: str) -> list[str]:
    """Every SQL statement a GET of `url` runs on this thread's connection (for plan tests)."""
    seen: list[str] = []
    with app.app_context():
        db = storage.get_db()
        db.conn.set_trace_callback(seen.append)
        try:
            assert client.get(url).status_code == 200
        finally:
            db.conn.set_trace_callback(None)
    return seen


def add_user(app, username: str, role: str, password: str = PASSWORD, language: str | None = None) -> int:
    from werkzeug.security import generate_password_hash
    with app.app_context():
        db = storage.get_db()
        user_id = sm.create_user(db, username, generate_password_hash(password, method=CHEAP_HASH), role)
        if language:
            sm.set_user_language(db, user_id, language)
        return user_id


@pytest.fixture
def mod_app(tmp_path):
    app = make_app(tmp_path, PASSWORD_METHOD=CHEAP_HASH)
    add_user(app, "ada", "admin")
    add_user(app, "mo", "moderator")
    yield app
    storage.close_thread_connections()


@pytest.fixture
def admin(mod_app) -> Staff:
    staff = Staff(mod_app, "ada")
    assert staff.sign_in().status_code == 303
    return staff


@pytest.fixture
def moderator(mod_app) -> Staff:
    staff = Staff(mod_app, "mo")
    assert staff.sign_in().status_code == 303
    return staff


@pytest.fixture
def urdu(mod_app) -> Staff:
    """A moderator who reads moderation in Urdu, signed in."""
    add_user(mod_app, "uzma", "moderator", language="ur")
    staff = Staff(mod_app, "uzma")
    assert staff.sign_in().status_code == 303
    return staff


@pytest.fixture
def anonymous(mod_app) -> Staff:
    return Staff(mod_app, None)


@pytest.fixture
def submit(mod_app):
    """submit(message=..., **fields) -> reference, through the public JSON API."""
    client = mod_app.test_client()
    counter = iter(range(10**6))

    def send(message: str = "When will the Kafalat payment come?", **fields) -> str:
        body = {"message": message, "kind": "question", "language": "en", **fields}
        # Distinct client addresses: the duplicate check must not merge test submissions.
        response = client.post("/api/v1/submissions", json=body,
                               environ_base={"REMOTE_ADDR": f"10.0.{next(counter) % 250}.{next(counter) % 250}"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["reference"]
    return send


@pytest.fixture
def mod_rows(mod_app):
    from tests.fixtures_service import read_rows

    return lambda sql, params=(): read_rows(mod_app.config["DATABASE"], sql, params)
