"""The new-page command, run on a temporary copy of the project: the English page from the
template, its nav entry, every other language showing the not-yet-translated notice, and the
report listing it as missing."""
from __future__ import annotations

import html

import pytest

from feedback_api.i18n import t
from tests.fixtures_editors import NEW_PAGE
from ehsaas_site import new_page, translations
from ehsaas_site.pages import load_mkdocs_config, nav_files, read_page

ARGS = ["--title", "How to register", "--description", "Who can register for Ehsaas and how.",
        "--summary", "Ask a community mobiliser or the helpline how to register. Never pay anyone."]


def test_new_page_is_created_added_to_the_nav_and_reported_missing(content_copy, capsys):
    assert new_page.main(["how-to-register.md", *ARGS, "--after", "stay-safe.md"], root=content_copy) == 0
    page = read_page(content_copy / "docs" / "en" / "how-to-register.md")
    assert page.meta == {"title": "How to register", "description": "Who can register for Ehsaas and how.",
                         "summary": "Ask a community mobiliser or the helpline how to register. Never pay anyone."}
    assert page.body.lstrip().startswith("# How to register")
    nav = nav_files(load_mkdocs_config(content_copy)["nav"])
    assert nav[nav.index("stay-safe.md") + 1] == "how-to-register.md"
    report = translations.build_report(content_copy)
    assert all(report.status["how-to-register.md", lang] == translations.MISSING for lang in report.languages)
    assert "mark-draft" in capsys.readouterr().out


def test_new_page_in_a_section_goes_to_the_end_of_that_section(content_copy):
    assert new_page.main(["programme/new-part.md", *ARGS, "--section", "Programme"], root=content_copy) == 0
    config = load_mkdocs_config(content_copy)
    programme = next(item["Programme"] for item in config["nav"] if isinstance(item, dict))
    assert programme[-1] == "programme/new-part.md"
    assert "programme/new-part.md" not in [i for i in config["nav"] if isinstance(i, str)]


@pytest.mark.parametrize("args, says", [
    (["Bad Name.md", *ARGS], "small letters, digits and dashes"),
    (["stay-safe.md", *ARGS], "already exists"),
    (["x.md", *ARGS, "--section", "Nope"], 'no section "Nope"'),
    (["x.md", *ARGS, "--after", "nope.md"], "not at this level of the nav"),
])
def test_mistakes_are_refused_and_nothing_is_written(content_copy, capsys, args, says):
    before = (content_copy / "mkdocs.yml").read_text(encoding="utf-8")
    assert new_page.main(args, root=content_copy) == 2
    assert says in capsys.readouterr().err
    assert (content_copy / "mkdocs.yml").read_text(encoding="utf-8") == before
    assert not (content_copy / "docs" / "en" / "x.md").exists()


def test_the_new_page_builds_and_every_language_shows_the_notice(variant_site):
    for lang in ("ur", "sd", "ps", "pa-Arab"):
        built = (variant_site / lang / NEW_PAGE[:-3] / "index.html").read_text(encoding="utf-8")
        assert html.escape(t(lang, "site.missing_notice"), quote=False) in built, lang
        assert '<div lang="en" dir="ltr">' in built  # no Urdu page yet: the English text, marked English
    assert "How to register" in (variant_site / NEW_PAGE[:-3] / "index.html").read_text(encoding="utf-8")
