"""Owns the check that every language's interface strings (data/strings/<lang>.yml) have exactly
the keys of English, printed as a to-do list for translators.

    python -m ehsaas_site.strings          # every language
    python -m ehsaas_site.strings sd ps    # some languages

For each missing key it prints the English text to translate, in YAML, ready to paste under the
right section of the language's file. Moderation's part (`moderation.*`) is required in
English and Urdu only: another language without it shows moderation in English, and is listed
as complete with a note; once it has the part, the part must be complete like the rest.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from feedback_api import datadir

STRINGS = datadir.find() / "strings"
MODERATION, MODERATION_REQUIRED = "moderation.", ("en", "ur")


def flatten(node, prefix: str = "") -> dict[str, object]:
    flat = {}
    for key, value in (node or {}).items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def load(lang: str, folder: Path = STRINGS) -> dict[str, object]:
    return flatten(yaml.safe_load((folder / f"{lang}.yml").read_text(encoding="utf-8")))


def differences(lang: str, folder: Path = STRINGS) -> tuple[dict[str, object], list[str]]:
    """(keys English has and `lang` lacks, with the English text; keys only `lang` has)."""
    english, other = load("en", folder), load(lang, folder)
    if lang not in MODERATION_REQUIRED and not any(k.startswith(MODERATION) for k in other):
        english = {k: v for k, v in english.items() if not k.startswith(MODERATION)}
    missing = {key: value for key, value in english.items() if key not in other}
    extra = sorted(key for key in other if key not in english)
    return missing, extra


def main(argv: list[str] | None = None, folder: Path = STRINGS) -> int:
    langs = (sys.argv[1:] if argv is None else argv) or sorted(p.stem for p in folder.glob("*.yml") if p.stem != "en")
    problems = 0
    for lang in langs:
        if not (folder / f"{lang}.yml").is_file():
            print(f"{lang}: no file data/strings/{lang}.yml")
            problems += 1
            continue
        missing, extra = differences(lang, folder)
        if not missing and not extra:
            english_moderation = lang not in MODERATION_REQUIRED and not any(
                k.startswith(MODERATION) for k in load(lang, folder))
            print(f"{lang}: complete" + (" (moderation pages shown in English: no moderation part)"
                                         if english_moderation else ""))
            continue
        problems += len(missing) + len(extra)
        print(f"{lang}: {len(missing)} to translate, {len(extra)} not in English (data/strings/{lang}.yml)")
        for key, english in missing.items():
            print(f"  missing {key}: {yaml.safe_dump(english, allow_unicode=True, width=1000).strip().removesuffix('...').strip()}")
        for key in extra:
            print(f"  remove or rename {key}: en.yml has no such key")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
