"""People behind one address (issue 15, items 2 and 9). Carrier NAT puts many people on one
address: two of them sending the same words are two submissions, each with its own reference,
name, contact, kind and district, and neither can read the other's status or answer. A resend
of one form (its key, or the same person's same details from the same address) still gets its
first reference. A submission's page never lists the references of linked duplicates a
moderator may not see (sensitive ones)."""
from __future__ import annotations

import re

from feedback_api import forms

NAT = {"REMOTE_ADDR": "203.0.113.7"}  # one carrier address for everybody below
TEXT = "When will my Kafalat payment come?"


def send(client, **fields):
    body = {"message": TEXT, "language": "en", **fields}
    response = client.post("/api/v1/submissions", json=body, environ_base=NAT)
    assert response.status_code in (200, 201), response.get_json()
    return response


def test_two_people_behind_one_address_are_never_merged(mod_app, admin, mod_rows):
    client = mod_app.test_client()
    first = send(client, kind="question", district="Lahore", name="Amina Bibi", contact="0300-1111111")
    second = send(client, kind="complaint", district="Multan", name="Rashid Khan", contact="0301-2222222")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.get_json()["duplicate"] is False
    a, b = first.get_json()["reference"], second.get_json()["reference"]
    assert a != b
    rows = mod_rows("SELECT s.reference, s.kind, s.district, c.name, c.contact FROM submissions s"
                    " JOIN contacts c ON c.submission_id = s.id ORDER BY s.id")
    assert [(r["reference"], r["kind"], r["district"], r["name"], r["contact"]) for r in rows] == [
        (a, "question", "Lahore", "Amina Bibi", "0300-1111111"),
        (b, "complaint", "Multan", "Rashid Khan", "0301-2222222")]
    # The first person's answer is theirs alone.
    data = {"body": "Dear Amina, your payment is on its way.", "language": "en", "action": "publish"}
    assert admin.post(f"/moderation/submissions/{a}/answer", data).status_code == 303
    assert client.get(f"/api/v1/submissions/{a}").get_json()["answer"]["body"].startswith("Dear Amina")
    assert client.get(f"/api/v1/submissions/{b}").get_json()["answer"] is None


def test_two_anonymous_people_with_the_same_words_get_two_references(mod_app, mod_rows):
    client = mod_app.test_client()
    a = send(client).get_json()["reference"]
    b = send(client).get_json()["reference"]
    assert a != b
    assert mod_rows("SELECT count(*) AS n FROM submissions")[0]["n"] == 2
    # Also through the static site's form without JavaScript (no key).
    page = client.post("/api/v1/submissions", data={"message": TEXT, "language": "en", "submission_key": ""},
                       environ_base=NAT)
    assert page.status_code == 303 and a not in page.headers["Location"] and b not in page.headers["Location"]


def test_the_same_form_sent_twice_gets_its_first_reference(mod_app, mod_rows):
    client = mod_app.test_client()
    # The service's own form page carries a fresh key; a double tap sends it twice.
    html = client.get("/api/v1/form?lang=en").get_data(as_text=True)
    key = re.search(r'name="submission_key" value="([^"]+)"', html).group(1)
    assert key != re.search(r'name="submission_key" value="([^"]+)"',
                            client.get("/api/v1/form?lang=en").get_data(as_text=True)).group(1)
    form = {"message": TEXT, "language": "en", "submission_key": key}
    one = client.post("/api/v1/submissions", data=form, environ_base=NAT)
    two = client.post("/api/v1/submissions", data=form, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert one.headers["Location"] == two.headers["Location"]  # a retry from another network too
    assert mod_rows("SELECT count(*) AS n FROM submissions")[0]["n"] == 1
    # The same key with other words is another submission (the person wrote something new).
    other = client.post("/api/v1/submissions", data={**form, "message": "And the Nashonuma one?"}, environ_base=NAT)
    assert other.headers["Location"] != one.headers["Location"]


def test_the_same_person_resending_without_a_key_gets_the_first_reference(mod_app, mod_rows):
    client = mod_app.test_client()
    details = {"name": "Amina Bibi", "contact": "0300-1111111", "district": "Lahore", "kind": "question"}
    first = send(client, **details)
    again = send(client, **details)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert again.get_json()["reference"] == first.get_json()["reference"]
    # The same words and name but another contact: not the same person's resend.
    third = send(client, **{**details, "contact": "0333-3333333"})
    assert third.status_code == 201
    assert mod_rows("SELECT count(*) AS n FROM submissions")[0]["n"] == 2


def test_a_bad_key_is_refused_clearly(api):
    response = api.post("/api/v1/submissions", json={"message": TEXT, "submission_key": "short"})
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]["submission_key"]["code"] == "invalid_submission_key"


def test_the_static_sites_form_has_an_empty_key_for_forms_js_to_fill():
    html = forms.render_feedback_form("ur")
    assert 'name="submission_key" value=""' in html


def test_a_moderator_does_not_see_references_of_duplicates_marked_sensitive(admin, moderator, submit, mod_rows):
    original = submit("When will the payment come?")
    later = submit("When will the payment come? I registered in March.")
    hidden = submit("Same question: when does the payment come?")
    for duplicate in (later, hidden):
        assert moderator.post(f"/moderation/submissions/{duplicate}/duplicate",
                              {"duplicate_of": original}).status_code == 303
    # An admin marks one duplicate sensitive afterwards.
    assert admin.post(f"/moderation/submissions/{hidden}/sensitive",
                      {"sensitive": "1", "reason": "deduction"}).status_code == 303
    page = moderator.get(f"/moderation/submissions/{original}").get_data(as_text=True)
    assert later in page and hidden not in page
    assert hidden in admin.get(f"/moderation/submissions/{original}").get_data(as_text=True)
    # Nor in a moderator's export.
    export = moderator.get("/moderation/export.csv?status=all").get_data(as_text=True)
    assert hidden not in export
    # A sensitive original is not named on its duplicate's page either.
    assert admin.post(f"/moderation/submissions/{original}/sensitive",
                      {"sensitive": "1", "reason": "fraud"}).status_code == 303
    page = moderator.get(f"/moderation/submissions/{later}").get_data(as_text=True)
    assert original not in page
    assert original not in moderator.get("/moderation/export.csv?status=all").get_data(as_text=True)


def test_a_bad_key_in_a_form_post_gets_the_form_back_saying_so(api, db_rows):
    response = api.post("/api/v1/submissions", data={"message": TEXT, "language": "ur", "submission_key": "\u0084"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "یہ فارم" in page and TEXT in page  # what was typed is kept
    assert db_rows("SELECT count(*) AS n FROM submissions")[0]["n"] == 0
