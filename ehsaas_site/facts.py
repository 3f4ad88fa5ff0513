"""Owns the programme facts in pages: `{{ fact("key") }}` (the value from data/facts.yml, a tel:,
sms: or official https link where it is a phone number, SMS code or website),
`{{ facts_checked() }}` (the oldest `checked` date of the facts the page shows) and
`{{ operator() }}` (who runs this site: `extra.operator` in mkdocs.yml, or, when unset, that this
is an information site and not the programme's office). The footer shows the same operator line.

The build stops on any problem in data/facts.yml (a value without a full source or checked
date, a website not on data/official_sites.yml: ehsaas_site/facts_report.py says which), on an unknown key,
and on a `{{ ... }}` the hook does not understand, so a typo never publishes a raw template or
a wrong number. An unset value becomes the reader's-language phrase `site.fact_unconfirmed`.
"""
from __future__ import annotations

import datetime as dt
import functools
import re

from mkdocs.exceptions import PluginError

from . import build, facts_report as data, html

CALL = re.compile(r"""\{\{\s*(?P<name>fact|facts_checked|operator)\(\s*(?:(["'])(?P<key>[^"']*)\2)?\s*\)\s*\}\}""")
ANY_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.S)
_operator = {"name": ""}


@functools.cache
def _html() -> html.Fragments:
    return html.Fragments("facts.html")


def entry(key: str) -> dict:
    facts = build.i18n.facts()
    if key not in facts:
        known = ", ".join(sorted(facts))
        raise PluginError(f'Unknown fact "{key}". Add it to data/facts.yml (known: {known}).')
    return facts[key] if isinstance(facts[key], dict) else {}


def render_fact(key: str, reader_lang: str, text_lang: str) -> str:
    """The HTML that replaces one fact in a page written in `text_lang`, read in `reader_lang`."""
    item = entry(key)
    kind = item.get("kind", "text")
    if kind == "statement":
        raise PluginError(f'Fact "{key}" is a statement: say it in the page\'s own words; its source '
                          "stays in data/facts.yml.")
    if data.has_value(item):
        value = str(item["value"]).strip()
        href = {"phone": "tel:" + re.sub(r"[^0-9+]", "", value), "sms": "sms:" + re.sub(r"[^0-9]", "", value),
                "web": "https://" + value.strip("/") + "/"}.get(kind)
        return _html()("value", str((item.get("display") or {}).get(text_lang) or value), href)
    # A fallback page is English text shown to an Urdu reader: mark the phrase's own language.
    other = reader_lang if reader_lang != text_lang else None
    return _html()("unconfirmed", build.t(reader_lang, "site.fact_unconfirmed"), other,
                   build.text_direction(reader_lang))


def facts_checked(markdown: str, statement: str | None = None) -> str:
    """The oldest `checked` date among the facts this page shows (and the statement it names,
    `{{ facts_checked("key") }}`, when its words come from one): the page is as fresh as that."""
    keys = [m.group("key") for m in CALL.finditer(markdown) if m.group("name") == "fact"]
    keys += [statement] if statement else []
    dates = [data.as_date(entry(key).get("checked")) for key in keys if data.has_value(entry(key))]
    dates = [d for d in dates if d]
    if not dates:
        raise PluginError("{{ facts_checked() }} on a page that shows no confirmed fact.")
    return _html()("checked", min(dates).isoformat())


def operator_line(lang: str) -> str:
    """Who runs the site, in the reader's language, with the official helpline one tap away."""
    helpline = render_fact("helpline_phone", lang, lang)
    name = _operator["name"]
    key, values = ("site.operator_named", {"operator": name}) if name else ("site.operator_none", {})
    sentence = build.t(lang, key, **{k: "{" + k + "}" for k in values}, helpline="{helpline}")
    # Markup.format escapes the sentence and the operator's name, not the helpline's link.
    return str(html.escape(sentence).format(helpline=html.Markup(helpline), **values))


def replace_facts(markdown: str, reader_lang: str, text_lang: str, where: str = "page") -> str:
    def one(match):
        name, key = match.group("name"), match.group("key")
        if name == "fact" and key is not None:
            return render_fact(key, reader_lang, text_lang)
        if name == "facts_checked":
            return facts_checked(markdown, key)
        if name == "operator" and key is None:
            return operator_line(text_lang)
        return match.group(0)  # reported below as unreadable
    out = CALL.sub(one, markdown)
    leftover = ANY_TEMPLATE.search(out)
    if leftover:
        raise PluginError(
            f'{where}: cannot read "{leftover.group(0)}". Write facts as {{{{ fact("key") }}}}.')
    return out


def on_config(config):
    # After build.on_config (listed first in mkdocs.yml) has pointed i18n at this project's data/.
    found = data.problems(build.i18n.facts(), data.official_domains(), dt.date.today())
    if found:
        raise PluginError("data/facts.yml:\n  " + "\n  ".join(found))
    _operator["name"] = str(config.extra.get("operator") or "").strip()
    return config


def on_env(env, config, files):
    env.globals["operator_line"] = operator_line
    return env


def on_page_markdown(markdown, page, config, files):
    reader = build.current_language(config)
    text_lang = getattr(page.file, "locale", reader)
    return replace_facts(markdown, reader, text_lang, where=page.file.src_uri)
