"""Owns folding text to what a reader would call the same words: case, width, spacing,
diacritics, invisible marks and digits (`light`), then the Arabic-script letter variants that
keyboards mix up (`heavy`, with `LETTERS`: Arabic kaf and Sindhi kaf to Urdu kaf, the yeh and
heh forms...), and the duplicate-group key built on it (`group_key`). Used by the SMS keywords
(feedback_api/sms/keywords.py), moderation's duplicate groups (storage/triage.py) and the
sensitive check (sensitive.py, which adds its own disguises), and the site's search
(docs/assets/search.js, which gets `LETTERS` in each Arabic-script language's search index).
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

# Light folding: marks that change nothing a reader would call a different word.
DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640"
                        "\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Characters people write to us in: Latin, Greek, Cyrillic and Arabic letters, general
# punctuation (the joiners and bidi marks among them) and Arabic presentation forms.
_COMMON = (range(0x0800), range(0x2000, 0x2070), range(0xFB50, 0xFF00))


def translation(table: dict) -> dict:
    """`table` (as str.maketrans makes it) with every common character that it does not change
    mapped to itself: str.translate gives the same text, a few times faster. (It raises and
    clears a KeyError for each character missing from its table: most of an Urdu message,
    several tables per submission; benchmarks/submission_path.md.)"""
    full = {code: code for codes in _COMMON for code in codes}
    full.update(table)
    return full


DIGITS = translation(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789"))
_OTHER_DIGITS = re.compile("[۰-۹٠-٩]")   # most messages have none: no translate at all
EDGE_PUNCTUATION = " \t\n.,;:!?'\"()[]{}-_*#،؛؟۔٫٬"
# Heavy folding: the one table of Arabic-script letter variants, each to the Urdu letter (or
# letters) a reader takes it for. The duplicate group key, the SMS keywords, the answer-search
# terms and the sensitive check (feedback_api/sensitive.py) all fold with it, so that two
# messages one part counts as the same, the others do too. Changing a letter's target changes
# stored group keys: it needs a migration that gives the affected rows their key again.
LETTERS = {
    **dict.fromkeys("يىېۍےئۓ", "ی"),          # the yeh forms (Arabic, Pashto, Urdu bari ye)
    **dict.fromkeys("كڪ", "ک"),                # Arabic and Sindhi kaf
    **dict.fromkeys("ګڳڱ", "گ"),               # Pashto and Sindhi gaf forms
    **dict.fromkeys("هۀۂۃةھ", "ہ"),            # the heh forms, do-chashmi heh included
    **dict.fromkeys("أإآٱ", "ا"), "ؤ": "و",    # hamza and madda carriers
    "ډ": "ڈ", "ڊ": "ڈ", "ټ": "ٹ", "ٽ": "ٹ", "ړ": "ڑ", "ڙ": "ڑ", "ڼ": "ن", "ڻ": "ن", "ڃ": "ن",
    # Sindhi and Pashto letters Urdu writes with its nearest letter
    "ٻ": "ب", "ڄ": "ج", "ڏ": "د", "ږ": "ژ", "ښ": "ش", "ځ": "ز", "څ": "چ",
    # Sindhi aspirates, which Urdu writes as the letter and do-chashmi heh (folded to ہ above)
    "ڀ": "بہ", "ٺ": "ٹہ", "ٿ": "تہ", "ڌ": "دہ", "ڇ": "چہ", "ڦ": "پہ", "ڍ": "ڈہ",
    "ـ": None,                                  # tatweel, a stretch that is no letter
}
VARIANTS = translation(str.maketrans(LETTERS))
_NOT_WORD = re.compile(r"[\W_]+")


def light(text: str) -> str:
    """Case, width, spacing, diacritics, invisible marks and digits folded; punctuation at
    either end dropped."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():  # digits and marks to fold are all outside ASCII (and translate is slow)
        text = DIACRITICS.sub("", text.translate(DIGITS) if _OTHER_DIGITS.search(text) else text)
    return " ".join(text.split()).strip(EDGE_PUNCTUATION)


def vary(folded: str) -> str:
    """A light form with the letter variants folded too (heavy)."""
    return folded if folded.isascii() else folded.translate(VARIANTS)


def heavy(text: str) -> str:
    return vary(light(text))


def group_text(message: str) -> str:
    """A message as duplicate groups compare it: folded heavily, punctuation read as a space."""
    return " ".join(_NOT_WORD.sub(" ", heavy(message)).split())


def group_key(message: str) -> int:
    """The duplicate group of a message: 60 bits of the SHA-256 of `group_text` (a positive
    SQLite integer, and a row-id-shaped URL part). Two different texts share one with odds of
    about one in a million among a million groups."""
    digest = hashlib.sha256(group_text(message).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") >> 4
