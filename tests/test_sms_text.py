"""Message length (GSM-7 and UCS-2 parts), keywords and their normalising, guessing a
message's language, and phone numbers."""
from __future__ import annotations

import pytest

from feedback_api import i18n
from feedback_api.sms import keywords, parts, phone, replies


@pytest.mark.parametrize("text, encoding, count", [
    ("a" * 160, "gsm7", 1), ("a" * 161, "gsm7", 2), ("a" * 306, "gsm7", 2), ("a" * 307, "gsm7", 3),
    ("{" * 80, "gsm7", 1), ("{" * 81, "gsm7", 2),          # an escape character counts two
    ("€" * 80, "gsm7", 1), ("a" * 152 + "[" + "a" * 20, "gsm7", 2),
    ("ہ" * 70, "ucs2", 1), ("ہ" * 71, "ucs2", 2), ("ہ" * 134, "ucs2", 2), ("ہ" * 135, "ucs2", 3),
    ("a" * 69 + "ç", "ucs2", 1),                            # ç is not in GSM-7 (Ç is)
    ("😀" * 35, "ucs2", 1), ("😀" * 36, "ucs2", 2),          # outside the BMP: two units each
    ("", "gsm7", 0),
])
def test_parts_are_counted_as_phones_count_them(text, encoding, count):
    info = parts.count(text)
    assert (info["encoding"], info["parts"]) == (encoding, count)


def test_the_septet_table_agrees_with_the_gsm_codec_for_every_character():
    # parts.py counts from a table built once; the codec is the reference for every character.
    for code in (*range(0xD800), *range(0xE000, 0x10000), 0x1F600, 0x10FFFF):
        char = chr(code)
        try:
            septets = len(char.encode("gsm03.38"))
        except UnicodeEncodeError:
            septets = None
        assert parts.SEPTETS.get(char) == septets, hex(code)
        assert parts.encoding(char) == ("ucs2" if septets is None else "gsm7"), hex(code)


def test_an_escape_pair_is_never_split_across_parts():
    # 152 plain + "{" (2 septets) would be 154 > 153: the "{" starts part two.
    assert parts.count("a" * 152 + "{" + "a" * 160)["parts"] == 3
    assert parts.count("a" * 151 + "{" + "a" * 151)["parts"] == 2


def test_fit_cuts_at_a_word_and_keeps_the_tail_whole():
    tail = " Full answer: https://example.org/x"
    cut = parts.fit("word " * 200, 3, tail)
    assert parts.parts(cut) == 3 and cut.endswith("..." + tail) and " wor..." not in cut
    assert parts.fit("short", 1, " tail") == "short tail"
    urdu = parts.fit("لفظ " * 200, 2)
    assert parts.parts(urdu) == 2 and urdu.endswith("…")


def test_every_summary_reply_fits_two_parts_in_every_language():
    for lang in i18n.languages():
        for slug in i18n.components():
            assert parts.parts(replies.component(lang, slug)) <= 2, (lang, slug)
            assert "{{" not in replies.component(lang, slug)   # a page's summary is plain text
            assert replies.summary(lang, slug) in replies.component(lang, slug) or \
                parts.parts(replies.summary(lang, slug) + " " + replies.helpline(lang)) > 2


@pytest.mark.parametrize("typed, kind, value", [
    ("KAFALAT", "component", "kafalat"), ("  Kafalat! ", "component", "kafalat"),
    ("کفالت", "component", "kafalat"), ("ڪفالت", "component", "kafalat"), ("كفالت", "component", "kafalat"),
    ("کفالَت", "component", "kafalat"),           # a diacritic
    ("آمدن", "component", "amdan"), ("امدن", "component", "amdan"),
    ("لنګر", "component", "langar"), ("emergency cash", "component", "emergency-cash"),
    ("EmergencyCash", "component", "emergency-cash"),
    ("help", "help", "help"), ("مدد", "help", "help"), ("مرسته", "help", "help"),
    ("STOP", "stop", "stop"), ("بند", "stop", "stop"), ("start", "start", "start"), ("شروع", "start", "start"),
    ("اردو", "language", "ur"), ("سنڌي", "language", "sd"), ("پښتو", "language", "ps"),
    ("پنجابی", "language", "pa-Arab"), ("پنجابي", "language", "pa-Arab"), ("ENGLISH", "language", "en"),
])
def test_keywords_match_after_normalising(typed, kind, value):
    found = keywords.match(typed)
    assert found is not None and (found.kind, found.value) == (kind, value)


def test_a_word_belongs_to_its_languages():
    assert keywords.match("ڪفالت").languages == {"sd"}
    assert keywords.match("کفالت").languages == {"ur", "ps", "pa-Arab"}
    assert keywords.match("لنګر").languages == {"ps"}
    assert keywords.match("KAFALAT").languages == set(i18n.languages())   # Roman: everyone's
    assert keywords.match("help").languages == {"en"}
    assert keywords.match("hello") is None and keywords.match("") is None


def test_every_component_has_a_keyword_in_every_language():
    for lang in i18n.languages():
        for slug in i18n.components():
            found = keywords.match(i18n.t(lang, f"components.{slug}"))
            assert found and found.value == slug and lang in found.languages, (lang, slug)


@pytest.mark.parametrize("message, lang", [
    ("میرے پیسے کب آئیں گے؟ مجھے بتائیں", "ur"), ("mera paisa kab aye ga mujhe batao", "ur"),
    ("when will my money come", "en"), ("منهنجا پئسا ڪڏهن ايندا", "sd"),
    ("زما پیسې کله راځي", "ps"), ("میرے پیسے کدوں آن گے، مینوں دسو کیہ اے", "pa-Arab"),
])
def test_a_message_language_is_guessed_from_letters_and_words(message, lang):
    assert keywords.detect_language(message) == lang


@pytest.mark.parametrize("typed, canonical, mobile", [
    ("03001234567", "+923001234567", True), ("+92 300 1234567", "+923001234567", True),
    ("923001234567", "+923001234567", True), ("00923001234567", "+923001234567", True),
    ("۰۳۰۰۱۲۳۴۵۶۷", "+923001234567", True), ("0300-1234567", "+923001234567", True),
    ("0213456789", "0213456789", False), ("8877", "8877", False), ("+447700900123", "+447700900123", False),
    ("abc", None, False), ("", None, False), (None, None, False), ("1" * 16, None, False),
])
def test_phone_numbers(typed, canonical, mobile):
    assert phone.canonical(typed) == canonical
    assert bool(phone.pakistani_mobile(typed)) == mobile


def test_the_number_hash_is_keyed():
    assert phone.number_hash("k1", "+923001234567") != phone.number_hash("k2", "+923001234567")
    assert phone.number_hash("k1", "+923001234567") == phone.number_hash("k1", "+923001234567")


def test_every_language_has_the_sms_replies_and_a_review_entry():
    """The public's replies exist in all five languages; each translation has its entry in the
    one record of reviews (data/translation_review.yml), a draft until a reader checks it."""
    english = set(i18n.strings("en")["sms"])
    for lang in i18n.languages():
        if lang == "en":
            continue
        assert set(i18n.strings(lang)["sms"]) == english, lang
        assert i18n.review_record()[lang]["sms"]["status"] in ("draft", "reviewed"), lang
