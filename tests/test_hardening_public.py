"""The public API under attack (issue 15, items 8 and 12): one lookup budget shared by the three
routes that look a reference up, and messages made only of invisible characters refused with a
clear error while zero-width joiners inside Urdu and Persian words are kept."""
from __future__ import annotations

import pytest

from feedback_api import i18n

INVISIBLE_ONLY = [
    "\u200b", "\u200b\u200c\u200d", "\u3164\u3164", "\u2800\u2800\u2800", "\u115f\u1160",
    "\ufeff\u2060", "\u00ad", "\ufe0f\ufe0f", "\u180e", "\uffa0", "\U000e0041\U000e0042",
    " \u200b \u3000 \u2800 ", "\u200e\u200f\u061c",
]


@pytest.mark.parametrize("message", INVISIBLE_ONLY)
def test_a_message_of_only_invisible_characters_is_refused_with_a_clear_error(api, db_rows, message):
    response = api.post("/api/v1/submissions", json={"message": message, "language": "en"})
    assert response.status_code == 400
    error = response.get_json()["error"]["fields"]["message"]
    assert error["code"] == "no_visible_text"
    assert "invisible" in error["message"]
    assert db_rows("SELECT count(*) AS n FROM submissions")[0]["n"] == 0


def test_the_form_says_so_in_the_readers_language_and_keeps_nothing(api, db_rows):
    response = api.post("/api/v1/submissions", data={"message": "\u3164\u200b", "language": "ur"})
    assert response.status_code == 400
    assert i18n.t("ur", "errors.no_visible_text") in response.get_data(as_text=True)
    assert db_rows("SELECT count(*) AS n FROM submissions")[0]["n"] == 0


@pytest.mark.parametrize("message", [
    "می\u200cخواهم بدانم پولم کی می\u200cرسد",         # Persian: ZWNJ inside words
    "میری\u200c درخواست کا کیا\u200d بنا؟",            # Urdu with ZWNJ and ZWJ
    "\u200bکفالت کی قسط کب آئے گی؟\u200b",            # real text with a stray zero-width space
])
def test_joiners_inside_real_words_are_kept_as_typed(api, db_rows, message):
    response = api.post("/api/v1/submissions", json={"message": message, "language": "ur"})
    assert response.status_code == 201
    assert db_rows("SELECT message FROM submissions")[0]["message"] == message


def test_the_openapi_pattern_refuses_what_the_service_refuses():
    import re

    from feedback_api import validation
    pattern = re.compile(validation.MESSAGE_PATTERN)
    for message in INVISIBLE_ONLY:
        if all(ord(c) < 0x10000 for c in message):  # the ECMA pattern names the BMP only
            assert not pattern.match(message), repr(message)
    assert pattern.match("می\u200cخواهم")


def test_the_three_lookup_routes_share_one_budget(make_service_app):
    app = make_service_app(RATELIMIT_ENABLED=True, LIMIT_LOOKUPS="3 per minute")
    client = app.test_client()
    reference = client.post("/api/v1/submissions", json={"message": "When is the payment?"}).get_json()["reference"]
    answers = [
        client.get(f"/api/v1/submissions?reference={reference}").status_code,
        client.get(f"/api/v1/submissions/{reference}").status_code,
        client.get(f"/api/v1/submissions/{reference}/received").status_code,
    ]
    assert answers == [303, 200, 200]
    for url in (f"/api/v1/submissions/{reference}", f"/api/v1/submissions/{reference}/received",
                f"/api/v1/submissions?reference={reference}"):
        limited = client.get(url)
        assert limited.status_code == 429 and "Retry-After" in limited.headers
    # Another client has its own budget.
    other = client.get(f"/api/v1/submissions/{reference}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200
