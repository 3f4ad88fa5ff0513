"""The automatic sensitive flag on realistic messages in every language (tests/data/sensitive_messages.yml):
recall and false alarms over the whole set, and each kind of disguise on its own."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from feedback_api import sensitive

MESSAGES = yaml.safe_load((Path(__file__).parent / "data" / "sensitive_messages.yml").read_text(encoding="utf-8"))
LANGUAGES = {"en", "ur", "roman_ur", "sd", "ps", "pa", "obf"}


def test_the_message_set_is_large_mixed_and_covers_every_language():
    sensitive_set, ordinary = MESSAGES["sensitive"], MESSAGES["not_sensitive"]
    assert len(sensitive_set) + len(ordinary) >= 60
    assert 0.35 <= len(sensitive_set) / (len(sensitive_set) + len(ordinary)) <= 0.65
    for group in (sensitive_set, ordinary):
        assert {lang for lang, _ in group} >= LANGUAGES - {"obf"}
    assert {lang for lang, _ in sensitive_set} == LANGUAGES
    messages = [m for _, m in sensitive_set + ordinary]
    assert len(messages) == len(set(messages))


def test_recall_is_at_least_90_percent_and_false_alarms_at_most_10_percent():
    missed = [(lang, m) for lang, m in MESSAGES["sensitive"] if not sensitive.is_sensitive(m)]
    false_alarms = [(lang, m, sensitive.categories(m)) for lang, m in MESSAGES["not_sensitive"]
                    if sensitive.is_sensitive(m)]
    recall = 1 - len(missed) / len(MESSAGES["sensitive"])
    false_alarm_rate = len(false_alarms) / len(MESSAGES["not_sensitive"])
    assert recall >= 0.90, f"recall {recall:.0%}; missed: {missed}"
    assert false_alarm_rate <= 0.10, f"false alarms {false_alarm_rate:.0%}: {false_alarms}"


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_each_language_is_caught_on_its_own(language):
    """One language failing entirely would hide behind a good overall figure."""
    group = [m for lang, m in MESSAGES["sensitive"] if lang == language]
    caught = sum(sensitive.is_sensitive(m) for m in group)
    assert caught / len(group) >= 0.8, [m for m in group if not sensitive.is_sensitive(m)]


@pytest.mark.parametrize("plain, disguised", [
    ("fraud", "f r a u d"),                       # spelt out
    ("fraud", "f.r.a.u.d"),
    ("fraud", "fr4ud"),                           # digits for letters
    ("bribe", "br1be"),
    ("scam", "$cam"),
    ("fraud", "fraaaaud"),                        # repeated letters
    ("harassment", "harrasssment"),
    ("fraud", "FRAUD"),
    ("fraud", "ｆｒａｕｄ"),                       # full-width
    ("fraud", "frаud"),                           # Cyrillic а
    ("fraud", "fráud"),                           # accent
    ("rishwat", "rish wat"),                      # split in two
    ("رشوت", "ر ش و ت"),
    ("رشوت", "رشـــوت"),                           # tatweel
    ("رشوت", "رِشوَت"),                              # vowel marks
    ("رشوت", "رشوت\u200c"),                       # zero-width non-joiner
    ("کٹوتی", "كٹوتي"),                           # Arabic kaf and yeh
    ("دھمکی", "ڌمڪي"),                            # Sindhi letters
])
def test_simple_disguises_are_seen_through(plain, disguised):
    assert sensitive.is_sensitive(f"agent ne {plain} kiya") and sensitive.is_sensitive(f"agent ne {disguised} kiya")


@pytest.mark.parametrize("message", [
    "The retailer kept 1000 rupees",
    "The retailer kept Rs. 1,000",
    "retailer ne ۱۰۰۰ rupay rakh liye",
    "ریٹیلر نے ایک ہزار روپے رکھ لیے",
    "they take 10% from every woman",
])
def test_a_sum_near_a_verb_of_taking_is_a_deduction(message):
    assert "deduction" in sensitive.categories(message)


@pytest.mark.parametrize("message", [
    "I took 9000 rupees from the retailer, thank you",    # collecting one's own money
    "maine retailer se 9000 rupay le liye",
    "میں نے ریٹیلر سے 12000 روپے لے لیے",
    "My income is less than 30000 rupees",                 # eligibility, not a shortfall
    "Ghar ki aamdani 25000 se kam hai",
    "کم از کم 1000 روپے",
    "I like grapes and therapeutic care",                  # "rape", "therapist" inside words
    "Please choose the Kafalat form",                      # "choo" is not "chhoo" (touch)
    "Does the Higher Education Commission give the scholarship?",
])
def test_ordinary_messages_that_look_close_are_not_flagged(message):
    assert sensitive.categories(message) == []



# ---------------------------------------------------------------- one letter table

def _arabic_letters() -> list[str]:
    """Every Arabic-script letter of the Arabic and Arabic Supplement blocks."""
    import unicodedata
    return [chr(c) for c in (*range(0x0620, 0x06FF + 1), *range(0x0750, 0x077F + 1))
            if unicodedata.category(chr(c)) == "Lo"]


def test_the_sensitive_check_and_the_duplicate_group_key_fold_the_same_letters():
    """Two spellings one counts as the same word, the other does too (folding.LETTERS): a
    Sindhi ٺڳي matches the Urdu ٹھگی in both, and no letter is folded by one alone."""
    from feedback_api import folding

    # Each letter between two others, twice (a letter written twice is read once by the
    # sensitive check: ممل is مل, so one context alone would pair م with ل).
    def as_sensitive(letter):
        return sensitive.fold(f"م{letter}ل"), sensitive.fold(f"ب{letter}ر")

    def as_group(letter):
        return folding.group_text(f"م{letter}ل"), folding.group_text(f"ب{letter}ر")

    letters = _arabic_letters()
    same_for_sensitive = {(a, b) for a in letters for b in letters if as_sensitive(a) == as_sensitive(b)}
    same_for_groups = {(a, b) for a in letters for b in letters if as_group(a) == as_group(b)}
    assert same_for_sensitive == same_for_groups
    for variant, target in (("ه", "ہ"), ("ڱ", "گ"), ("ٺ", "ٹھ"), ("ڪ", "ک"), ("ي", "ی")):
        assert as_sensitive(variant)[0] == sensitive.fold(f"م{target}ل")
        assert folding.group_key(f"م{variant}ل") == folding.group_key(f"م{target}ل")
