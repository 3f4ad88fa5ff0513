"""Owns submission references: generation, the check character, and normalising typed input.

A reference is 10 random symbols plus 1 check symbol from Crockford's base-32 alphabet
(digits and capital letters without I, L, O, U), shown as XXXX-XXXX-XXX, e.g. 7KQ2-MXR4-TZF.
- 10 symbols carry 50 bits: with a million stored references, one guess in about a
  thousand million hits one; at the default lookup limit (300 an hour per client, 7,200 a
  day) a single client expects one hit in some 400 years.
- The check symbol (Luhn mod 32) catches every single wrong symbol and most swaps of
  neighbours, so a typo reads "not valid, check it" instead of "not found".
- Typed input is forgiving: case, spaces, dashes, dots; O->0, I/L->1 (Crockford's rule);
  Urdu (Extended Arabic-Indic) and Arabic-Indic digits and full-width forms -> ASCII.
"""
from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
DATA_LENGTH = 10
LENGTH = DATA_LENGTH + 1
GROUPS = (4, 4, 3)
PATTERN = r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{3}$"
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
# NFKC folds full-width letters and digits; these two digit sets it leaves alone.
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.·/]+")


def check_symbol(data: str) -> str:
    """Luhn mod N (N = 32) over `data`, which must already be canonical."""
    factor, total = 2, 0
    for char in reversed(data):
        addend = factor * _VALUE[char]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def new_reference() -> str:
    bits = secrets.randbits(5 * DATA_LENGTH)  # one call to the OS's CSPRNG, 5 bits a symbol
    data = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(DATA_LENGTH))
    return format_reference(data + check_symbol(data))


def format_reference(compact: str) -> str:
    parts, start = [], 0
    for size in GROUPS:
        parts.append(compact[start:start + size])
        start += size
    return "-".join(parts)


def normalise(typed: object) -> str | None:
    """The canonical XXXX-XXXX-XXX form of what someone typed, or None if it cannot be one
    (wrong length, a symbol outside the alphabet, or a wrong check symbol)."""
    if not isinstance(typed, str) or len(typed) > 64:
        return None
    text = unicodedata.normalize("NFKC", typed).translate(_DIGITS).upper()
    compact = _SEPARATORS.sub("", text).translate(_CONFUSABLE)
    if len(compact) != LENGTH or any(c not in _VALUE for c in compact):
        return None
    if check_symbol(compact[:-1]) != compact[-1]:
        return None
    return format_reference(compact)
