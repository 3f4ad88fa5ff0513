"""Owns `{{ fact("key") }}` in Markdown: the value from data/facts.yml, never a guess.

An entry whose value is null (not yet confirmed) becomes the reader's-language phrase
`site.fact_unconfirmed`; an unknown key, or a `{{ ... }}` the hook does not understand, stops
the build, so a typo can never publish a raw template or a wrong number.
"""
from __future__ import annotations

import html
import re

from mkdocs.exceptions import PluginError

from . import build

FACT = re.compile(r"""\{\{\s*fact\(\s*(["'])(?P<key>[^"']*)\1\s*\)\s*\}\}""")
ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)


def render_fact(key: str, reader_lang: str, text_lang: str) -> str:
    """The text that replaces one fact in a page written in `text_lang`, read in `reader_lang`."""
    facts = build.i18n.facts()
    if key not in facts:
        known = ", ".join(sorted(facts))
        raise PluginError(f'Unknown fact "{key}". Add it to data/facts.yml (known: {known}).')
    value = facts[key].get("value") if isinstance(facts[key], dict) else None
    if value is not None and str(value).strip():
        # Isolated from the text around it: in a right-to-left sentence the bidi algorithm
        # would otherwise show 0800-123 as 123-0800 and 2024-07-10 as 10-07-2024.
        return f"<bdi>{html.escape(str(value), quote=False)}</bdi>"
    phrase = html.escape(build.t(reader_lang, "site.fact_unconfirmed"), quote=False)
    # A fallback page is English text shown to an Urdu reader: mark the phrase's own language.
    marks = ""
    if reader_lang != text_lang:
        marks = f' lang="{reader_lang}" dir="{build.text_direction(reader_lang)}"'
    return f'<em class="fact-unconfirmed"{marks}>{phrase}</em>'


def replace_facts(markdown: str, reader_lang: str, text_lang: str, where: str = "page") -> str:
    out = FACT.sub(lambda m: render_fact(m.group("key"), reader_lang, text_lang), markdown)
    leftover = ANY_TEMPLATE.search(out)
    if leftover:
        raise PluginError(
            f'{where}: cannot read "{leftover.group(0)}". Write facts as {{{{ fact("key") }}}}.')
    return out


def on_page_markdown(markdown, page, config, files):
    reader = build.current_language(config)
    text_lang = getattr(page.file, "locale", reader)
    return replace_facts(markdown, reader, text_lang, where=page.file.src_uri)
