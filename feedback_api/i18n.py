"""Owns the interface strings, languages, components and facts read from the data directory,
and the record of which translations a reader of the language has checked (data/translation_review.yml).

Both the static site (ehsaas_site) and the service import this module, so each string exists
once per language (data/strings/<lang>.yml). The data directory is datadir.find()'s unless
`use_data_dir` names another (the site build passes the one beside its mkdocs.yml).
"""
from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import yaml

from . import datadir

DEFAULT_LANGUAGE = "en"
_data_dir: list[Path] = []   # the one in use, once known


def data_dir() -> Path:
    if not _data_dir:
        _data_dir.append(datadir.find())
    return _data_dir[0]


def use_data_dir(path: Path) -> None:
    """Read from `path` from now on (forgetting what was read from another)."""
    path = Path(path).resolve()
    if _data_dir and _data_dir[0] == path:
        return
    _data_dir[:] = [path]
    for cached in (strings, languages, components, facts, districts, district_lookup, review_record):
        cached.cache_clear()


@functools.cache
def strings(lang: str) -> dict:
    """The nested string table of one language (raises KeyError for an unknown language)."""
    path = data_dir() / "strings" / f"{lang}.yml"
    if not path.is_file():
        raise KeyError(lang)
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@functools.cache
def languages() -> tuple[str, ...]:
    """Site languages: one per strings file, the default first."""
    codes = sorted(p.stem for p in (data_dir() / "strings").glob("*.yml"))
    codes.remove(DEFAULT_LANGUAGE)
    return (DEFAULT_LANGUAGE, *codes)


def text_direction(lang: str) -> str:
    return strings(lang)["meta"]["dir"]


def t(lang: str, key: str, **values) -> str:
    """The string at dotted `key` in `lang`, formatted with `values`; English if the language
    lacks it (the completeness test keeps that from shipping)."""
    for table in (strings(lang), strings(DEFAULT_LANGUAGE)):
        node = table
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
            if node is None:
                break
        if isinstance(node, str):
            return node.format(**values) if values else node
    raise KeyError(key)


@functools.cache
def components() -> tuple[str, ...]:
    """Programme component slugs in site order (data/components.yml)."""
    return tuple(yaml.safe_load((data_dir() / "components.yml").read_text(encoding="utf-8")))


@functools.cache
def facts() -> dict:
    """data/facts.yml: key -> {"value": ... or None, "source": ...}."""
    return yaml.safe_load((data_dir() / "facts.yml").read_text(encoding="utf-8"))


@functools.cache
def districts() -> dict:
    """data/districts.yml: region slug -> {"names": {lang: name}, "districts": [English names]}."""
    return yaml.safe_load((data_dir() / "districts.yml").read_text(encoding="utf-8"))["regions"]


@functools.cache
def district_lookup() -> dict[str, str]:
    """Case- and space-insensitive district name -> its spelling in data/districts.yml."""
    return {" ".join(name.casefold().split()): name
            for region in districts().values() for name in region["districts"]}


# ---------------------------------------------------------------- translation review

REVIEW_FILE = "translation_review.yml"
# The parts a language can have, each reviewed as a whole (the record's header says what each holds).
PARTS = ("site", "moderation", "sms", "answer_templates")
DRAFT, REVIEWED = "draft", "reviewed"


def translated_parts(lang: str) -> tuple[str, ...]:
    """The parts `lang` has a translation of in the data directory (none for English, the source)."""
    if lang == DEFAULT_LANGUAGE:
        return ()
    table = strings(lang)
    present = {"site": True, "moderation": "moderation" in table, "sms": "sms" in table,
               "answer_templates": (data_dir() / "answer_templates" / f"{lang}.yml").is_file()}
    return tuple(part for part in PARTS if present[part])


@functools.cache
def review_record() -> dict[str, dict[str, dict]]:
    """data/translation_review.yml, checked: language -> part -> {status, by, date}. Raises
    ValueError naming the entry that is wrong (the site build stops on it; a test too)."""
    path = data_dir() / REVIEW_FILE
    record = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = []
    for lang, parts in record.items():
        if lang not in languages() or lang == DEFAULT_LANGUAGE or not isinstance(parts, dict):
            problems.append(f"{lang}: not a translated language with parts under it")
            continue
        for part, entry in parts.items():
            where = f"{lang}.{part}"
            if part not in PARTS:
                problems.append(f"{where}: unknown part (one of {', '.join(PARTS)})")
            elif not isinstance(entry, dict) or entry.get("status") not in (DRAFT, REVIEWED):
                problems.append(f"{where}: status must be {DRAFT} or {REVIEWED}")
            elif entry["status"] == REVIEWED:
                if not str(entry.get("by") or "").strip():
                    problems.append(f"{where}: reviewed needs `by:` (who, as a role)")
                if not isinstance(entry.get("date"), dt.date):
                    problems.append(f"{where}: reviewed needs `date:` as YYYY-MM-DD")
                elif entry["date"] > dt.date.today() + dt.timedelta(days=1):
                    problems.append(f"{where}: the review's date is in the future")
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return record


def is_draft(lang: str, part: str) -> bool:
    """True while nobody who reads `lang` is recorded as having checked `part` (English: never).
    A part with no entry counts as a draft: only a recorded review removes the mark."""
    if lang == DEFAULT_LANGUAGE:
        return False
    entry = review_record().get(lang, {}).get(part) or {}
    return entry.get("status") != REVIEWED
