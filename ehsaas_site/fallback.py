"""Owns which text a reader sees when a page is not yet translated into their language.

mkdocs-static-i18n falls back to the English page. For a language whose `languages:` entry in
mkdocs.yml sets `extra.fallback_language` (Sindhi, Pashto and Punjabi set `ur`), we show that
language's page instead when it exists: these readers read Urdu far more often than English.
The page keeps its address under /sd/ etc.; only the text it is built from changes, and
`page.file.locale` says which language that text is in, so theme.py marks the page
"not yet translated" (in the reader's language) and wraps the text in its own `lang`/`dir`.

It also marks a translation as outdated on the page when the English changed after the
translation's `source_hash` (translations.py) was recorded.
"""
from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority, get_plugin_logger

from . import build
from .html import render
from .pages import body_hash, read_page

log = get_plugin_logger("translations")


def fallback_language(config) -> str | None:
    value = (config.extra or {}).get("fallback_language")
    return str(value) if value else None


@event_priority(-120)  # after the i18n plugin (-100) chose each page's file, before pages.py (-150)
def on_files(files, config):
    reader = build.current_language(config)
    default = build.default_language(config)
    fallback = fallback_language(config)
    if reader == default or not fallback or fallback in (reader, default):
        return files
    docs = Path(config.docs_dir)
    swapped = 0
    for file in files.documentation_pages():
        if getattr(file, "locale", None) != default:
            continue  # translated into the reader's language, or not a page of ours
        candidate = docs / fallback / file.norm_src_uri
        if candidate.is_file():
            file.abs_src_path = str(candidate)  # a cached_property: this assignment wins
            file.locale = fallback
            swapped += 1
    if swapped:
        log.debug(f"{reader}: {swapped} page(s) not yet translated show the {fallback} text")
    return files


def _english_body_hash(config, file) -> str | None:
    english = Path(config.docs_dir) / build.default_language(config) / file.norm_src_uri
    return body_hash(read_page(english).body) if english.is_file() else None


def on_page_content(html, page, config, files):
    """A translation made from an older English text says so, in the reader's language, above
    the page (after the draft notice): the English may have changed a fact or an instruction."""
    reader = build.current_language(config)
    if reader == build.default_language(config) or getattr(page.file, "locale", reader) != reader:
        return html  # English itself, or a fallback page (it has its own notice)
    translation = page.meta.get("translation")
    recorded = translation.get("source_hash") if isinstance(translation, dict) else None
    if not recorded:
        return html
    current = _english_body_hash(config, page.file)
    if current is None or current == str(recorded):
        return html
    notice = render("outdated_notice.html", notice=build.t(reader, "translation.outdated_notice"))
    return f"{notice}\n{html}"
