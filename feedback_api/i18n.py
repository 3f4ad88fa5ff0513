"""Owns the interface strings, languages, components and facts read from the data directory.

Both the static site (ehsaas_site) and the service import this module, so each string exists
once per language (data/strings/<lang>.yml). The data directory is datadir.find()'s unless
`use_data_dir` names another (the site build passes the one beside its mkdocs.yml).
"""
from __future__ import annotations

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
    for cached in (strings, languages, components, facts, districts, district_lookup):
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
