"""Owns how numbers are read from URLs and forms: a row id is 1 to 19 ASCII digits within
SQLite's integer range, and any other whole number is read only within the bounds its caller
gives. Anything else (20 digits, 5,000 digits, '²', Devanagari digits) is "not found" or the
caller's default, never a 500 from SQLite's OverflowError or Python's 4,300-digit limit."""
from __future__ import annotations

import re

from werkzeug.routing import IntegerConverter, ValidationError

SQLITE_MAX_INTEGER = 2**63 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class RowIdConverter(IntegerConverter):
    """Replaces werkzeug's `int` for the whole app, so every `<int:...>` (those of tomorrow
    too) is a row id: werkzeug's own accepts any length and any Unicode digit."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > SQLITE_MAX_INTEGER:
            raise ValidationError()
        return number


def whole_number(raw, low: int, high: int, default: int | None = None) -> int | None:
    """`raw` (a query or form value) as an int within low..high, else `default`."""
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return default
    number = int(raw)
    return number if low <= number <= high else default


def row_ids(values, limit: int) -> list[int]:
    """Form values that are row ids (others dropped), at most `limit` of them."""
    ids = [whole_number(v, 1, SQLITE_MAX_INTEGER) for v in values]
    return [i for i in ids if i is not None][:limit]


def init_app(app) -> None:
    """Before any blueprint is registered: rules pick their converter when they are added."""
    app.url_map.converters["int"] = RowIdConverter
