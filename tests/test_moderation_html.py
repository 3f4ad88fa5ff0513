"""Every moderation page, filled with real data (Urdu text, an answer, notes, a sensitive case,
an intake error), is valid HTML according to the Nu HTML Checker (vnu-jar, offline)."""
from __future__ import annotations

import shutil

import pytest

from tests.test_site_html import VNU, vnu

pytestmark = pytest.mark.skipif(not VNU.exists() or not shutil.which("java"), reason="vnu-jar or java missing")


def test_moderation_pages_are_valid_html(admin, moderator, submit, tmp_path, anonymous):
    ref = submit("کفالت کی قسط کب ملے گی؟ فون 0300-1234567", language="ur", district="لاہور",
                 name="Amina", contact="0300 1234567", consent_to_contact=True)
    other = submit("The agent took a bribe", district="Quetta")
    submit("Duplicate of the first", district="Lahore")
    admin.post(f"/moderation/submissions/{ref}/notes", {"body": "Called <them>"})
    admin.post(f"/moderation/submissions/{ref}/answer", {"body": "جواب", "language": "ur",
                                                         "action": "publish", "listed": "1"})
    pages = {
        "queue": (admin, "/moderation/?status=all"), "search": (moderator, "/moderation/?q=کفالت"),
        "sensitive": (admin, "/moderation/?sensitive=1"),
        "submission-admin": (admin, f"/moderation/submissions/{ref}"),
        "submission-moderator": (moderator, f"/moderation/submissions/{ref}?template=received"),
        "submission-sensitive": (admin, f"/moderation/submissions/{other}"),
        "dashboard": (admin, "/moderation/dashboard"), "audit": (admin, "/moderation/audit"),
        "users": (admin, "/moderation/users"), "intake": (moderator, "/moderation/intake"),
        "sign-in": (anonymous, "/moderation/sign-in"), "forbidden": (moderator, "/moderation/users"),
    }
    files = []
    for name, (staff, url) in pages.items():
        path = tmp_path / f"{name}.html"
        path.write_text(staff.get(url).get_data(as_text=True), encoding="utf-8")
        files.append(path)
    error_page = tmp_path / "intake-errors.html"
    error_page.write_text(moderator.post("/moderation/intake", {"message": ""}).get_data(as_text=True), encoding="utf-8")
    files.append(error_page)
    result = vnu(*files)
    assert result.returncode == 0, (result.stdout + result.stderr)[:4000]
