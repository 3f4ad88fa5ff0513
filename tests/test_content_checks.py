"""Content checks with messages an editor understands (ehsaas_site/check_content.py): the real pages
pass, and each kind of mistake, made in a temporary copy, is reported with file, line and what
to do."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.fixtures_site import ROOT
from ehsaas_site import check_content as cc


def test_every_real_page_passes_the_content_checks():
    problems = cc.check_all(ROOT / "docs")
    assert not problems, "\n".join(map(str, problems))


@pytest.fixture
def docs(tmp_path):
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    return tmp_path / "docs"


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_in(docs, path):
    return [str(p) for p in cc.check_page(path, docs)]


def line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if needle in line)


def test_a_long_sms_summary_names_the_line_and_how_much_to_cut(docs):
    page = docs / "sd" / "programme" / "langar.md"
    edit(page, 'summary: "', 'summary: "هي تمام ڊگهو خلاصو آهي جيڪو هڪ ايس ايم ايس ۾ نٿو اچي. ')
    [problem] = problems_in(docs, page)
    assert problem.startswith(f"{page}:{line_of(page, 'summary:')}: the summary is ")
    assert "one SMS in this language holds 70. Shorten it by" in problem


def test_english_summary_outside_gsm7_or_too_long(docs):
    page = docs / "en" / "stay-safe.md"
    edit(page, 'summary: "', 'summary: "Don’t wait. ' + "x" * 150 + " ")
    found = problems_in(docs, page)
    assert any("cannot send (’)" in p for p in found), found
    edit(page, "Don’t", "Do not")
    assert any("one SMS holds 160. Shorten it by" in p for p in problems_in(docs, page))


def test_missing_front_matter_field_and_translation_status(docs):
    page = docs / "ps" / "feedback.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(re.sub(r"description: .*\n", "", text).replace("  status: draft\n", ""), encoding="utf-8")
    found = problems_in(docs, page)
    assert any(": no description. Add a line `description:" in p for p in found), found
    assert any("needs `translation: {status: draft}`" in p for p in found), found


def test_broken_links_and_anchors_are_reported_with_their_line(docs):
    page = docs / "sd" / "index.md"
    edit(page, "(stay-safe.md)", "(stay-saf.md)")
    edit(page, "(feedback.md)", "(feedback.md#no-such-heading)")
    found = problems_in(docs, page)
    assert any(f":{line_of(page, 'stay-saf.md')}: link \"stay-saf.md\" leads to no page" in p for p in found)
    assert any('there is no heading "#no-such-heading" in sd/feedback.md' in p for p in found), found


def test_links_to_untranslated_pages_and_real_anchors_are_fine(docs, built_site):
    page = docs / "sd" / "index.md"
    # communities.md is not in Sindhi: the link leads to the Urdu fallback page, which is fine;
    # the anchor is the one the build gives the Sindhi heading
    anchor = re.search(r'<h2 id="([^"]+)">ٽي ضروري ڳالهيون', (built_site / "sd" / "index.html")
                       .read_text(encoding="utf-8")).group(1)
    # an official site (data/official_sites.yml) may be linked; any other site may not
    edit(page, "(stay-safe.md)", f"(communities.md) [x](#{anchor}) [z](https://raabta.bisp.gov.pk/) "
                                 "[y](https://example.org)")
    found = problems_in(docs, page)
    assert len(found) == 1 and "link to another site (https://example.org)" in found[0], found


def test_images_need_alt_text_an_existing_file_and_a_small_size(docs):
    (docs / "assets" / "big.png").write_bytes(b"\x89PNG" + bytes(40 * 1024))
    (docs / "assets" / "small.png").write_bytes(b"\x89PNG" + bytes(100))
    page = docs / "en" / "about.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text + "\n![](../assets/small.png)\n\n![A map](../assets/big.png)\n\n"
                    '<img src="../assets/nothing.png" alt="x">\n', encoding="utf-8")
    found = problems_in(docs, page)
    assert any("small.png has no alternative text" in p for p in found), found
    assert any("big.png is 40 KB; the limit is 15 KB" in p for p in found), found
    assert any("nothing.png does not exist" in p for p in found), found


def test_an_empty_page_is_reported(docs):
    page = docs / "ps" / "programme" / "amdan.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text[:text.index("# ")] + "# آمدن\n", encoding="utf-8")
    assert any("the page has no text under its heading" in p for p in problems_in(docs, page))


@pytest.mark.parametrize("typed, what", [
    ("0800-12345", "phone number"), ("۰۸۰۰ ۱۲۳۴۵", "phone number"), ("Rs. 12,000", "amount of money"),
    ("www.example.gov.pk", "web address"), ("2024", "year"),
])
def test_a_typed_fact_points_to_the_facts_file(docs, typed, what):
    page = docs / "pa-Arab" / "programme" / "kafalat.md"
    edit(page, "{{ fact(\"helpline_phone\") }}", typed)
    found = problems_in(docs, page)
    assert found and all("data/facts.yml" in p for p in found), found
    assert any(what in p and f":{line_of(page, typed)}:" in p for p in found), found


def test_command_prints_problems_and_fails_or_says_all_is_fine(docs):
    ok = subprocess.run([sys.executable, "-m", "ehsaas_site.check_content", "docs/sd"], cwd=ROOT,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and re.match(r"All \d+ pages are fine", ok.stdout), ok.stdout
    edit(docs / "sd" / "feedback.md", "(check.md)", "(chek.md)")
    bad = subprocess.run([sys.executable, "-m", "ehsaas_site.check_content", str(docs / "sd")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "leads to no page" in bad.stdout and "1 problem(s)" in bad.stdout
