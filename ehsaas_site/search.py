"""Owns the per-language search indexes: site/search/index.json (default language) and
site/<lang>/search/index.json, each holding only that language's pages.

Material's search plugin writes one index for every language (mkdocs-static-i18n #271), which
would make an Urdu reader download English too. docs/assets/search.js fetches only the
reader's index, and only when the reader opens search. The index also carries the result
strings in its language, so pages don't pay for them on every visit, and, for a language
written in Arabic script, the service's one table of letter variants (feedback_api/folding.py
`LETTERS`), so that the site's search folds the letters the service's duplicate groups and SMS
keywords fold, from one table.
"""
from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from mkdocs.plugins import event_priority, get_plugin_logger

from feedback_api import folding

from . import build

log = get_plugin_logger("search_index")
COMBINED = Path("search") / "search_index.json"
RESULT_STRINGS = {"type": "search_type", "none": "search_none", "one": "search_one",
                  "other": "search_other", "error": "search_error"}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(fragment: str) -> str:
    parser = _Text()
    parser.feed(fragment or "")
    parser.close()
    return re.sub(r"\s+", " ", html.unescape(" ".join(parser.parts))).strip()


def roman_names(lang: str) -> list[tuple[str, str]]:
    """(a component's name in `lang`, its Roman-letter name) for a language not written in
    Roman letters: readers type "Kafalat" on the Urdu site too."""
    if build.text_direction(lang) != "rtl":
        return []
    return [(build.t(lang, f"components.{slug}"), build.t(build.i18n.DEFAULT_LANGUAGE, f"components.{slug}"))
            for slug in build.i18n.components()]


def letters(lang: str) -> dict[str, str]:
    """The letter variants search.js folds on `lang`'s site: none for a left-to-right one."""
    if build.text_direction(lang) != "rtl":
        return {}
    return {letter: to for letter, to in folding.LETTERS.items() if to}


def entries_for(docs: list[dict], root: str, other_roots: list[str],
                names: list[tuple[str, str]] = ()) -> list[dict]:
    """The entries under `root` ("" = default language: not under any other language's root),
    each with the Roman names of the components it mentions (`names`) when there are any."""
    picked = []
    for doc in docs:
        location = doc.get("location", "")
        if root:
            keep = location.startswith(root)
        else:
            keep = not any(location.startswith(other) for other in other_roots)
        if keep:
            entry = {"location": location, "title": plain_text(doc.get("title", "")),
                     "text": plain_text(doc.get("text", ""))}
            said = entry["title"] + " " + entry["text"]
            roman = sorted({latin for local, latin in names if local in said})
            if roman:
                entry["names"] = " ".join(roman)
            picked.append(entry)
    return picked


@event_priority(-200)
def on_post_build(config):
    if not build.is_final_post_build(config):
        return
    site = Path(config.site_dir)
    combined = site / COMBINED
    if not combined.is_file():
        log.warning(f"{COMBINED} was not built (is the search plugin enabled?): no search index")
        return
    docs = json.loads(combined.read_text(encoding="utf-8")).get("docs", [])
    languages = build.built_languages(config)
    roots = {lang: build.language_root(config, lang) for lang in languages}
    for lang, root in roots.items():
        index = {
            "lang": lang,
            "strings": {k: build.t(lang, f"site.{v}") for k, v in RESULT_STRINGS.items()},
            "docs": entries_for(docs, root, [r for r in roots.values() if r], roman_names(lang)),
        }
        if letters(lang):
            index["letters"] = letters(lang)
        path = site / root / "search" / "index.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    # Nothing loads the all-languages file any more; don't publish it.
    combined.unlink()
