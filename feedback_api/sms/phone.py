"""Owns phone numbers: one canonical form (+92... for Pakistan), telling a Pakistani mobile
number, and the keyed hash that stands in for a number in rate limits and per-number state.

About that hash, truthfully: it is HMAC-SHA256 under the service's secret key. Without the
key it says nothing about the number. With the key it does not protect the number at all:
Pakistan's mobile numbers are some 10^9 (+92 3xx xxxxxxx), and trying every one takes a
computer minutes. So it is personal data like the number, kept only as long as it serves
(retention clears it), and the key must be guarded like the database.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_SEPARATORS = re.compile(r"[\s\-().\u2010-\u2015]")
PK_MOBILE = re.compile(r"^\+923\d{9}$")


def canonical(number: object) -> str | None:
    """+<country><number> for anything that looks like a phone number (Pakistani forms 03xx...,
    923xx..., 00923xx... become +923xx...), a short code's digits as they are; None if it is
    not a number (letters, too short or long)."""
    if not isinstance(number, str) or len(number) > 40:
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", number).translate(_DIGITS))
    if text.startswith("00") and len(text) > 5:  # 00 is the international prefix
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?\d{3,15}", text):
        return None
    if text.startswith("+"):
        return text
    if re.fullmatch(r"03\d{9}", text):
        return "+92" + text[1:]
    if re.fullmatch(r"923\d{9}", text):
        return "+" + text
    return text  # a short code or a number without its country: kept as sent


def pakistani_mobile(number: object) -> str | None:
    """The +923xxxxxxxxx form of a Pakistani mobile number (03xx..., +923xx...), else None."""
    value = canonical(number)
    return value if value and PK_MOBILE.match(value) else None


def number_hash(secret_key: str, number: str) -> str:
    return hmac.new(secret_key.encode("utf-8"), b"phone:" + number.encode("utf-8"),
                    hashlib.sha256).hexdigest()[:32]
