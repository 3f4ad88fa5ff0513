"""Every built page is valid HTML (the Nu HTML Checker, vnu-jar from npm, run offline)."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Material sets autocomplete="off" on its CSS-only checkbox toggles so that Firefox does not
# reopen the menu after "back"; the checker objects to the attribute on a checkbox. Kept on purpose.
ACCEPTED = r".*Attribute “autocomplete” is only allowed when the input type is.*"


def vnu(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "text",
                           "--filterpattern", ACCEPTED, *map(str, paths)],
                          capture_output=True, text=True, timeout=300)


def test_every_built_page_is_valid_html(built_site):
    pages = sorted(built_site.rglob("*.html"))
    result = vnu(*pages)
    assert result.returncode == 0, (result.stdout + result.stderr)[:4000]


def test_the_checker_reports_invalid_html(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!doctype html><html lang="en"><head><title>x</title></head>'
                    '<body><p><div>block in a paragraph</p></div><a hreff="x">y</a></body></html>')
    result = vnu(page)
    assert result.returncode != 0 and "hreff" in result.stdout + result.stderr
