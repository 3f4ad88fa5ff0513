"""Every language's interface strings have exactly the keys of English (data/strings/*.yml).

Generic over the files, so a language added later (sd, ps, pa) is held to it the day its file
appears. Placeholders such as {count} must match too, or a formatted string would break."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
import yaml

from ehsaas_site.strings import STRINGS, flatten

FILES = sorted(STRINGS.glob("*.yml"))


def load(path: Path) -> dict:
    return flatten(yaml.safe_load(path.read_text(encoding="utf-8")))


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


ENGLISH = load(STRINGS / "en.yml")
# Moderation's part: required in English and Urdu (moderators read one of them); any other
# language may leave it out, and then shows moderation in English, but not half of it.
MODERATION = "moderation."
MODERATION_REQUIRED = ("en", "ur")


def test_there_are_languages_besides_english():
    assert len(FILES) >= 2 and (STRINGS / "en.yml") in FILES


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_same_keys_as_english(path):
    strings = load(path)
    expected = set(ENGLISH)
    if path.stem not in MODERATION_REQUIRED and not any(k.startswith(MODERATION) for k in strings):
        expected = {k for k in expected if not k.startswith(MODERATION)}
    missing = sorted(expected - set(strings))
    extra = sorted(set(strings) - set(ENGLISH))
    assert not missing and not extra, f"{path.name}: missing {missing}, not in en.yml {extra}"


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_string_is_text_with_the_same_placeholders(path):
    strings = load(path)
    for key, value in strings.items():
        assert isinstance(value, str) and value.strip(), f"{path.name}: {key} is empty or not text"
        if key in ENGLISH and isinstance(ENGLISH[key], str):
            assert placeholders(value) == placeholders(ENGLISH[key]), (
                f"{path.name}: {key} has placeholders {placeholders(value)}, "
                f"English has {placeholders(ENGLISH[key])}")


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_language_declares_its_direction(path):
    strings = load(path)
    assert strings["meta.dir"] in ("ltr", "rtl")
    assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", path.stem)


def test_the_check_fails_on_a_missing_key(tmp_path):
    """The comparison itself can fail: a file lacking one key is reported."""
    broken = dict(yaml.safe_load((STRINGS / "en.yml").read_text(encoding="utf-8")))
    broken["site"] = {k: v for k, v in broken["site"].items() if k != "draft_notice"}
    path = tmp_path / "xx.yml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(AssertionError, match="site.draft_notice"):
        test_same_keys_as_english(path)


def test_moderation_part_is_required_in_english_and_urdu():
    for lang in MODERATION_REQUIRED:
        keys = {k for k in load(STRINGS / f"{lang}.yml") if k.startswith(MODERATION)}
        assert len(keys) > 100 and keys == {k for k in ENGLISH if k.startswith(MODERATION)}, lang


def test_a_language_without_moderation_strings_is_allowed_but_urdu_is_not(tmp_path):
    english = yaml.safe_load((STRINGS / "en.yml").read_text(encoding="utf-8"))
    without = {k: v for k, v in english.items() if k != "moderation"}
    for name, ok in (("sd", True), ("ur", False)):
        path = tmp_path / f"{name}.yml"
        path.write_text(yaml.safe_dump(without, allow_unicode=True), encoding="utf-8")
        if ok:
            test_same_keys_as_english(path)
        else:
            with pytest.raises(AssertionError, match="moderation.brand"):
                test_same_keys_as_english(path)


def test_urdu_moderation_strings_use_urdu_digits_and_no_latin_words():
    """Plain Urdu: no English word left untranslated (codes such as CSV or {placeholders} aside)."""
    urdu = {k: v for k, v in load(STRINGS / "ur.yml").items() if k.startswith(MODERATION)}
    assert urdu["moderation.digits"] == "۰۱۲۳۴۵۶۷۸۹"
    for key, value in urdu.items():
        latin = re.findall(r"[A-Za-z]{2,}", re.sub(r"\{[a-z_]+\}", "", value))
        assert not latin, f"{key}: {latin}"
