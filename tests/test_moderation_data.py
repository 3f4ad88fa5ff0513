"""The moderators' data files: topic codes (IFRC-style types x topics) and template replies per
language, which must match English's keys and state no programme facts of their own."""
from __future__ import annotations

import re

import yaml

from feedback_api import i18n
from feedback_api.moderation import coding


def test_topic_codes_have_the_six_ifrc_feedback_types():
    table = yaml.safe_load((i18n.data_dir() / "topic_codes.yml").read_text(encoding="utf-8"))
    assert list(table["types"].values()) == ["Question", "Complaint", "Rumour or misinformation",
                                             "Suggestion", "Appreciation", "Request for help"]
    codes = coding.topic_codes()
    assert len(codes) == len(table["types"]) * len(table["topics"])
    assert all(re.fullmatch(r"[A-Z]{3}-[A-Z]+", code) for code in codes)


def test_answer_templates_match_english_and_state_no_facts():
    english = yaml.safe_load(((i18n.data_dir() / "answer_templates") / "en.yml").read_text(encoding="utf-8"))
    files = sorted((i18n.data_dir() / "answer_templates").glob("*.yml"))
    assert {"en.yml", "ur.yml"} <= {f.name for f in files}
    for path in files:
        assert path.stem in i18n.languages(), f"{path.name}: not a site language"
        table = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(table) <= set(english), f"{path.name}: keys English lacks: {set(table) - set(english)}"
        for key, item in table.items():
            assert set(item) == {"label", "body"}, (path.name, key)
            body = item["body"]
            assert "{reference}" in body or "{" not in body, (path.name, key)
            # amounts, dates and phone numbers come from data/facts.yml, checked by a person
            assert not re.search(r"[0-9۰-۹]", body), (path.name, key, "a number in a template")


def test_every_language_gets_a_full_set_of_templates():
    for lang in i18n.languages():
        templates = coding.answer_templates(lang)
        assert set(templates) == set(coding.answer_templates("en")), lang
        filled = coding.fill_template(lang, "received", "7KQ2-MXR4-TZF")
        assert "7KQ2-MXR4-TZF" in filled and "{reference}" not in filled
