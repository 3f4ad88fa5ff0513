"""Fixtures for the editors' tools and the regional languages: a throwaway copy of the content
(docs/, data/, mkdocs.yml) for the translation tools, and ONE extra site build of a changed copy
(a page removed per regional language, sample meetings, a new page) shared by every test that needs it."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.fixtures_site import ROOT, build_site, copy_project
from ehsaas_site import new_page

TODAY = dt.date.today()
# Sample meetings for tests only: the real data/meetings.yml announces none (the source gives no dates).
SAMPLE_MEETINGS = f"""\
meetings:
  - date: {TODAY + dt.timedelta(days=20)}
    start: "10:00"
    end: "12:30"
    kind: town_hall
    district: Larkana
    place: {{en: "Community hall, Main Bazaar", sd: "ڪميونٽي هال، مين بازار"}}
    languages: [sd, ur]
    about: nashonuma
  - date: {TODAY - dt.timedelta(days=20)}
    start: "15:00"
    kind: workshop
    district: Swat
    place: Girls High School
    languages: [ps, ur]
"""
REMOVED_PASHTO_PAGE = "stay-safe.md"
# Pages removed in the variant build, to see what readers get while a page is not translated.
REMOVED = {"ps": REMOVED_PASHTO_PAGE, "sd": "about.md", "pa-Arab": "check.md"}
OUTDATED_PAGE = "programme/langar.md"  # its English body changes in the variant build
NEW_PAGE = "how-to-register.md"  # made with ehsaas_site.new_page in the variant build


@pytest.fixture
def content_copy(tmp_path) -> Path:
    """docs/, data/ and mkdocs.yml copied to a temp dir: the tools run on it, never on the real tree."""
    for name in ("docs", "data"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy2(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path


@pytest.fixture(scope="session")
def variant_site(tmp_path_factory) -> Path:
    """The site built from a copy with one page removed in each of ps, sd and pa-Arab (REMOVED),
    the English Langar page changed after its translations, two sample meetings, and a page
    made with the new-page command (English only)."""
    config = copy_project(tmp_path_factory.mktemp("variant"))
    for lang, name in REMOVED.items():
        (config.parent / "docs" / lang / name).unlink()
    (config.parent / "data" / "meetings.yml").write_text(SAMPLE_MEETINGS, encoding="utf-8")
    english = config.parent / "docs" / "en" / OUTDATED_PAGE
    english.write_text(english.read_text(encoding="utf-8") + "\nA sentence added after translation.\n",
                       encoding="utf-8")
    new_page.create(config.parent, NEW_PAGE, "How to register", "Who can register and how.",
                    "Ask a community mobiliser or the helpline how to register. Never pay anyone.")
    page = config.parent / "docs" / "en" / NEW_PAGE
    page.write_text(page.read_text(encoding="utf-8") + "\nAsk a community mobiliser in your area.\n",
                    encoding="utf-8")
    dest = config.parent / "site"
    result = build_site(dest, config=config)
    assert result.returncode == 0, f"build failed:\n{result.stdout}\n{result.stderr}"
    return dest
