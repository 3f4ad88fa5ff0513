"""One box for the whole session: gunicorn on 127.0.0.1 (a free port) serving the built site at /
and the feedback service at /api/v1, on a temporary SQLite file, as `scripts/run` starts them.

Other parts may reuse it: `onebox.url`, `onebox.database`, and `onebox_rows(sql, params)`.
Tests that write must use their own unique text (the server and its database are shared).
"""
from __future__ import annotations

import sqlite3

import pytest

from tests.fixtures_service import Gunicorn

# The real limits are on (the limiter runs) but high enough for one session's tests from one
# address; tests of the limits themselves live with the service (tests/test_api_*.py).
ONEBOX_ENV = {
    "FEEDBACK_LIMIT_SUBMISSIONS": "1000 per minute",
    "FEEDBACK_LIMIT_RATINGS": "1000 per minute",
    "FEEDBACK_LIMIT_LOOKUPS": "1000 per minute",
    # The session's shared built site must not be swapped by a background rebuild.
    "FEEDBACK_SITE_REBUILD": "off",
}


@pytest.fixture(scope="session")
def onebox(built_site, tmp_path_factory):
    """A started one-box server (tests.fixtures_service.Gunicorn): `.url`, `.database`."""
    instance = tmp_path_factory.mktemp("onebox") / "instance"
    server = Gunicorn(instance, env={"FEEDBACK_SITE_DIR": str(built_site), **ONEBOX_ENV})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def onebox_rows(onebox):
    """rows("SELECT ...", params) from the one-box database, through a fresh connection."""
    def rows(sql: str, params=()):
        conn = sqlite3.connect(onebox.database)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()
    return rows
