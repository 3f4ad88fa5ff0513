"""Owns the one path free text takes when it leaves moderation for the public (the feed, the
district digest, an answer on a status page): CNICs and phone numbers masked (whatever digits and
separators they are written with: text.mask_numbers), e-mail addresses masked, and
the submitter's own name and contact cut out, in case a moderator published them unedited."""
from __future__ import annotations

import re

from .text import mask_numbers

EMAIL = re.compile(r"[^\s@<>()\[\]]+@[^\s@<>()\[\]]+\.[^\s@<>()\[\]]+")
CUT = "[…]"


def without_personal(text: str | None, name: str | None, contact: str | None) -> str | None:
    """`text` with the submitter's own name (whole, and each word of 3+ letters) and contact
    taken out."""
    if text is None:
        return None
    words = []
    for value in (name, contact):
        value = " ".join((value or "").split())
        if len(value) >= 3:
            words.append(value)
    words += [w for w in " ".join((name or "").split()).split(" ") if len(w) >= 3]
    for word in sorted(set(words), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", CUT, text, flags=re.IGNORECASE)
    return text


def public_text(value: str | None, name: str | None = None, contact: str | None = None) -> str | None:
    """Free text as the public may see it. Pass the submitter's `name` and `contact` whenever
    the text belongs to a submission (a question or its answer)."""
    if value is None:
        return None
    return EMAIL.sub("[…@…]", mask_numbers(without_personal(value, name, contact)))


def answer_for_submitter(value: str | None) -> str | None:
    """An answer on its status page: numbers masked (answers are masked when saved; this also
    covers any saved before the masking knew a way of writing them). The submitter's own name
    stays: the answer is addressed to them."""
    return mask_numbers(value)
