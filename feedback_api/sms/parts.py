"""Owns the length of a text message: its encoding, how many parts (and so how many paid
messages) it takes, and cutting a text so that it fits a number of parts.

GSM 03.38 (the `gsm0338` codec): 160 septets in one message, 153 per part once a message is
split (the 7 others carry the header that joins the parts); the extension characters
(^ { } \\ [ ~ ] | and the euro sign) are sent as ESC + character and count two. Anything the
alphabet lacks (Urdu and the other scripts, and some Latin letters) makes the whole message
UCS-2: 70 UTF-16 units in one message, 67 per part; a character outside the BMP counts two.
A part never splits an escape pair or a surrogate pair, as phones and SMS centres do.

Every reply is counted (and cut) as it is answered, so the septets of each character come
from a table built once from the codec rather than from encoding the text one character at
a time (that was a tenth of the inbound route's time).
"""
from __future__ import annotations

import unicodedata

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)
from gsm0338.charset import BASIC_CHARACTER_SET, BASIC_CHARACTER_SET_EXTENSION

SINGLE = {"gsm7": 160, "ucs2": 70}
PER_PART = {"gsm7": 153, "ucs2": 67}
# Where a cut text says it was cut: "..." exists in GSM-7, the ellipsis character does not.
CUT_MARK = {"gsm7": "...", "ucs2": "…"}




def _septet_table() -> dict[str, int]:
    """Septets per character of GSM-7, as the codec encodes it (1, or 2 with the escape)."""
    table = {}
    for name in (*BASIC_CHARACTER_SET.values(), *BASIC_CHARACTER_SET_EXTENSION.values()):
        char = unicodedata.lookup(name)
        table[char] = len(char.encode("gsm03.38"))
    return table


SEPTETS = _septet_table()
_GSM7 = frozenset(SEPTETS)


def encoding(text: str) -> str:
    return "gsm7" if _GSM7.issuperset(text) else "ucs2"


def _weights(text: str, enc: str) -> list[int]:
    if enc == "gsm7":
        return [SEPTETS[c] for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def count(text: str) -> dict:
    """{"encoding", "units", "parts", "per_part"} for `text` as one (possibly long) message."""
    enc = encoding(text)
    weights = _weights(text, enc)
    units = sum(weights)
    if units <= SINGLE[enc]:
        return {"encoding": enc, "units": units, "parts": 1 if units else 0, "per_part": SINGLE[enc]}
    parts, used = 1, 0
    for w in weights:
        if used + w > PER_PART[enc]:
            parts, used = parts + 1, 0
        used += w
    return {"encoding": enc, "units": units, "parts": parts, "per_part": PER_PART[enc]}


def parts(text: str) -> int:
    return count(text)["parts"]


def fit(text: str, max_parts: int, tail: str = "") -> str:
    """`text` + `tail` if that fits in `max_parts`; else `text` cut at a word (with a mark that
    it was cut) so that the result, tail included, fits. The tail (a reference, a helpline)
    is never cut."""
    whole = text + tail
    if parts(whole) <= max_parts:
        return whole
    enc = encoding(whole)
    mark = CUT_MARK[enc]
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits, by bisection (parts() is monotone)
        middle = (low + high + 1) // 2
        if parts(text[:middle].rstrip() + mark + tail) <= max_parts:
            low = middle
        else:
            high = middle - 1
    head = text[:low]
    space = head.rfind(" ")
    if space > low // 2:  # cut at a word unless that throws away half the text
        head = head[:space]
    return head.rstrip() + mark + tail
