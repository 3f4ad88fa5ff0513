"""Owns making free text safe to show and to export: masking CNIC-like and phone-like numbers,
making bidi controls visible, and neutralising spreadsheet formulas (OWASP CSV injection).

Nothing here runs SQL or touches Flask's request: pure functions, tested on their own.
"""
from __future__ import annotations

import functools
import re
import unicodedata

from markupsafe import Markup, escape

from . import i18n

# Digits: any Unicode decimal digit (category Nd: ASCII, Urdu ۰-۹, Arabic-Indic, Devanagari,
# Bengali, full-width, ...); Python's \d on text is exactly that set.
# Separators people put inside a number: spaces of any width, dashes of any width, underscore,
# comma (Latin and Arabic), colon, asterisk, dot (and the Urdu full stop), slash, brackets; up to four in a row
# ("0300 - 1234567"), so that one run can hold several groups.
_SEP_CHARS = (" \t\u00a0\u2000-\u200a\u202f\u3000\\-\u2010-\u2015\u2212\ufe63\uff0d_\uff3f"
              ",\u060c\u066b\u066c\uff0c:\uff1a*\uff0a.\uff0e\u06d4\u0640/\uff0f\\\\()\uff08\uff09\\[\\]")
_SEP = f"[{_SEP_CHARS}]"
NUMBER_RUN = re.compile(rf"(?<!\d)[+\uff0b]?\(?\d+(?:{_SEP}{{1,4}}\d+)*")
_GROUP = re.compile(r"\d+")
MASK = "•"
# What a number is, on its digits alone (separators and digit set already removed):
# a CNIC has 13 digits (written 5-7-1); a Pakistani mobile number is 3xx xxxxxxx after
# 0, 92 or 0092; a landline is an area code of 2-5 digits and 5-8 digits after 0, 92 or 0092;
# anything written in international form (+ or 00 first) with 9-15 digits is a phone number.
_CNIC = re.compile(r"\d{13}")
_PK_PHONE = re.compile(r"(?:0092|92|0)?3\d{9}|(?:0092|92|0)[1-9]\d{8,9}")
_INTERNATIONAL = re.compile(r"\d{9,15}")
# One group of this many digits or more, written without separators, is masked whatever it
# is (an account, a card, an unusual ID): dates (8 digits) and amounts stay readable.
LONG_GROUP = 9
# The fewest digits of anything masked: LONG_GROUP, and an international number's 9 (a CNIC has
# 13, a Pakistani number 10 or more). A text with fewer is left as it is without being read run
# by run: most messages (an amount, a date), at a few microseconds instead of tens.
FEWEST_MASKED_DIGITS = min(LONG_GROUP, 9)
_DIGIT = re.compile(r"\d")

BIDI_CONTROLS = {
    "\u202a": "U+202A", "\u202b": "U+202B", "\u202c": "U+202C", "\u202d": "U+202D",
    "\u202e": "U+202E", "\u2066": "U+2066", "\u2067": "U+2067", "\u2068": "U+2068",
    "\u2069": "U+2069", "\u200e": None, "\u200f": None, "\u061c": None,  # marks: legitimate, kept
}
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")

# OWASP: a cell starting with one of these is read as a formula by some spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def ascii_digits(text: str) -> str:
    """The digits of `text`, each as its ASCII value, whatever digit set it was written in."""
    return "".join(str(unicodedata.decimal(c)) for c in text if c.isdecimal())


@functools.cache
def _official_numbers() -> frozenset[str]:
    """Digits of the programme's own numbers (data/facts.yml, once confirmed): an answer that
    tells people to call the helpline must keep its number."""
    keep = set()
    for key in ("helpline_phone", "sms_short_code"):
        value = (i18n.facts().get(key) or {}).get("value")
        if value:
            keep.add(ascii_digits(str(value)))
    return frozenset(k for k in keep if k)


_THOUSANDS = re.compile(r"\d{1,3}(?:[,\u066c\uff0c]\d{2,3})*[,\u066c\uff0c]\d{3}")


def _personal(run: str, groups: list[tuple[int, int, str]], international: bool) -> bool:
    """Whether these consecutive groups of one run make a CNIC or a phone number."""
    digits = "".join(g[2] for g in groups)
    if digits in _official_numbers():
        return False
    if len(groups) == 1:
        return len(digits) >= LONG_GROUP or bool(_CNIC.fullmatch(digits) or _PK_PHONE.fullmatch(digits))
    sizes = [len(g[2]) for g in groups]
    if max(sizes) < 3 and min(sizes) > 1:
        return False  # 05-12 10:30:45: a date and a time, not a number split in pairs
    if _THOUSANDS.fullmatch(run[groups[0][0]:groups[-1][1]]):
        return False  # 3,000,000,000 or 3,00,00,00,000: an amount
    return bool(_CNIC.fullmatch(digits) or _PK_PHONE.fullmatch(digits)
                or (international and _INTERNATIONAL.fullmatch(digits)))


def _mask_run(match: re.Match) -> str:
    """Mask the groups of one run that together make a CNIC or phone number (longest first:
    "0300 1234567 and 0301 7654321" is two numbers, "on 12/05/2024 at 10:30" is none)."""
    run = match.group(0)
    groups = [(g.start(), g.end(), ascii_digits(g.group(0))) for g in _GROUP.finditer(run)]
    masked = [False] * len(groups)
    i = 0
    while i < len(groups):
        for j in range(len(groups) - 1, i - 1, -1):
            international = i == 0 and (run[:1] in "+\uff0b" or groups[0][2].startswith("00"))
            if _personal(run, groups[i:j + 1], international):
                masked[i:j + 1] = [True] * (j + 1 - i)
                i = j
                break
        i += 1
    if not any(masked):
        return run
    chars = list(run)
    for (start, end, _digits), hide in zip(groups, masked):
        if hide:
            chars[start:end] = MASK * (end - start)
    return "".join(chars)


def mask_numbers(text: str | None) -> str | None:
    """CNICs and phone numbers, in any digit set and with any separators, with every digit
    replaced by •, separators kept."""
    if text is None:
        return None
    text = str(text)
    if len(_DIGIT.findall(text)) < FEWEST_MASKED_DIGITS:
        return text
    return NUMBER_RUN.sub(_mask_run, text)


def has_masked_number(text: str | None) -> bool:
    return text is not None and mask_numbers(text) != text


# Phone numbers and CNICs (or their masks) inside Urdu text: the bidi algorithm turns digits
# after Arabic letters into "Arabic numbers" and shows 0300-1234567 as 1234567-0300. Isolating
# each long number left-to-right shows it as written.
_NUMBERISH = re.compile(rf"[+(]?[\d•](?:{_SEP}{{0,4}}[\d•])+")


def _numbers_ltr(segment: str) -> Markup:
    parts, last = [], 0
    for match in _NUMBERISH.finditer(segment):
        if sum(c.isdigit() or c == MASK for c in match.group(0)) < 7:
            continue
        parts.append(escape(segment[last:match.start()]))
        parts.append(Markup('<bdi dir="ltr">{}</bdi>').format(match.group(0)))
        last = match.end()
    parts.append(escape(segment[last:]))
    return Markup("").join(parts)


def show_text(text: str | None) -> Markup:
    """HTML for untrusted text: escaped, each bidi embedding/override/isolate shown as a
    visible ⟨U+202E⟩ marker (and removed, so it cannot reorder anything), long numbers
    isolated left-to-right; the template wraps it in an element with dir="auto"."""
    if text is None:
        return Markup("")
    text = str(text)
    parts = []
    last = 0
    for match in _BIDI_RE.finditer(text):
        parts.append(_numbers_ltr(text[last:match.start()]))
        parts.append(Markup('<span class="bidi-mark" title="invisible direction control">⟨{}⟩</span>')
                     .format(BIDI_CONTROLS[match.group(0)]))
        last = match.end()
    parts.append(_numbers_ltr(text[last:]))
    return Markup("").join(parts)


def without_bidi(text: str | None) -> str | None:
    """For places that cannot show markers (a textarea, an option): the controls removed."""
    return None if text is None else _BIDI_RE.sub("", str(text))


def bidi_controls(text: str | None) -> list[str]:
    return sorted({BIDI_CONTROLS[c] for c in _BIDI_RE.findall(text or "")})


def neutral_cell(value) -> str:
    """One CSV cell per OWASP: text that a spreadsheet would run as a formula gets a leading '
    (the writer quotes every cell). None is an empty cell."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text
