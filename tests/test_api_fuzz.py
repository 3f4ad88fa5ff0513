"""Property-based fuzzing of the public API from its own OpenAPI document (schemathesis,
in-process against the WSGI app): no 5xx, every response as documented. Bounded and
derandomized so the run is the same every time and stays within seconds."""
from __future__ import annotations

import base64

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from feedback_api import openapi, storage
from tests.fixtures_service import make_app

SMS_SECRET = "fuzz-sms-secret-0123456789"
# Kannel's routes are fuzzed past their secret (a request without it is tested in test_sms_*).
SMS_AUTH = {"Authorization": "Basic " + base64.b64encode(f"kannel:{SMS_SECRET}".encode()).decode()}

# The document the app serves (test_api_app checks it is the same one); loaded from the
# module so collection needs no app. Each operation runs against a fresh app on a real file.
# Refusing invalid data with 413 (body over the size limit) is right too, and 401/403 on
# Kannel's routes (a request without their secret).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {
    "expected-statuses": [400, 401, 403, 404, 405, 413, 415, 422, 429, "5XX"]}}})
schema = schemathesis.openapi.from_dict(openapi.document(), config=CONFIG)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("fuzz"), SMS_INBOUND_SECRET=SMS_SECRET)
    inner = app.wsgi_app

    def from_loopback(environ, start_response):  # werkzeug's bare Client sends no address
        environ.setdefault("REMOTE_ADDR", "127.0.0.1")
        return inner(environ, start_response)
    app.wsgi_app = from_loopback
    yield app
    storage.close_thread_connections()


@schema.parametrize()
@settings(max_examples=50, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_keeps_to_its_contract(case, fuzz_app):
    excluded = []
    if "reference" in case.operation.path or case.operation.method.upper() == "GET" and \
            case.operation.path == "/api/v1/submissions":
        # A reference's check character cannot be written as a JSON Schema pattern: most
        # strings the schema allows are (rightly) refused with 400 "invalid_reference".
        excluded.append(positive_data_acceptance)
    headers = None
    if case.operation.path.startswith("/api/v1/sms/"):
        headers = SMS_AUTH
        excluded.append(ignored_auth)  # its probe needs a URL; test_sms_inbound covers refusal
    case.call_and_validate(app=fuzz_app, excluded_checks=excluded, headers=headers)
