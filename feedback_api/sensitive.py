"""Owns the first, automatic sensitivity flag: keyword lists in data/sensitive_keywords.yml."""
from __future__ import annotations

import functools
import re
import unicodedata

import yaml

from . import i18n


@functools.cache
def _terms() -> tuple[tuple[str, re.Pattern], ...]:
    """One pattern per category; a term must start a word ("rape" must not match "grape")."""
    table = yaml.safe_load((i18n.data_dir() / "sensitive_keywords.yml").read_text(encoding="utf-8"))
    patterns = []
    for category, by_language in table.items():
        terms = sorted({_fold(str(t)) for ts in by_language.values() for t in ts}, key=len, reverse=True)
        patterns.append((category, re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, terms)) + ")")))
    return tuple(patterns)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def categories(message: str) -> list[str]:
    """The sensitive categories whose terms occur in `message` (empty: none)."""
    folded = _fold(message)
    return sorted({category for category, term in _terms() if term.search(folded)})


def is_sensitive(message: str) -> bool:
    return bool(categories(message))
