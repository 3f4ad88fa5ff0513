"""Owns the first, automatic sensitivity flag: folding a message the way people disguise or vary
their writing, then the terms and near-rules of data/sensitive_keywords.yml (its header says how)."""
from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata

import yaml

from . import folding, i18n

# Letters that vary by keyboard or language: folding.LETTERS, the table the duplicate group key
# uses too; then the Cyrillic and Greek look-alikes of Latin letters that disguise a word.
_LETTERS = folding.translation(str.maketrans({
    **folding.LETTERS,
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x",
}))
# Digits and signs written for letters inside a word (fr4ud, $cam, r1shwat).
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "l", "€": "e"})
_LATIN_VOWELS = "aeiouy"


@functools.cache
def _marks_and_digits() -> dict:
    """translate() table: accents, Arabic vowel marks, hamza above (NFKD splits them off) and
    invisible format characters (zero-width joiners, bidi controls, soft hyphens) dropped;
    every script's digits read as 0-9."""
    table = {}
    for code in itertools.chain(range(0x30000), range(0xE0000, 0xE1000)):
        char = chr(code)
        category = unicodedata.category(char)
        if category in ("Mn", "Cf"):
            table[code] = None
        elif category == "Nd" and not char.isascii():
            table[code] = str(unicodedata.digit(char))
    return folding.translation(table)


def _fold_token(token: str) -> str:
    """A piece with digits or signs in it: among letters they read as letters (fr4ud); a number
    run together with a word is split from it (rs1000, 10k)."""
    if not any(c.isalpha() for c in token):
        return token
    if re.search(r"\d\d", token):
        return re.sub(r"(?<=\d)(?=[^\W\d])|(?<=[^\W\d])(?=\d)", " ", token)
    return token.translate(_LEET)


def _collapse_run(match: re.Match) -> str:
    """A doubled consonant or any letter three or more times is made single (fraaaud, harrass);
    a doubled Latin vowel stays: it tells "kaam" (work) from "kam" (less)."""
    letter, run = match.group(1), match.group(0)
    return run if len(run) == 2 and letter in _LATIN_VOWELS else letter


_RUN = re.compile(r"([^\W\d_])\1+")
_SPELT_OUT = re.compile(r"(?<!\S)(?:[^\W\d_] ){2,}[^\W\d_](?!\S)")


def fold(text: str) -> str:
    """The text as matching sees it: words of lower-case letters and digits, one space apart."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_LETTERS)
    text = unicodedata.normalize("NFKD", text).translate(_marks_and_digits())
    text = unicodedata.normalize("NFC", text).translate(_LETTERS)
    text = re.sub(r"(?<=\d)[,.،٬'](?=\d{3})", "", text)       # 1,000 and 1.000 are 1000
    text = text.replace("%", " percent ").replace("٪", " percent ")
    text = re.sub(r"\S*[\d@$!|€]\S*", lambda m: _fold_token(m.group()), text)
    text = _RUN.sub(_collapse_run, " ".join(re.sub(r"[\W_]+", " ", text).split()))
    # Letters written one by one (f r a u d, ر ش و ت): three or more in a row are one word.
    return _SPELT_OUT.sub(lambda m: _RUN.sub(_collapse_run, m.group().replace(" ", "")), text)


# ---------------------------------------------------------------- the data, indexed once

@functools.cache
def _rules() -> dict:
    """The YAML, folded like a message and indexed by each term's first three characters (or the
    whole term when shorter): matching is then two dictionary look-ups per word (a regex alternation of hundreds of terms was ~30 times
    slower than the old four-list matcher on the busiest route)."""
    table = yaml.safe_load((i18n.data_dir() / "sensitive_keywords.yml").read_text(encoding="utf-8"))
    index: dict[str, list[tuple[str, bool, str]]] = {}
    for kind in ("terms", "words"):
        for group, by_language in table[kind].items():
            for term in (str(t) for ts in by_language.values() for t in ts):
                folded = fold(term.rstrip("="))
                if folded:
                    index.setdefault(folded[:3], []).append((folded, term.endswith("="), group))
    ignore = sorted({fold(str(t)) for ts in table["ignore"].values() for t in ts}, key=len, reverse=True)
    # A sum of money: a number of 3 or more digits, a word for thousand with or without a
    # number before it ("10k", "do hazar", "دو ہزار"), or a number of hundreds ("panch sau").
    words = {kind: "|".join(sorted({re.escape(fold(str(w))) for w in table["numbers"][kind]}, key=len, reverse=True))
             for kind in ("small", "hundred", "thousand")}
    number = re.compile(rf"(?<!\w)(?:\d{{3,}}|\d+ k|(?:(?:\d+|{words['small']}) )?(?:{words['thousand']})"
                        rf"|(?:\d+|{words['small']}) (?:{words['hundred']}))(?!\w)")
    return {"index": index, "categories": tuple(table["terms"]), "near": table["near"], "number": number,
            "ignore": re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, ignore)) + r")(?!\w)")}


def _scan(text: str, index: dict) -> dict[str, list[int]]:
    """group -> the indexes of the words where one of its terms starts."""
    found: dict[str, list[int]] = {}
    offset = 0
    for position, word in enumerate(text.split(" ")):
        for key in (text[offset:offset + 2], text[offset:offset + 3]):
            for term, whole, group in index.get(key, ()):
                if text.startswith(term, offset):
                    end = offset + len(term)
                    if not whole or end == len(text) or text[end] == " ":
                        found.setdefault(group, []).append(position)
        offset += len(word) + 1
    return found


def _split_words(text: str, index: dict, categories: tuple) -> set[str]:
    """Categories whose term is a word split in two ("fra ud", "rish wat"). It counts only when
    the term spans the split and the pair is the term itself or it with a short ending (so
    "to uch" + more is not "touch")."""
    words = text.split(" ")
    found = set()
    for first, second in zip(words, words[1:]):
        if len(first) > 3 and len(second) > 3:   # a word split in two leaves a short piece
            continue
        pair = first + second
        for key in (pair[:2], pair[:3]):
            for term, _whole, group in index.get(key, ()):
                if group in categories and len(first) < len(term) <= len(pair) <= len(term) + 2 \
                        and pair.startswith(term):
                    found.add(group)
    return found


def _near(rule: dict, positions: dict[str, list[int]]) -> bool:
    """Whether one word of each group of the rule falls within `window` words of the others
    (and no word of its `unless` group is that close)."""
    found = [positions.get(name, []) for name in rule["all"]]
    if not all(found):
        return False
    unless = positions.get(rule.get("unless"), [])
    window = rule["window"]

    def any_in(group: list[int], low: int, high: int) -> bool:
        i = bisect.bisect_left(group, low)
        return i < len(group) and group[i] <= high

    for low in sorted({p for group in found for p in group}):
        if all(any_in(group, low, low + window) for group in found) and \
                not any_in(unless, low - window, low + window):
            return True
    return False


def categories(message: str) -> list[str]:
    """The sensitive categories found in `message` (empty: none)."""
    rules = _rules()
    text = fold(message)
    if not text:
        return []
    in_text = _scan(text, rules["index"])
    found = {c for c in rules["categories"] if c in in_text}
    if len(found) < len(rules["categories"]):
        found |= _split_words(text, rules["index"], rules["categories"])
    # Near-rules do not read the phrases that only look like them ("kam az kam", "ke liye").
    starts = [m.start() for m in re.finditer(r"\S+", text)]
    ignored = set()
    for m in rules["ignore"].finditer(text):
        first = bisect.bisect_right(starts, m.start()) - 1
        ignored.update(range(first, first + m.group().count(" ") + 1))
    positions = {group: sorted(p for p in found_at if p not in ignored) for group, found_at in in_text.items()}
    positions["number"] = [i for i in (bisect.bisect_right(starts, m.start()) - 1 for m in rules["number"].finditer(text))
                           if i not in ignored]
    positions["money"] = sorted(set(positions.get("money", []) + positions["number"]))
    for rule in rules["near"]:
        if rule["category"] not in found and _near(rule, positions):
            found.add(rule["category"])
    return sorted(found)


def is_sensitive(message: str) -> bool:
    return bool(categories(message))
