"""Checking a submission by its reference: typed forgivingly, answered in the right language,
showing a published answer and nothing private."""
from __future__ import annotations

import re
import sqlite3

import pytest

from feedback_api import references

GOOD = {"kind": "question", "component": "amdan", "language": "ur", "message": "آمدن پروگرام میں کیسے شامل ہوں؟",
        "name": "Private Name", "contact": "0300 1234567"}


@pytest.fixture
def submitted(api):
    return api.post("/api/v1/submissions", json=GOOD).get_json()["reference"]


def publish_answer(database: str, reference: str, body: str, language: str = "ur") -> None:
    """What moderation will do: an answer row, published (test-only SQL)."""
    conn = sqlite3.connect(database)
    with conn:
        (sid,) = conn.execute("SELECT id FROM submissions WHERE reference = ?", [reference]).fetchone()
        conn.execute("INSERT INTO answers (submission_id, body, language, published, created_at, updated_at,"
                     " published_at) VALUES (?, ?, ?, 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z',"
                     " '2026-01-02T00:00:00Z')", [sid, body, language])
        conn.execute("UPDATE submissions SET status = 'answered' WHERE id = ?", [sid])
    conn.close()


def test_status_as_json_shows_nothing_private(api, submitted):
    response = api.get(f"/api/v1/submissions/{submitted}")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "received" and body["answer"] is None and body["component"] == "amdan"
    text = response.get_data(as_text=True)
    assert "Private Name" not in text and "1234567" not in text and "آمدن پروگرام" not in text
    assert response.headers["Cache-Control"] == "no-store"


def test_status_as_html_for_a_browser_in_the_submitters_language(api, submitted):
    response = api.get(f"/api/v1/submissions/{submitted}", headers={"Accept": "text/html,*/*;q=0.8"})
    html = response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert '<html lang="ur" dir="rtl">' in html and submitted in html
    assert "موصول ہو گیا، پڑھے جانے کا منتظر" in html
    english = api.get(f"/api/v1/submissions/{submitted}?lang=en", headers={"Accept": "text/html"})
    assert '<html lang="en" dir="ltr">' in english.get_data(as_text=True)


def test_published_answer_is_shown(service_app, api, submitted):
    publish_answer(service_app.config["DATABASE"], submitted, "آپ قریبی دفتر سے رابطہ کریں۔\n\n<b>شکریہ</b>")
    body = api.get(f"/api/v1/submissions/{submitted}").get_json()
    assert body["status"] == "answered" and body["answer"]["body"].startswith("آپ قریبی دفتر")
    html = api.get(f"/api/v1/submissions/{submitted}", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert "آپ قریبی دفتر سے رابطہ کریں۔" in html and "&lt;b&gt;شکریہ&lt;/b&gt;" in html


def test_unpublished_answer_is_not_shown(service_app, api, submitted):
    publish_answer(service_app.config["DATABASE"], submitted, "draft")
    conn = sqlite3.connect(service_app.config["DATABASE"])
    with conn:
        conn.execute("UPDATE answers SET published = 0")
    conn.close()
    assert api.get(f"/api/v1/submissions/{submitted}").get_json()["answer"] is None


@pytest.mark.parametrize("typed", [
    lambda r: r.lower(),
    lambda r: r.replace("-", ""),
    lambda r: " ".join(r.replace("-", "")),
    lambda r: r.replace("0", "o").replace("1", "l"),
    lambda r: r.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
    lambda r: r.translate(str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳＴＶＷＸＹＺ")),
])
def test_lookup_form_forgives_how_the_reference_is_typed(api, submitted, typed):
    response = api.get("/api/v1/submissions", query_string={"reference": typed(submitted), "lang": "ur"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/api/v1/submissions/{submitted}?lang=ur"


def test_non_canonical_path_redirects_to_the_canonical_url(api, submitted):
    response = api.get(f"/api/v1/submissions/{submitted.lower()}")
    assert response.status_code == 301 and response.headers["Location"].endswith(f"/api/v1/submissions/{submitted}")


def test_a_typo_is_caught_by_the_check_character(api, submitted):
    position = 2
    wrong = submitted[:position] + ("X" if submitted[position] != "X" else "Y") + submitted[position + 1:]
    response = api.get(f"/api/v1/submissions/{wrong}")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_reference"
    page = api.get("/api/v1/submissions", query_string={"reference": wrong, "lang": "ur"},
                   headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "یہ درست حوالہ نمبر نہیں ہے" in html
    assert f'value="{wrong}"' in html  # kept, to correct


def test_empty_lookup_asks_for_the_reference(api):
    response = api.get("/api/v1/submissions", query_string={"reference": " "})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["reference"]["code"] == "required"


def test_unknown_but_valid_reference_is_404(api):
    unknown = references.new_reference()
    response = api.get(f"/api/v1/submissions/{unknown}")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    page = api.get(f"/api/v1/submissions/{unknown}", headers={"Accept": "text/html", "Accept-Language": "ur"})
    assert page.status_code == 404 and "یہ حوالہ نمبر نہیں ملا" in page.get_data(as_text=True)
    assert api.get(f"/api/v1/submissions/{unknown}/received").status_code == 404


def test_confirmation_page_of_a_json_submission(api, submitted):
    page = api.get(f"/api/v1/submissions/{submitted}/received")
    assert page.status_code == 200 and submitted in page.get_data(as_text=True)


def test_duplicate_marked_by_moderation_shows_the_originals_answer(service_app, api, submitted):
    other = api.post("/api/v1/submissions", json={**GOOD, "message": "same question, other words"}).get_json()["reference"]
    publish_answer(service_app.config["DATABASE"], submitted, "جواب")
    conn = sqlite3.connect(service_app.config["DATABASE"])
    with conn:
        conn.execute("UPDATE submissions SET duplicate_of = (SELECT id FROM submissions WHERE reference = ?)"
                     " WHERE reference = ?", [submitted, other])
    conn.close()
    assert api.get(f"/api/v1/submissions/{other}").get_json()["answer"]["body"] == "جواب"


def test_feedback_form_page(api):
    html = api.get("/api/v1/form?lang=ur&page=/ur/programme/kafalat/&kind=complaint").get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in html
    assert 'name="page" value="/ur/programme/kafalat/"' in html
    assert re.search(r'value="complaint"\s+checked', html)

