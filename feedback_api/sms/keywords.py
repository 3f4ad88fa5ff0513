"""Owns what a text means: keywords (components, HELP/STOP/START, language names) from
data/strings/<lang>.yml and data/sms_keywords.yml, matching them (folded by feedback_api/folding.py), and
guessing the language of a free-text message.

Two levels of matching, so that a language's own letters still tell the language: first the
text as typed, folded only in case, spacing, diacritics and digits (ڪفالت is Sindhi's own
spelling: Sindhi); then, if nothing matched, with the Arabic-script letter variants that
keyboards mix up folded together too (كفالت, typed with the Arabic kaf, finds کفالت).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import yaml

from .. import i18n
from ..folding import EDGE_PUNCTUATION, light, vary

# Letters only one of our languages uses (for guessing a message's language).
_SINDHI = set("ڪڏڄڃڇڙڱڻٻٽٿڦڳڌڊڍڀ")
_PASHTO = set("ټډړږښګڼېۍځڅ")
_PUNJABI_WORDS = {"دا", "دی", "دے", "نوں", "اے", "نئیں", "ساڈا", "ساڈی", "تہاڈا", "کیہ", "وچ", "لئی", "نال"}
_URDU_WORDS = {"کا", "کی", "کے", "ہے", "ہیں", "نہیں", "میں", "کو", "لیے", "سے", "کیا", "اور"}
_ROMAN_URDU_WORDS = {"hai", "hain", "mera", "meri", "mere", "nahi", "nahin", "kab", "kya", "kyun",
                     "paise", "paisay", "mujhe", "hum", "ap", "aap", "ki", "ka", "ke", "ko", "se",
                     "mein", "main", "raqam", "kaise", "kese", "kar", "karo", "diya", "mila", "nahe"}
_ENGLISH_WORDS = {"the", "is", "my", "i", "not", "when", "how", "what", "money", "and", "to",
                  "of", "have", "did", "please", "get", "where", "why", "can", "you", "a"}


@dataclass(frozen=True)
class Keyword:
    kind: str                        # "component", "help", "stop", "start" or "language"
    value: str                       # the component slug, command, or language code
    languages: frozenset             # the languages this word belongs to


def _data() -> dict:
    return yaml.safe_load((i18n.data_dir() / "sms_keywords.yml").read_text(encoding="utf-8"))


@functools.cache
def index() -> tuple[dict, dict]:
    """({light form: Keyword}, {heavy form: Keyword}); a word listed in several languages
    belongs to all of them. Raises ValueError if one word would mean two things."""
    data, everyone = _data(), frozenset(i18n.languages())
    words: dict[tuple[str, str], set] = {}  # (kind, value) per spelling -> languages

    def add(word: str, kind: str, value: str, langs) -> None:
        for form in {word, word.replace(" ", "")}:
            words.setdefault((light(form), kind, value), set()).update(langs)

    for lang in i18n.languages():
        for slug, name in i18n.strings(lang)["components"].items():
            if slug in i18n.components():
                add(name, "component", slug, {lang})
    for slug, spellings in data["components"].items():
        for word in spellings.get("roman", []):
            add(word, "component", slug, everyone)
    for command, by_language in data["commands"].items():
        for lang, spellings in by_language.items():
            for word in spellings:
                add(word, command, command, everyone if lang == "roman" else {lang})
    for lang, names in data["languages"].items():
        for word in names:
            add(word, "language", lang, {lang})

    light_index: dict[str, Keyword] = {}
    heavy_index: dict[str, Keyword] = {}
    for (form, kind, value), langs in words.items():
        for table, key in ((light_index, form), (heavy_index, vary(form))):
            known = table.get(key)
            if known and (known.kind, known.value) != (kind, value):
                raise ValueError(f"SMS keyword {key!r} means both {known.value} and {value}")
            merged = (known.languages if known else frozenset()) | langs
            table[key] = Keyword(kind, value, frozenset(merged))
    return light_index, heavy_index


def _match_folded(folded: str) -> Keyword | None:
    light_index, heavy_index = index()
    return light_index.get(folded) or heavy_index.get(vary(folded))


def match(text: str) -> Keyword | None:
    return _match_folded(light(text))


def words(text: str) -> list[str]:
    return light(text).split()


def mentioned_component(text: str) -> str | None:
    """The component a free-text message names (one to three words in a row), if exactly one."""
    found = set()
    tokens = words(text)
    for size in (1, 2, 3):
        for i in range(len(tokens) - size + 1):
            # The words are folded already: only the punctuation at the ends of this run
            # remains to drop, as match() would (light() of a folded text changes nothing else).
            keyword = _match_folded(" ".join(tokens[i:i + size]).strip(EDGE_PUNCTUATION))
            if keyword and keyword.kind == "component":
                found.add(keyword.value)
    return found.pop() if len(found) == 1 else None


def detect_language(text: str, fallback: str = "ur") -> str:
    """The language of a message from its letters and common words: Sindhi's and Pashto's own
    letters; Punjabi's and Urdu's own small words; English or Roman Urdu words in Latin
    script. `fallback` when nothing tells."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return fallback
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f")
    tokens = set(words(text))
    if arabic * 2 >= len(letters):
        sindhi = sum(1 for c in letters if c in _SINDHI)
        pashto = sum(1 for c in letters if c in _PASHTO)
        if sindhi or pashto:
            return "sd" if sindhi >= pashto else "ps"
        punjabi, urdu = len(tokens & _PUNJABI_WORDS), len(tokens & _URDU_WORDS)
        return "pa-Arab" if punjabi > urdu else "ur"
    english, roman = len(tokens & _ENGLISH_WORDS), len(tokens & _ROMAN_URDU_WORDS)
    if english > roman:
        return "en"
    if roman > english:
        return "ur"
    return fallback
