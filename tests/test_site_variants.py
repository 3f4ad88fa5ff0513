"""Builds of a changed copy of the project: what readers and editors see when a translation is
missing, a fact key is mistyped, or the CSS pruner is not installed."""
from __future__ import annotations

import html
import re

import pytest

from feedback_api.i18n import t
from tests.fixtures_site import build_site, copy_project


@pytest.fixture(scope="module")
def site_without_urdu_about(tmp_path_factory):
    config = copy_project(tmp_path_factory.mktemp("project"))
    (config.parent / "docs" / "ur" / "about.md").unlink()
    dest = config.parent / "site"
    result = build_site(dest, config=config)
    assert result.returncode == 0, result.stdout + result.stderr
    return dest


def test_a_missing_translation_says_so_in_the_readers_language(site_without_urdu_about):
    page = (site_without_urdu_about / "ur" / "about" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<html lang="ur" dir="rtl"', page)
    notice = html.escape(t("ur", "site.missing_notice"), quote=False)
    assert notice in page
    # the English text that follows is marked as English, left to right
    after = page[page.index(notice):]
    assert re.search(r'<div lang="en" dir="ltr">\s*<h1', after)
    assert t("ur", "site.draft_notice") not in page


def test_pages_that_are_translated_show_no_missing_notice(site_without_urdu_about):
    page = (site_without_urdu_about / "ur" / "index.html").read_text(encoding="utf-8")
    assert html.escape(t("ur", "site.missing_notice"), quote=False) not in page


def test_an_unknown_fact_key_fails_the_build_and_names_the_key(tmp_path):
    config = copy_project(tmp_path / "project")
    page = config.parent / "docs" / "en" / "about.md"
    page.write_text(page.read_text(encoding="utf-8") + '\n{{ fact("helpline_fone") }}\n', encoding="utf-8")
    result = build_site(tmp_path / "site", config=config)
    assert result.returncode != 0
    assert "helpline_fone" in result.stdout + result.stderr


def test_a_build_without_the_css_pruner_fails_strict_mode(tmp_path):
    config = copy_project(tmp_path / "project")
    (config.parent / "node_modules").unlink()
    result = build_site(tmp_path / "site", config=config)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Aborted" in output
    assert "purgecss is missing" in output and "NOT pruned" in output
