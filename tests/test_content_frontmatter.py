"""Content rules for docs/<lang>/ pages: presence, front matter, SMS summaries, facts, links.

These read the Markdown sources (fast, no build) except the last test, which checks that the
built pages carry the description and that no fact placeholder leaks into the HTML.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ehsaas_site.pages import load_mkdocs_config, nav_files
from feedback_api.i18n import components, facts, languages

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DEFAULT = "en"

# GSM 03.38 basic character set; the extension table's characters cost two septets each.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€")
SMS_LIMIT_DEFAULT = 160   # one GSM-7 SMS
SMS_LIMIT_OTHER = 70      # one UCS-2 SMS (Urdu and the other site languages)

FACT_CALL = re.compile(r"""\{\{\s*fact\(\s*["']([^"']+)["']\s*\)\s*\}\}""")
# A typed phone number, code or amount: four or more digits (Latin or Urdu) in a row.
LONG_NUMBER = re.compile(r"[0-9۰-۹]{4,}")


def expected_pages() -> list[str]:
    """Every page the site must have in each language (team brief: same file names everywhere)."""
    fixed = ["index.md", "communities.md", "meetings.md", "stay-safe.md", "feedback.md", "check.md",
             "about.md", "answered.md", "you-said-we-did.md"]  # the last two: ehsaas_site/feed.py
    return fixed + [f"programme/{slug}.md" for slug in components()]


def page_languages() -> list[str]:
    """Languages that have a docs folder (a language may get strings before its pages)."""
    langs = [lang for lang in languages() if (DOCS / lang).is_dir()]
    assert DEFAULT in langs and "ur" in langs, langs
    return langs


def read_page(lang: str, rel: str) -> tuple[dict, str]:
    text = (DOCS / lang / rel).read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n(.*)\Z", text, re.S)
    assert match, f"{lang}/{rel}: no front matter block"
    return yaml.safe_load(match.group(1)) or {}, match.group(2)


def gsm7_length(text: str) -> int | None:
    """Septets `text` needs in GSM-7, or None if a character is outside GSM-7."""
    if any(c not in GSM7_BASIC and c not in GSM7_EXTENSION for c in text):
        return None
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


# Languages every page must exist in. Sindhi, Pashto and Punjabi may lack a page: the site then
# shows the Urdu text with a "not yet translated" notice (ehsaas_site/fallback.py), and
# `python -m ehsaas_site.translations` reports it as missing.
COMPLETE_LANGUAGES = (DEFAULT, "ur")


def all_pages():
    return [(lang, rel) for lang in page_languages() for rel in expected_pages()
            if lang in COMPLETE_LANGUAGES or (DOCS / lang / rel).is_file()]


@pytest.mark.parametrize("lang", [lang for lang in page_languages() if lang in COMPLETE_LANGUAGES])
def test_every_page_exists_in_every_language(lang):
    missing = [rel for rel in expected_pages() if not (DOCS / lang / rel).is_file()]
    assert not missing, f"{lang} lacks {missing}"


@pytest.mark.parametrize("lang,rel", all_pages())
def test_front_matter_and_sms_summary(lang, rel):
    meta, body = read_page(lang, rel)
    for key in ("title", "description", "summary"):
        assert isinstance(meta.get(key), str) and meta[key].strip(), f"{lang}/{rel}: no {key}"
    summary = meta["summary"]
    if lang == DEFAULT:
        septets = gsm7_length(summary)
        assert septets is not None, f"{lang}/{rel}: summary has a non-GSM-7 character: {summary!r}"
        assert septets <= SMS_LIMIT_DEFAULT, f"{lang}/{rel}: summary is {septets} > 160 septets"
    else:
        # UCS-2 counts UTF-16 code units; Urdu letters are one unit each.
        units = len(summary.encode("utf-16-le")) // 2
        assert units <= SMS_LIMIT_OTHER, f"{lang}/{rel}: summary is {units} > 70 characters"
        status = (meta.get("translation") or {}).get("status")
        assert status in ("draft", "reviewed"), f"{lang}/{rel}: translation status is {status!r}"
    assert body.lstrip().startswith("# "), f"{lang}/{rel}: the page should open with its heading"


@pytest.mark.parametrize("lang,rel", all_pages())
def test_no_external_links_and_no_typed_facts(lang, rel):
    text = (DOCS / lang / rel).read_text(encoding="utf-8")
    assert not re.search(r"(?i)\b(https?:)?//[a-z0-9]", text), f"{lang}/{rel}: external URL"
    # a translation's source_hash (ehsaas_site/translations.py) is hex, not a fact
    without_calls = FACT_CALL.sub("", re.sub(r"(?m)^\s*source_hash:.*$", "", text))
    typed = LONG_NUMBER.findall(without_calls)
    assert not typed, f"{lang}/{rel}: {typed} look like typed facts: use {{{{ fact(...) }}}}"


def test_fact_keys_exist_and_unknown_values_say_to_confirm():
    known = facts()
    used = {key for lang, rel in all_pages()
            for key in FACT_CALL.findall((DOCS / lang / rel).read_text(encoding="utf-8"))}
    assert used, "pages should draw contact details from data/facts.yml"
    assert used <= set(known), f"unknown fact keys: {sorted(used - set(known))}"
    for key, entry in known.items():
        if entry.get("value") is None:
            assert str(entry.get("note") or "").startswith("to confirm"), f"fact {key}: unset but not 'to confirm'"
        else:
            assert entry.get("source") and entry.get("checked"), f"fact {key} has a value but no source or checked date"


def test_nav_lists_every_page_and_urdu_section_titles_are_translated():
    config = load_mkdocs_config(ROOT)
    assert sorted(nav_files(config["nav"])) == sorted(expected_pages())
    sections = [key for item in config["nav"] if isinstance(item, dict) for key in item]
    i18n = next(p["i18n"] for p in config["plugins"] if isinstance(p, dict) and "i18n" in p)
    for entry in i18n["languages"]:
        if entry["locale"] != DEFAULT and entry.get("build", True):
            translated = entry.get("nav_translations") or {}
            assert set(sections) <= set(translated), f"{entry['locale']}: untranslated {sections}"


def _built_page(site: Path, lang: str, rel: str) -> Path:
    stem = rel[:-3]
    path = "index.html" if stem == "index" else f"{stem}/index.html"
    return site / path if lang == DEFAULT else site / lang / path


def test_built_pages_carry_description_and_no_fact_placeholders(built_site):
    import html
    for lang, rel in all_pages():
        page = _built_page(built_site, lang, rel).read_text(encoding="utf-8")
        meta, _ = read_page(lang, rel)
        match = re.search(r'<meta name="description" content="([^"]*)"', page)
        assert match and html.unescape(match.group(1)) == meta["description"], f"{lang}/{rel}"
        assert "{{" not in page and "fact(" not in page, f"{lang}/{rel}: fact placeholder left"
