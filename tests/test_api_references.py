"""References: read aloud, typed on a keypad, typos caught, too many to guess."""
from __future__ import annotations

import math
import random

from feedback_api import references


def test_format_and_alphabet():
    for _ in range(200):
        ref = references.new_reference()
        assert len(ref) == 13 and ref[4] == ref[9] == "-"
        assert not set(ref) & set("ILOU")  # no I/1, L/1, O/0 confusion, no U
        assert references.normalise(ref) == ref


def test_every_single_wrong_symbol_is_caught():
    rng = random.Random(7)
    for _ in range(100):
        compact = references.new_reference().replace("-", "")
        for i in range(len(compact)):
            for symbol in references.ALPHABET:
                if symbol != compact[i]:
                    assert references.normalise(compact[:i] + symbol + compact[i + 1:]) is None
        rng.random()


def test_swapped_neighbours_are_almost_always_caught():
    missed = total = 0
    for _ in range(500):
        compact = references.new_reference().replace("-", "")
        for i in range(len(compact) - 1):
            if compact[i] != compact[i + 1]:
                total += 1
                swapped = compact[:i] + compact[i + 1] + compact[i] + compact[i + 2:]
                missed += references.normalise(swapped) is not None
    assert missed / total < 0.01


def test_enough_entropy_that_rate_limited_lookups_cannot_enumerate():
    bits = references.DATA_LENGTH * math.log2(len(references.ALPHABET))
    assert bits >= 50
    stored, lookups_per_day, years = 1_000_000, 300 * 24, 10   # a busy programme, a patient client
    expected_hits = stored / 2 ** bits * lookups_per_day * 365 * years
    assert expected_hits < 0.05


def test_rejects_wrong_lengths_and_foreign_symbols():
    for typed in ["", "ABCD", "ABCD-EFGH-JK", "ABCD-EFGH-JKMN", "ABCD-EFGH-JK*", None, 42, "Ü" * 11, "x" * 200]:
        assert references.normalise(typed) is None
