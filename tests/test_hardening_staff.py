"""Hostile input on staff routes (issue 15, items 6, 7 and 9): a NUL in a search or filter is a
clear 400; an export it cannot honour is refused before it is audited or sent; out-of-range
numbers anywhere in a moderation URL, query or form are a 4xx, never a 500; a submission's page
does not list the references of duplicates a moderator may not see."""
from __future__ import annotations

import sqlite3

import pytest

from tests.fixtures_moderation import Staff, add_user
from tests.test_moderation_access import SAMPLE_ARGS, moderation_routes

HUGE = ["9" * 20, "9" * 5000, "-" + "9" * 20, "²", "१२", "1e400", "0x1F"]
NUMERIC_FIELDS = ("ids", "page", "weeks", "user_id", "change_id", "duplicate_of", "published", "sensitive",
                  "status", "topic_code", "kind", "action", "role", "language", "scope", "reason", "listed")


def audit_count(app) -> int:
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        return conn.execute("SELECT count(*) FROM audit_log WHERE action = 'export'").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("url", [
    "/moderation/?q=payment%00", "/moderation/?q=%00", "/moderation/?district=Lahore%00",
    "/moderation/?q=a%01b", "/moderation/dashboard?weeks=8%00", "/moderation/audit?user=ada%00",
    "/moderation/digest?district=Lahore%00", "/moderation/?q%00=x",
])
def test_a_nul_in_a_search_or_filter_is_a_clear_400(admin, submit, url):
    submit("When will the payment come to Lahore?", district="Lahore")
    response = admin.get(url)
    assert response.status_code == 400
    assert "control character" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["q=payment%00", "status=bogus", "date_from=2024-13-45", "kind=nonsense",
                                   "order=sideways", "language=xx", "date_to=%D9%A2%D9%A0%D9%A2%D9%A4-01-01"])
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_it_cannot_honour_is_refused_before_it_is_audited(mod_app, admin, submit, query, fmt):
    submit()
    before = audit_count(mod_app)
    response = admin.get(f"/moderation/export.{fmt}?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert audit_count(mod_app) == before


def test_a_moderator_export_with_a_hidden_number_in_the_search_is_refused(mod_app, moderator, submit):
    submit("My CNIC is 35202-1234567-1")
    before = audit_count(mod_app)
    response = moderator.get("/moderation/export.csv?q=35202-1234567-1")
    assert response.status_code == 400 and "long numbers" in response.get_data(as_text=True)
    assert audit_count(mod_app) == before
    assert moderator.get("/moderation/export.csv?status=all&q=CNIC").status_code == 200
    assert audit_count(mod_app) == before + 1


def test_out_of_range_numbers_anywhere_in_staff_urls_and_forms_are_a_4xx(mod_app, admin, submit):
    reference = submit()
    checked = 0
    for endpoint, url, method in moderation_routes(mod_app):
        if endpoint in ("moderation.sign_out", "moderation.static"):
            continue
        url = url.replace(SAMPLE_ARGS["reference"], reference)
        for value in HUGE:
            # Every path argument in turn, then every query and form field a view reads.
            variants = [url.replace(f"/{sample}", f"/{value}") for sample in ("1", reference, "csv")
                        if f"/{sample}" in url] or [url]
            fields = {name: value for name in NUMERIC_FIELDS}
            for target in variants:
                query = "&".join(f"{k}={v}" for k, v in fields.items())
                if method == "GET":
                    response = admin.get(f"{target}?{query}")
                else:
                    response = admin.post(target, {**fields, "body": value, "password": value, "username": value})
                assert response.status_code < 500, (method, target[:80], value[:25], response.status_code)
                checked += 1
    assert checked >= 150
    assert admin.get("/moderation/users/" + "9" * 20).status_code in (404, 405)
    assert admin.get("/moderation/changes/" + "9" * 20).status_code == 404
    assert admin.get("/moderation/changes/" + "9" * 5000).status_code == 404
