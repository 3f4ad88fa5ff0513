"""Programme facts: every fact with a value has a full, dated source and a checked date; the
build and the report refuse what lacks one; pages show facts as one-tap links; pages link only to
the official sites. Fast (no build); the built pages are checked in test_facts_site.py."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from mkdocs.exceptions import PluginError

from ehsaas_site import facts as hook
from feedback_api import i18n
from ehsaas_site import facts_report as data

TODAY = dt.date(2026, 11, 29)
SOURCE = {"publisher": "BISP", "title": "Complaint Mechanism", "url": "https://bisp.gov.pk/complaint-mechanism/",
          "published": "undated"}


def fact(**changes) -> dict:
    return {"value": "0800-26477", "kind": "phone", "source": dict(SOURCE), "checked": dt.date(2026, 1, 5), **changes}


def test_every_fact_with_a_value_has_a_full_source_and_a_checked_date():
    facts = data.load_facts()
    assert not data.problems(facts, data.official_domains(), dt.date.today())
    confirmed = [k for k, v in facts.items() if data.has_value(v)]
    assert len(confirmed) >= 20, confirmed
    for key in confirmed:
        source = facts[key]["source"]
        assert all(str(source[f]).strip() for f in data.SOURCE_FIELDS), key
        assert data.as_date(facts[key]["checked"]) <= dt.date.today(), key


def test_the_facts_a_reader_needs_first_are_confirmed():
    facts = data.load_facts()
    for key in ("helpline_phone", "helpline_hours", "sms_short_code", "official_sms_sender", "official_website",
                "renamed_year", "kafaalat_amount", "kafaalat_amount_from"):
        assert data.has_value(facts[key]), key
    assert facts["helpline_phone"]["source"]["url"].startswith("https://bisp.gov.pk/")


def test_no_fact_is_sourced_from_an_unofficial_guide_site():
    """News and the programme's pages only: the '.com.pk guide' sites copy each other, and scams copy them."""
    for key, entry in data.load_facts().items():
        url = (entry.get("source") or {}).get("url", "") if isinstance(entry, dict) else ""
        host = re.sub(r"^https?://([^/]+).*$", r"\1", url)
        assert not host.endswith(".com.pk") or host.endswith(("thenews.com.pk", "nation.com.pk", "app.com.pk")), \
            f"{key}: {url}"


@pytest.mark.parametrize("entry,expected", [
    (fact(source=None), "its source lacks publisher, title, url, published"),
    (fact(source={**SOURCE, "published": ""}), "lacks published"),
    (fact(source={**SOURCE, "published": "last week"}), "write YYYY-MM-DD"),
    (fact(source={**SOURCE, "url": "bisp.gov.pk"}), "is not a web address"),
    (fact(checked=None), "no `checked:` date"),
    (fact(checked="soon"), "no `checked:` date"),
    (fact(checked=dt.date(2027, 1, 1)), "is in the future"),
    (fact(kind="web", value="8171-bisp.com.pk"), "not on data/official_sites.yml"),
    (fact(kind="number"), "is not one of"),
])
def test_a_fact_with_a_value_but_no_full_source_or_date_is_a_problem(entry, expected):
    found = data.problems({"helpline_phone": entry}, ["bisp.gov.pk"], TODAY)
    assert len(found) == 1 and expected in found[0] and found[0].startswith("helpline_phone:"), found


def test_an_unset_fact_needs_no_source():
    assert data.problems({"x": {"value": None, "note": "to confirm"}}, ["bisp.gov.pk"], TODAY) == []


def test_the_build_stops_on_a_fact_with_a_value_and_no_source(monkeypatch):
    monkeypatch.setitem(i18n.facts(), "helpline_phone", fact(source=None))

    class Config:
        extra = {}
    with pytest.raises(PluginError, match="helpline_phone: has a value but its source lacks"):
        hook.on_config(Config())


@pytest.mark.parametrize("url,official", [
    ("https://bisp.gov.pk/", True), ("https://raabta.bisp.gov.pk/ProgPage.aspx?pageid=263", True),
    ("https://www.hec.gov.pk/x", True), ("http://bisp.gov.pk", True),
    ("https://8171-bisp.com.pk/", False), ("https://fakebisp.gov.pk/", False),
    ("https://bisp.gov.pk.example.com/", False), ("javascript:alert(1)", False), ("tel:080026477", False),
])
def test_only_the_listed_official_domains_and_their_subdomains_are_official(url, official):
    assert data.is_official(url) is official


def test_phone_sms_and_web_facts_are_one_tap_links():
    assert hook.render_fact("helpline_phone", "en", "en") == '<a href="tel:080026477"><bdi>0800-26477</bdi></a>'
    assert hook.render_fact("sms_short_code", "ur", "ur") == '<a href="sms:8171"><bdi>8171</bdi></a>'
    assert hook.render_fact("official_website", "en", "en") == '<a href="https://bisp.gov.pk/"><bdi>bisp.gov.pk</bdi></a>'


def test_a_fact_shows_as_the_pages_language_writes_it():
    assert hook.render_fact("helpline_hours", "ur", "ur") == "<bdi>صبح 8 بجے سے شام 5 بجے تک</bdi>"
    assert hook.render_fact("helpline_hours", "en", "en") == "<bdi>8 am to 5 pm</bdi>"
    # English text shown to an Urdu reader (a fallback page) keeps the English form
    assert hook.render_fact("helpline_hours", "ur", "en") == "<bdi>8 am to 5 pm</bdi>"


def test_a_statement_is_not_pasted_into_a_page():
    with pytest.raises(PluginError, match="own words"):
        hook.replace_facts('{{ fact("kafaalat_who") }}', "en", "en")


def test_facts_checked_is_the_oldest_checked_date_of_the_facts_on_the_page(monkeypatch):
    monkeypatch.setitem(i18n.facts(), "old_fact", fact(checked=dt.date(2025, 3, 1)))
    out = hook.replace_facts('{{ fact("helpline_phone") }} {{ fact("old_fact") }} {{ facts_checked() }}', "en", "en")
    assert out.endswith('<bdi><time datetime="2025-03-01">2025-03-01</time></bdi>')
    with pytest.raises(PluginError, match="no confirmed fact"):
        hook.replace_facts("{{ facts_checked() }}", "en", "en")


def test_with_no_operator_set_the_site_says_it_is_not_the_programmes_office(monkeypatch):
    monkeypatch.setitem(hook._operator, "name", "")
    line = hook.replace_facts("{{ operator() }}", "ur", "ur")
    assert "پروگرام کا دفتر نہیں" in line and 'href="tel:080026477"' in line
    monkeypatch.setitem(hook._operator, "name", "Thatta <outreach> office")
    line = hook.operator_line("en")
    assert line.startswith("This site is run by Thatta &lt;outreach&gt; office.") and "tel:080026477" in line


def write_facts(tmp_path, checked_dates: dict) -> str:
    lines = []
    for key, checked in checked_dates.items():
        lines += [f"{key}:", '  value: "x"', "  source:", "    publisher: P", "    title: T",
                  "    url: https://bisp.gov.pk/", "    published: undated", f"  checked: {checked}"]
    lines += ["unset:", "  value: null", "  note: to confirm"]
    path = tmp_path / "facts.yml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_report_lists_every_fact_and_marks_old_ones_due(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    path = write_facts(tmp_path, {"fresh": "2026-06-01", "stale": "2025-11-28", "edge": "2025-11-29"})
    assert data.main(["--facts", path], today=TODAY) == 0
    out = capsys.readouterr().out
    assert re.search(r"(?m)^ok  fresh = x$", out) and re.search(r"(?m)^DUE stale = x$", out)
    assert re.search(r"(?m)^DUE edge = x$", out)  # exactly 12 months: due
    assert re.search(r"(?m)^--- unset = \(not yet confirmed\)$", out)
    assert "checked 2025-11-28 (12 months ago); source: P, \"T\", undated, https://bisp.gov.pk/" in out
    assert "4 facts: 1 checked within 12 months, 2 due for re-checking, 1 not yet confirmed" in out
    # a shorter age makes more facts due; --fail-on-due turns them into a failure
    assert data.main(["--facts", path, "--max-age-months", "3", "--fail-on-due"], today=TODAY) == 1
    assert re.search(r"(?m)^DUE fresh = x$", capsys.readouterr().out)


def test_the_report_goes_to_the_ci_job_summary(tmp_path, capsys, monkeypatch):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    data.main(["--facts", write_facts(tmp_path, {"stale": "2024-01-01"})], today=TODAY)
    table = summary.read_text(encoding="utf-8")
    assert "## Programme facts" in table and "| `stale` | x | 2024-01-01 | 34 months | **due** |" in table


def test_the_report_fails_on_a_problem(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    path = tmp_path / "facts.yml"
    path.write_text('helpline:\n  value: "0800"\n', encoding="utf-8")
    assert data.main(["--facts", str(path)], today=TODAY) == 1
    assert capsys.readouterr().out.startswith("PROBLEM helpline: has a value but its source lacks")
