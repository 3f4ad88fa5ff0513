""""Was this page helpful?": recorded, thanked in the reader's language, bad input refused."""
from __future__ import annotations

import pytest


def test_json_rating_is_recorded(api, db_rows):
    response = api.post("/api/v1/ratings", json={"page": "/programme/kafalat/", "language": "en",
                                                 "helpful": False, "comment": "Say when payments start"})
    assert response.status_code == 201 and response.get_json() == {"status": "recorded"}
    [row] = db_rows("SELECT page, language, helpful, comment FROM ratings")
    assert row == {"page": "/programme/kafalat/", "language": "en", "helpful": 0, "comment": "Say when payments start"}


def test_form_rating_thanks_in_urdu_with_a_link_back(api, db_rows):
    response = api.post("/api/v1/ratings", data={"page": "/ur/programme/langar/", "language": "ur", "helpful": "yes"})
    assert response.status_code == 303
    page = api.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert '<html lang="ur" dir="rtl">' in html and "بتانے کا شکریہ" in html
    assert 'href="/ur/programme/langar/"' in html
    assert db_rows("SELECT helpful FROM ratings")[0]["helpful"] == 1


def test_thanks_page_never_links_off_site(api):
    html = api.get("/api/v1/ratings/thanks?lang=en&page=//evil.example/").get_data(as_text=True)
    assert "evil.example" not in html


@pytest.mark.parametrize("payload, field, code", [
    ({"language": "en", "helpful": True}, "page", "required"),
    ({"page": "https://evil.example/", "helpful": True}, "page", "invalid_page"),
    ({"page": "/", "helpful": "perhaps"}, "helpful", "invalid_boolean"),
    ({"page": "/"}, "helpful", "required"),
    ({"page": "/", "helpful": True, "language": "de"}, "language", "unknown_choice"),
    ({"page": "/", "helpful": True, "comment": "x" * 1001}, "comment", "too_long"),
    ({"page": "/", "helpful": True, "comment": "nul\x00"}, "comment", "control_characters"),
])
def test_bad_ratings_are_refused(api, db_rows, payload, field, code):
    response = api.post("/api/v1/ratings", json=payload)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"][field]["code"] == code
    assert db_rows("SELECT count(*) AS n FROM ratings")[0]["n"] == 0


def test_form_rating_error_page_keeps_the_comment(api):
    response = api.post("/api/v1/ratings", data={"page": "/ur/", "language": "ur", "comment": "مزید معلومات"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "مزید معلومات" in html and "ہاں یا نہیں" not in html
    assert "یہ خانہ خالی نہیں ہو سکتا۔" in html


def test_rating_with_wrong_content_type(api):
    assert api.post("/api/v1/ratings", data="helpful=yes", content_type="text/plain").status_code == 415
