"""Owns reading and editing a Markdown page's front matter, and the site's languages and nav
as mkdocs.yml declares them. Edits are targeted: only the lines a tool changes are rewritten,
so an editor's comments, quoting and key order survive.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from feedback_api import datadir

# The project folder the commands work on (docs/, mkdocs.yml): the data directory's parent.
ROOT = datadir.find().parent
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*\n?", re.S)


class PageError(ValueError):
    """A page or config file an editor must fix; the message says which file and what to do."""


@dataclass
class Page:
    path: Path
    meta: dict
    front: str      # the raw front matter lines, without the --- fences
    body: str
    body_line: int  # 1-based line number where the body starts

    @property
    def translation(self) -> dict:
        value = self.meta.get("translation")
        return value if isinstance(value, dict) else {}


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if not match:
        return Page(path, {}, "", text, 1)
    front = match.group(1) or ""
    try:
        meta = yaml.safe_load(front) or {}
    except yaml.YAMLError as error:
        raise PageError(f"{path}: the block between the --- lines at the top is not valid YAML "
                        f"({error}). Check its quotes and indentation.") from error
    if not isinstance(meta, dict):
        raise PageError(f"{path}: the block between the --- lines must be `key: value` lines.")
    return Page(path, meta, front, text[match.end():], text[:match.end()].count("\n") + 1)


def body_hash(body: str) -> str:
    """What a translation records as `source_hash`: the first 12 hex digits of the SHA-256 of
    the English body (front matter excluded, so a new summary doesn't outdate translations).
    Line endings and trailing spaces are normalised: saving in another editor changes nothing."""
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").strip("\n").split("\n")]
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:12]


def set_translation(path: Path, fields: dict) -> None:
    """Replace the page's `translation:` block with `fields` (written as a nested block at the
    end of the front matter); every other line stays as it was."""
    page = read_page(path)
    if not page.front and not page.meta:
        raise PageError(f"{path}: no front matter (the --- block at the top); add title, "
                        "description and summary first.")
    kept, skipping = [], False
    for line in page.front.splitlines():
        if re.match(r"translation\s*:", line):
            skipping = True
            continue
        if skipping and (line.startswith((" ", "\t")) or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    block = ["translation:"] + [f"  {key}: {_scalar(value)}" for key, value in fields.items()]
    text = "---\n" + "\n".join(kept + block) + "\n---\n" + page.body
    path.write_text(text, encoding="utf-8")


def _scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True).strip().removesuffix("\n...").strip()


# --- mkdocs.yml -------------------------------------------------------------------------------

def _env_value(loader, node):
    """`!ENV [NAME, ..., default]` as MkDocs reads it: the first variable set, else the default."""
    names = loader.construct_sequence(node) if isinstance(node, yaml.SequenceNode) else [loader.construct_scalar(node)]
    for name in names[:-1] if len(names) > 1 else names:
        if name in os.environ:
            return os.environ[name]
    return names[-1] if len(names) > 1 else None


def load_mkdocs_config(root: Path = ROOT) -> dict:
    class Loader(yaml.SafeLoader):
        pass
    # mkdocs.yml holds !!python/... tags (the slugify function); their values don't matter here.
    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    Loader.add_constructor("!ENV", _env_value)   # MkDocs' !ENV [VARIABLE, default]
    return yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def site_languages(root: Path = ROOT) -> list[str]:
    """The languages mkdocs.yml builds, the default (English) first."""
    config = load_mkdocs_config(root)
    plugin = next(p["i18n"] for p in config.get("plugins", []) if isinstance(p, dict) and "i18n" in p)
    entries = [e for e in plugin["languages"] if e.get("build", True) and e["locale"] != "null"]
    entries.sort(key=lambda e: not e.get("default", False))
    return [e["locale"] for e in entries]


def nav_files(items) -> list[str]:
    files = []
    for item in items or []:
        if isinstance(item, str):
            files.append(item)
        elif isinstance(item, dict):
            for value in item.values():
                files += nav_files(value) if isinstance(value, list) else [value]
    return files
