"""Fixtures for closing the loop in public: publishing answers the way a moderator does (through
the moderation pages), and a real feed document written to a file from a real app."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from feedback_api import storage
from tests.fixtures_moderation import CHEAP_HASH, Staff, add_user
from tests.fixtures_service import make_app

# Personal data a submitter might give; none of it may ever reach the feed or the site.
NAME = "Zarmeena Qadirkhel"
CONTACT = "0301-7654321"
CNIC = "35202-1234567-1"
PHONE = "0345 1122334"
DIGIT_RUNS = ("3520212345671", "03017654321", "03451122334")


class Loop:
    """A real app on a temp database, an admin signed in, and helpers that submit, answer and
    publish like people do."""

    def __init__(self, tmp: Path):
        self.app = make_app(tmp, PASSWORD_METHOD=CHEAP_HASH, FEED_CACHE_SECONDS=0)
        add_user(self.app, "ada", "admin")
        self.admin = Staff(self.app, "ada")
        assert self.admin.sign_in().status_code == 303
        self.public = self.app.test_client()
        self._n = 0

    def submit(self, message: str, language: str = "ur", component: str = "kafalat", **fields) -> str:
        self._n += 1
        body = {"message": message, "kind": "question", "language": language, "component": component, **fields}
        response = self.public.post("/api/v1/submissions", json=body,
                                    environ_base={"REMOTE_ADDR": f"10.9.{self._n // 250}.{self._n % 250}"})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["reference"]

    def answer(self, reference: str, body: str, language: str, publish=True, listed=True,
               question: str | None = None):
        data = {"body": body, "language": language, "action": "publish" if publish else "save"}
        if listed:
            data.update(listed="1", public_question=question or "")
        response = self.admin.post(f"/moderation/submissions/{reference}/answer", data)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    def sql(self, statement: str, params=()):
        conn = sqlite3.connect(self.app.config["DATABASE"])
        try:
            with conn:
                return conn.execute(statement, params).fetchall()
        finally:
            conn.close()

    def feed(self) -> dict:
        response = self.public.get("/api/v1/feed.json")
        assert response.status_code == 200
        return response.get_json()

    def write_feed(self, path: Path) -> Path:
        path.write_text(json.dumps(self.feed(), ensure_ascii=False), encoding="utf-8")
        return path


@pytest.fixture
def loop(tmp_path):
    yield Loop(tmp_path)
    storage.close_thread_connections()
