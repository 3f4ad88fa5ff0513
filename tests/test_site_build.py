"""The built site (a real `mkdocs build --strict`, fixture `built_site`): languages, direction,
notices, 404 pages, search indexes, no third-party requests, no Material JavaScript."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml

from benchmarks.page_weight import local_file, page_url, resources
from feedback_api.i18n import t, text_direction
from ehsaas_site.facts_report import is_official
from ehsaas_site.pages import load_mkdocs_config

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DEFAULT = "en"


CONFIG = load_mkdocs_config(ROOT)
SITE_URL = CONFIG["site_url"]
I18N = next(p["i18n"] for p in CONFIG["plugins"] if isinstance(p, dict) and "i18n" in p)
# Every language the site is built in; those with a docs/<lang>/ folder are translated.
LANGS = [entry["locale"] for entry in I18N["languages"] if entry.get("build", True)]
OTHER_LANGS = [lang for lang in LANGS if lang != DEFAULT]
TRANSLATED = [lang for lang in OTHER_LANGS if (DOCS / lang).is_dir()]
# Languages that may be partly translated: their missing pages fall back to another language.
PARTIAL = [e["locale"] for e in I18N["languages"] if (e.get("extra") or {}).get("fallback_language")]
COMPLETE = [lang for lang in TRANSLATED if lang not in PARTIAL]


def sources(lang: str) -> list[str]:
    return sorted(p.relative_to(DOCS / lang).as_posix() for p in (DOCS / lang).rglob("*.md"))


def built_path(lang: str, rel: str) -> str:
    """docs/<lang>/<rel> -> its path under site/ (directory URLs)."""
    stem = rel[:-3]
    if stem == "index":
        path = "index.html"
    elif stem.endswith("/index"):
        path = stem[: -len("index")] + "index.html"
    else:
        path = stem + "/index.html"
    return path if lang == DEFAULT else f"{lang}/{path}"


def front_matter(lang: str, rel: str) -> dict:
    text = (DOCS / lang / rel).read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.S)
    return yaml.safe_load(match.group(1)) if match else {}


def lang_of(site: Path, page: Path) -> str:
    first = page.relative_to(site).parts[0]
    return first if first in OTHER_LANGS else DEFAULT


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def text_of(page: Path) -> str:
    return page.read_text(encoding="utf-8")


# --- pages and languages ------------------------------------------------------------------

def test_urdu_is_built_and_complete():
    assert DEFAULT in LANGS and "ur" in COMPLETE


@pytest.mark.parametrize("lang", COMPLETE)
def test_every_english_page_is_built_from_its_own_translation(built_site, lang):
    """Every docs/en page exists in docs/<lang>, so no reader meets the English fallback."""
    missing = sorted(set(sources(DEFAULT)) - set(sources(lang)))
    assert not missing, f"docs/{lang} lacks {missing}"
    for rel in sources(DEFAULT):
        page = text_of(built_site / built_path(lang, rel))
        assert t(lang, "site.missing_notice") not in page, f"{lang}/{rel} shows the fallback notice"


def test_every_page_root_has_its_language_and_direction(built_site):
    for page in html_pages(built_site):
        lang = lang_of(built_site, page)
        text = text_of(page)
        root = re.search(r"<html\b[^>]*>", text).group(0)
        assert f'lang="{lang}"' in root and f'dir="{text_direction(lang)}"' in root, (page, root)
        body = re.search(r"<body\b[^>]*>", text).group(0)
        assert f'dir="{text_direction(lang)}"' in body, (page, body)


def test_title_and_meta_description_come_from_front_matter(built_site):
    for lang in LANGS:
        for rel in sources(lang):
            meta = front_matter(lang, rel)
            page = text_of(built_site / built_path(lang, rel))
            found = re.search(r'<meta name="description" content="([^"]*)">', page)
            assert found and html.unescape(found.group(1)) == meta["description"], f"{lang}/{rel}"
            title = html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1))
            assert title.startswith(meta["title"]), f"{lang}/{rel}: <title> {title!r}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_draft_translations_show_the_draft_notice_in_their_language(built_site, lang):
    notice = html.escape(t(lang, "site.draft_notice"), quote=False)
    drafts = 0
    for rel in sources(lang):
        page = text_of(built_site / built_path(lang, rel))
        is_draft = (front_matter(lang, rel).get("translation") or {}).get("status") == "draft"
        drafts += is_draft
        assert (notice in page) == is_draft, f"{lang}/{rel}: draft={is_draft}, notice shown={notice in page}"
    assert drafts or lang != "ur", "no Urdu page is marked draft: the notice is untested"


def test_english_pages_show_no_translation_notices(built_site):
    for rel in sources(DEFAULT):
        page = text_of(built_site / built_path(DEFAULT, rel))
        assert "site-notice" not in page, rel


@pytest.mark.parametrize("lang", TRANSLATED)
def test_headings_in_other_scripts_get_readable_anchors(built_site, lang):
    """pymdownx slugify keeps Urdu letters in ids (the default toc slugify would give `_1`)."""
    ids = []
    for rel in sources(lang):
        ids += re.findall(r'<h[1-6] id="([^"]+)"', text_of(built_site / built_path(lang, rel)))
    assert ids
    unreadable = [i for i in ids if not re.search(r"[\u0600-\u06ff]", i)]
    assert not unreadable, f"{lang}: anchors without letters: {unreadable}"


def test_language_switcher_leads_to_the_same_page_in_each_language(built_site):
    for lang in LANGS:
        for rel in sources(DEFAULT):
            here = "/" + built_path(lang, rel).removesuffix("index.html")
            page = text_of(built_site / built_path(lang, rel))
            links = dict((code, href) for href, code in
                         re.findall(r'<a href="([^"]*)" hreflang="([^"]+)" class="md-select__link"', page))
            assert set(links) == set(LANGS), f"{here}: switcher offers {sorted(links)}"
            for other in LANGS:
                target = urlsplit(urljoin(SITE_URL.rstrip("/") + here, links[other])).path
                expected = "/" + built_path(other, rel).removesuffix("index.html")
                assert target == expected, f"{here}: the {other} link goes to {target}, not {expected}"


# --- 404 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_each_language_has_its_own_404_page(built_site, lang):
    path = built_site / ("404.html" if lang == DEFAULT else f"{lang}/404.html")
    page = text_of(path)
    assert re.search(rf'<html lang="{lang}" dir="{text_direction(lang)}"', page)
    for key in ("site.not_found_title", "site.not_found_text", "site.not_found_home"):
        assert html.escape(t(lang, key), quote=False) in page, f"{lang} 404 lacks {key}"
    home = re.search(r'<a href="([^"]*)">' + re.escape(html.escape(t(lang, "site.not_found_home"), quote=False)), page)
    expected = urlsplit(SITE_URL).path + ("" if lang == DEFAULT else f"{lang}/")
    assert home and home.group(1) == expected, f"{lang} 404 home link {home and home.group(1)}"
    # Served at any depth, so every asset link must be absolute.
    for ref in re.findall(r'(?:href|src)="([^"#]+)"', page):
        if ref.startswith(("tel:", "sms:")):  # the helpline in the footer: a number, not a path
            continue
        assert ref.startswith("/"), f"{lang} 404 links {ref} relatively"


# --- search -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_each_language_has_its_own_search_index(built_site, lang):
    root = "" if lang == DEFAULT else f"{lang}/"
    index = json.loads((built_site / root / "search" / "index.json").read_text(encoding="utf-8"))
    assert index["lang"] == lang
    assert index["docs"] or lang not in [DEFAULT, *TRANSLATED], f"{lang}: empty index"
    assert index["strings"]["none"] == t(lang, "site.search_none")
    for doc in index["docs"]:
        first = doc["location"].split("/", 1)[0]
        if lang == DEFAULT:
            assert first not in OTHER_LANGS, f"{lang} index holds {doc['location']}"
        else:
            assert doc["location"].startswith(root), f"{lang} index holds {doc['location']}"
        assert "<" not in doc["text"], "index text should be plain text"


def test_no_all_languages_index_is_published(built_site):
    assert not (built_site / "search" / "search_index.json").exists()


def test_pages_point_search_at_their_own_language_index(built_site):
    for page in html_pages(built_site):
        lang = lang_of(built_site, page)
        found = re.search(r'data-index="([^"]+)"', text_of(page))
        assert found, page
        target = local_file(built_site, page_url(built_site, page), found.group(1))
        assert target == built_site / ("" if lang == DEFAULT else lang) / "search" / "index.json", page


# --- what pages load ----------------------------------------------------------------------

def test_no_material_javascript_and_no_script_file_loads_without_a_tap(built_site):
    assert not (built_site / "assets" / "javascripts").exists()
    for page in html_pages(built_site):
        text = text_of(page)
        assert not re.search(r"<script[^>]*\ssrc=", text), f"{page}: a script file loads on every visit"
        assert "__config" not in text and "bundle." not in text
        assert not [r for r in resources(built_site, page) if r["path"].suffix == ".js"]


def test_every_page_loads_one_pruned_fingerprinted_stylesheet(built_site):
    css_files = list((built_site / "assets" / "stylesheets").glob("*.css"))
    assert len(css_files) == 1 and re.fullmatch(r"site\.[0-9a-f]{10}\.css", css_files[0].name), css_files
    css = css_files[0].read_text(encoding="utf-8")
    assert len(css) < 60_000, "Material's CSS does not look pruned (the full file is 137 KB)"
    assert ".md-search-result__link" in css, "pruning dropped what search.js draws"
    assert "font-family" in css and "Noto Nastaliq Urdu" in css
    for page in html_pages(built_site):
        sheets = [r for r in resources(built_site, page) if r["kind"] == "stylesheet"]
        assert [r["path"] for r in sheets] == css_files, page


def test_no_page_asks_for_a_sitemap(built_site):
    """Material's JavaScript fetched sitemap.xml once per language on every page (docs/dev/0004)."""
    for path in built_site.rglob("*"):
        if path.suffix in (".html", ".js", ".css"):
            assert "sitemap" not in path.read_text(encoding="utf-8"), path


# URLs that name something rather than fetch it: XML/SVG namespaces.
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink",
              "http://www.sitemaps.org/schemas/sitemap/0.9")
# http(s)://anything, or a protocol-relative //host.tld/... (as in url(//cdn.example/x.woff)).
ABSOLUTE_URL = re.compile(r"""(?i)\bhttps?://[^\s"'<>)\\]+|(?<![:/\w])//(?:[a-z0-9-]+\.)+[a-z]{2,}\b[^\s"'<>)\\]*""")


def allowed_external(url: str) -> bool:
    if url.startswith(NAMESPACES) or url.startswith(SITE_URL):
        return True
    # The official sites (data/official_sites.yml) may be linked: a link, not a request.
    return is_official(url)


def test_no_third_party_url_anywhere_in_the_site(built_site):
    """No address outside this site in any built file: nothing a page could fetch from a font
    CDN, analytics or a script host, in HTML attributes, CSS url()/@import, JS fetch() or JSON.
    Protocol-relative `//host/...` counts too. Only namespaces, our own site_url and confirmed
    official sites (data/official_sites.yml) may appear."""
    offenders = []
    for path in sorted(built_site.rglob("*")):
        if path.is_dir() or path.suffix not in (".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".webmanifest"):
            continue
        text = path.read_text(encoding="utf-8")
        for match in ABSOLUTE_URL.finditer(text):
            url = match.group(0)
            if not allowed_external(url):
                offenders.append(f"{path.relative_to(built_site)}: {url}")
    assert not offenders, "\n".join(offenders[:20])


def test_everything_a_page_loads_exists_in_the_site(built_site):
    for page in html_pages(built_site):
        for item in resources(built_site, page):  # raises on another origin or a missing file
            assert item["path"].is_file()


def test_internal_links_resolve(built_site):
    for page in html_pages(built_site):
        if page.name == "404.html":
            continue
        base = page_url(built_site, page)
        for href in re.findall(r'<a [^>]*href="([^"#][^"]*)"', text_of(page)):
            if href.startswith(("mailto:", "tel:", "sms:")) or re.match(r"(?i)https?:", href):
                continue
            target = local_file(built_site, base, unquote(href.split("#")[0]))
            assert target and target.exists(), f"{base} links to {href}: nothing there"


@pytest.mark.parametrize("lang", LANGS)
def test_404_language_switcher_leads_to_each_languages_home(built_site, lang):
    page = text_of(built_site / ("404.html" if lang == DEFAULT else f"{lang}/404.html"))
    links = dict((code, href) for href, code in
                 re.findall(r'<a href="([^"]*)" hreflang="([^"]+)" class="md-select__link"', page))
    base = urlsplit(SITE_URL).path
    assert links == {code: base + ("" if code == DEFAULT else f"{code}/") for code in LANGS}


def test_menu_and_search_toggles_have_names_in_the_readers_language(built_site):
    for page in html_pages(built_site):
        lang, text = lang_of(built_site, page), text_of(page)
        for toggle, key in (("drawer", "site.nav_label"), ("search", "site.search_label")):
            name = html.escape(t(lang, key))
            assert f'data-md-toggle="{toggle}" type="checkbox" aria-label="{name}"' in text, (page, toggle)


def test_default_404_also_offers_every_other_languages_home(built_site):
    """GitHub Pages serves site/404.html for every missing path, /ur/ included."""
    page = text_of(built_site / "404.html")
    base = urlsplit(SITE_URL).path
    for lang in OTHER_LANGS:
        home = html.escape(t(lang, "site.not_found_home"), quote=False)
        assert re.search(rf'<li lang="{re.escape(lang)}" dir="{text_direction(lang)}">[^<]*<a href="{base}{lang}/">{re.escape(home)}</a>', page), lang


# --- front matter (every page of every language; the SMS summary fits one message) -----------

GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
           "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_DOUBLE = set("^{}\\[~]|€")  # the extension table: two septets each


def sms_cost(text: str, lang: str) -> tuple[int, int]:
    """(length in the SMS encoding, the limit of one SMS): GSM-7 septets for English,
    UTF-16 units (UCS-2) for the other languages."""
    if lang == DEFAULT:
        assert all(c in GSM7 or c in GSM7_DOUBLE for c in text), f"not GSM-7: {text!r}"
        return sum(2 if c in GSM7_DOUBLE else 1 for c in text), 160
    return len(text.encode("utf-16-le")) // 2, 70


@pytest.mark.parametrize("lang", [DEFAULT, *TRANSLATED])
def test_every_page_has_title_description_and_an_sms_summary(lang):
    for rel in sources(lang):
        meta = front_matter(lang, rel)
        for key in ("title", "description", "summary"):
            assert isinstance(meta.get(key), str) and meta[key].strip(), f"{lang}/{rel}: no {key}"
        length, limit = sms_cost(meta["summary"], lang)
        assert length <= limit, f"{lang}/{rel}: summary is {length} > {limit}"
