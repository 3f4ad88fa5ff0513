"""Every built page within the byte budget for 2G phones (gzip-served; see
benchmarks/page_weight.py for what is counted and why search is not)."""
from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from benchmarks.page_weight import (BUDGET_FIRST_VISIT, BUDGET_FURTHER_PAGE, BUDGET_RENDER_BLOCKING,
                                    KB, measure, resources)


def all_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def over(site, key, budget):
    return [f"{m['page']}: {m[key] / KB:.1f} KB" for m in map(lambda p: measure(site, p), all_pages(site))
            if m[key] > budget]


def test_first_visit_within_30_kb(built_site):
    assert not over(built_site, "first_visit", BUDGET_FIRST_VISIT)


def test_render_blocking_html_and_css_within_14_kb(built_site):
    assert not over(built_site, "render_blocking", BUDGET_RENDER_BLOCKING)


def test_further_page_within_6_kb(built_site):
    assert not over(built_site, "further_page", BUDGET_FURTHER_PAGE)


def test_search_costs_nothing_until_opened_and_little_after(built_site):
    """search.js and the index are not fetched on a visit; opening search costs < 30 KB."""
    for page in all_pages(built_site):
        loaded = {r["path"].name for r in resources(built_site, page)}
        assert "search.js" not in loaded and "index.json" not in loaded, page
        assert measure(built_site, page)["search_on_tap"] <= BUDGET_FIRST_VISIT, page


def test_measurement_counts_what_a_page_loads(tmp_path):
    """The measure itself: a page's stylesheet, icon, image and a CSS url() are all counted,
    so a new asset cannot slip past the budget."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "s.css").write_text("body{background:url(../bg.png)}")
    (tmp_path / "bg.png").write_bytes(b"\x89PNG" + bytes(range(256)) * 8)
    (tmp_path / "i.svg").write_text("<svg/>")
    (tmp_path / "p.jpg").write_bytes(bytes(range(256)) * 4)
    page = tmp_path / "index.html"
    page.write_text('<html><head><link rel="stylesheet" href="a/s.css"><link rel="icon" href="i.svg">'
                    '</head><body><img src="p.jpg"><script data-src="x.js">1</script></body></html>')
    m = measure(tmp_path, page)
    gz = lambda p: len(gzip.compress(p.read_bytes(), 6, mtime=0))  # noqa: E731
    assert sorted(m["files"]) == ["a/s.css", "bg.png", "i.svg", "p.jpg"]
    expected = sum(gz(tmp_path / f) for f in ("index.html", "a/s.css", "bg.png", "i.svg", "p.jpg"))
    assert m["first_visit"] == expected
    assert m["render_blocking"] == gz(page) + gz(tmp_path / "a" / "s.css")


def test_a_third_party_resource_is_refused_by_the_measure(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">')
    with pytest.raises(ValueError, match="another origin"):
        measure(tmp_path, page)
