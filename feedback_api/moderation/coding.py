"""Owns the moderators' reference data: topic codes (data/topic_codes.yml) and template
replies per language (data/answer_templates/<lang>.yml, English as the fallback)."""
from __future__ import annotations

import functools

import yaml

from .. import i18n

@functools.cache
def topic_codes(lang: str = i18n.DEFAULT_LANGUAGE) -> dict[str, str]:
    """code -> label in `lang` (English where the file has no translation), e.g. "COM-PAY" ->
    "Complaint: Payment (amount, timing, ...)". The codes are the same in every language."""
    table = yaml.safe_load((i18n.data_dir() / "topic_codes.yml").read_text(encoding="utf-8"))
    own = (table.get("translations") or {}).get(lang) or {}
    types = {**table["types"], **(own.get("types") or {})}
    topics = {**table["topics"], **(own.get("topics") or {})}
    return {f"{t}-{p}": f"{types[t]}: {topics[p]}" for t in table["types"] for p in table["topics"]}


@functools.cache
def _templates(lang: str) -> dict:
    path = i18n.data_dir() / "answer_templates" / f"{lang}.yml"
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def answer_templates(lang: str) -> dict[str, dict]:
    """key -> {label, body, language}: the language's own where it has one, else English."""
    result = {}
    for key, item in _templates(i18n.DEFAULT_LANGUAGE).items():
        own = _templates(lang).get(key)
        chosen, chosen_lang = (own, lang) if own else (item, i18n.DEFAULT_LANGUAGE)
        result[key] = {"label": chosen["label"], "body": chosen["body"], "language": chosen_lang}
    return result


def fill_template(lang: str, key: str, reference: str) -> str | None:
    item = answer_templates(lang).get(key)
    return item["body"].replace("{reference}", reference) if item else None
