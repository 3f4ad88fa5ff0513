"""The translation status report and the commands that change a translation's status, as an
editor uses them: on a temporary copy of docs/ (the real tree is only read)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.fixtures_site import ROOT
from ehsaas_site import translations as tr
from ehsaas_site.pages import body_hash, read_page

REGIONAL = ("sd", "ps", "pa-Arab")
# Pages the issue asks to exist in Sindhi, Pashto and Punjabi (the rest fall back to Urdu).
REQUIRED = ["index.md", "stay-safe.md", "feedback.md", "programme/emergency-cash.md",
            "programme/kafalat.md", "programme/langar.md", "programme/nashonuma.md",
            "programme/amdan.md", "programme/undergraduate-scholarships.md"]


def run_cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ehsaas_site.translations", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_report_on_the_real_tree_lists_every_page_and_language():
    result = run_cli()
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["page", "ur", *REGIONAL]
    english = sorted(p.relative_to(ROOT / "docs" / "en").as_posix() for p in (ROOT / "docs" / "en").rglob("*.md"))
    for page in english:
        assert any(line.startswith(page + " ") for line in lines), f"{page} missing from the report"
    for lang in ("ur", *REGIONAL):
        assert any(line.startswith(f"{lang}: ") and "translated" in line for line in lines)


@pytest.mark.parametrize("lang", REGIONAL)
def test_regional_translations_exist_and_are_marked_draft_with_their_source(lang):
    report = tr.build_report(ROOT)
    for page in REQUIRED:
        status = report.status[page, lang]
        assert status in (tr.DRAFT, tr.REVIEWED, tr.OUTDATED), f"docs/{lang}/{page}: {status}"
        meta = read_page(ROOT / "docs" / lang / page).meta
        assert meta["translation"]["status"] in ("draft", "reviewed")
        assert len(str(meta["translation"]["source_hash"])) == 12


def test_changing_an_english_page_marks_its_translations_outdated(content_copy):
    page = content_copy / "docs" / "en" / "programme" / "kafalat.md"
    before = tr.build_report(content_copy)
    assert all(before.status["programme/kafalat.md", lang] == tr.DRAFT for lang in ("ur", *REGIONAL))

    page.write_text(page.read_text(encoding="utf-8") + "\nA new paragraph an editor added.\n", encoding="utf-8")
    after = tr.build_report(content_copy)
    for lang in ("ur", *REGIONAL):
        assert after.status["programme/kafalat.md", lang] == tr.OUTDATED, lang
        assert after.status["programme/langar.md", lang] == tr.DRAFT, "other pages unaffected"
    text = tr.render_text(after)
    row = next(line for line in text.splitlines() if line.startswith("programme/kafalat.md"))
    assert row.split()[1:] == ["outdated"] * 4
    assert "mark-draft" in text  # the report says what to do about it
    assert "⚠️ outdated" in tr.render_markdown(after)

    # the translator updates the Sindhi page and records it as made from today's English
    assert tr.main(["mark-draft", "sd", "programme/kafalat.md"], root=content_copy) == 0
    assert tr.build_report(content_copy).status["programme/kafalat.md", "sd"] == tr.DRAFT


def test_editing_only_front_matter_or_trailing_spaces_does_not_outdate(content_copy):
    page = content_copy / "docs" / "en" / "programme" / "langar.md"
    text = page.read_text(encoding="utf-8")
    text = text.replace('title: "Langar"', 'title: "Ehsaas Langar"').replace("\n\n", "  \n\n", 3)
    page.write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    assert tr.build_report(content_copy).status["programme/langar.md", "ps"] == tr.DRAFT


def test_mark_reviewed_records_status_source_and_reviewer_and_keeps_other_lines(content_copy):
    path = content_copy / "docs" / "ps" / "programme" / "amdan.md"
    before = read_page(path)
    assert tr.main(["mark-reviewed", "ps", "docs/ps/programme/amdan.md", "--by", "A. Khan"],
                   root=content_copy) == 0
    after = read_page(path)
    assert after.translation == {"status": "reviewed", "reviewed_by": "A. Khan",
                                 "source_hash": body_hash(read_page(content_copy / "docs/en/programme/amdan.md").body)}
    assert after.body == before.body
    for key in ("title", "description", "summary"):
        assert after.meta[key] == before.meta[key]
    assert tr.build_report(content_copy).status["programme/amdan.md", "ps"] == tr.REVIEWED


def test_a_translation_without_a_hash_is_draft_source_unknown_until_add_hashes(content_copy):
    path = content_copy / "docs" / "sd" / "stay-safe.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(text[text.index("  source_hash:"):].split("\n", 1)[0] + "\n", ""),
                    encoding="utf-8")
    report = tr.build_report(content_copy)
    assert report.status["stay-safe.md", "sd"] == "draft (source unknown)"
    assert "draft (source unknown)" in tr.render_text(report)

    assert tr.main(["add-hashes", "--lang", "sd"], root=content_copy) == 0
    assert tr.build_report(content_copy).status["stay-safe.md", "sd"] == tr.DRAFT
    assert read_page(path).translation["status"] == "draft"


def test_a_missing_translation_is_reported_missing(content_copy):
    (content_copy / "docs" / "pa-Arab" / "feedback.md").unlink()
    report = tr.build_report(content_copy)
    assert report.status["feedback.md", "pa-Arab"] == tr.MISSING
    assert "missing" in tr.summary_line(report, "pa-Arab")


def test_threshold_fails_only_for_the_required_languages(content_copy, capsys):
    (content_copy / "docs" / "ps" / "index.md").unlink()
    assert tr.main(["--require", "ur", "--min-translated", "100%"], root=content_copy) == 0
    assert tr.main(["--require", "ur,ps", "--min-translated", "100%"], root=content_copy) == 1
    err = capsys.readouterr().err
    assert "FAILED: ps:" in err and "below the required 100%" in err and "FAILED: ur" not in err
    assert tr.main(["--require", "sd", "--min-reviewed", "10%"], root=content_copy) == 1
    assert tr.main(["--require", "xx", "--min-translated", "50%"], root=content_copy) == 1
    assert tr.main(["--min-translated", "50%"], root=content_copy) == 2  # no language named


def test_commands_explain_mistakes_in_plain_words(content_copy, capsys):
    assert tr.main(["mark-reviewed", "sd", "programme/no-such-page.md"], root=content_copy) == 2
    assert "does not exist" in capsys.readouterr().err
    assert tr.main(["mark-reviewed", "xx", "index.md"], root=content_copy) == 2
    assert "not a translation language" in capsys.readouterr().err
    (content_copy / "docs" / "ps" / "about.md").unlink(missing_ok=True)
    assert tr.main(["mark-draft", "ps", "about.md"], root=content_copy) == 2
    assert "translate it first" in capsys.readouterr().err


def test_markdown_format_is_a_table_for_the_ci_job_summary():
    result = run_cli("--format", "markdown")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "## Translation status"
    assert lines[2] == "| page | ur | sd | ps | pa-Arab |"
    assert all(line.count("|") == 6 for line in lines[2:] if line.startswith("|"))


def test_strings_command_lists_what_a_language_lacks(tmp_path, capsys):
    from ehsaas_site import strings
    import shutil
    folder = tmp_path / "strings"
    shutil.copytree(ROOT / "data" / "strings", folder)
    assert strings.main([], folder=folder) == 0
    assert "sd: complete" in capsys.readouterr().out
    text = (folder / "ps.yml").read_text(encoding="utf-8")
    (folder / "ps.yml").write_text(text.replace("  search_reset:", "  search_resett:"), encoding="utf-8")
    assert strings.main(["ps"], folder=folder) == 1
    out = capsys.readouterr().out
    assert "missing site.search_reset: Clear" in out and "remove or rename site.search_resett" in out
