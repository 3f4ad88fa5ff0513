"""Owns making free text safe to show and to export: masking CNIC-like and phone-like numbers,
making bidi controls visible, and neutralising spreadsheet formulas (OWASP CSV injection).

Nothing here runs SQL or touches Flask's request: pure functions, tested on their own.
"""
from __future__ import annotations

import functools
import re

from markupsafe import Markup, escape

from .. import i18n

# ASCII, Extended Arabic-Indic (Urdu ۰-۹), Arabic-Indic (٠-٩) and full-width digits.
DIGIT = "0-9\u06f0-\u06f9\u0660-\u0669\uff10-\uff19"
_DIGIT_VALUE = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", "0123456789" * 3)
# A run of digits with single separators (space, dash or dot of any width, slash) between
# groups, optionally led by + or (. CNICs are 5-7-1 = 13 digits, Pakistani phone numbers 10-12
# (03xx-xxxxxxx, +92 3xx xxxxxxx), landlines 9-11. Nine digits or more is masked; dates
# (8 digits) and amounts stay readable.
_SEP = r"[ \u00a0\-\u2010-\u2015\u2212./()]"
NUMBER_RUN = re.compile(rf"(?<![{DIGIT}])[+(]?[{DIGIT}](?:{_SEP}{{0,2}}[{DIGIT}])+(?![{DIGIT}])")
MIN_MASKED_DIGITS = 9
MASK = "•"

BIDI_CONTROLS = {
    "\u202a": "U+202A", "\u202b": "U+202B", "\u202c": "U+202C", "\u202d": "U+202D",
    "\u202e": "U+202E", "\u2066": "U+2066", "\u2067": "U+2067", "\u2068": "U+2068",
    "\u2069": "U+2069", "\u200e": None, "\u200f": None, "\u061c": None,  # marks: legitimate, kept
}
_BIDI_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")

# OWASP: a cell starting with one of these is read as a formula by some spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


@functools.cache
def _official_numbers() -> frozenset[str]:
    """Digits of the programme's own numbers (data/facts.yml, once confirmed): an answer that
    tells people to call the helpline must keep its number."""
    keep = set()
    for key in ("helpline_phone", "sms_short_code"):
        value = (i18n.facts().get(key) or {}).get("value")
        if value:
            keep.add(str(value).translate(_DIGIT_VALUE))
    return frozenset("".join(c for c in k if c.isdigit()) for k in keep)


def _mask_match(match: re.Match) -> str:
    run = match.group(0)
    digits = "".join(c for c in run.translate(_DIGIT_VALUE) if c.isdigit())
    if len(digits) < MIN_MASKED_DIGITS or digits in _official_numbers():
        return run
    return re.sub(f"[{DIGIT}]", MASK, run)


_ANY_DIGIT = re.compile(f"[{DIGIT}]")


def mask_numbers(text: str | None) -> str | None:
    """CNIC-like and phone-like numbers with every digit replaced by •, separators kept."""
    if text is None:
        return None
    text = str(text)
    # Most text holds fewer digits than any masked number: one quick count spares the
    # number pattern (a tenth of the cost; exports mask every row).
    if len(_ANY_DIGIT.findall(text)) < MIN_MASKED_DIGITS:
        return text
    return NUMBER_RUN.sub(_mask_match, text)


def has_masked_number(text: str | None) -> bool:
    return text is not None and mask_numbers(text) != text


# Phone numbers and CNICs (or their masks) inside Urdu text: the bidi algorithm turns digits
# after Arabic letters into "Arabic numbers" and shows 0300-1234567 as 1234567-0300. Isolating
# each long number left-to-right shows it as written.
_NUMBERISH = re.compile(rf"[+(]?[{DIGIT}•](?:{_SEP}{{0,2}}[{DIGIT}•])+")


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
