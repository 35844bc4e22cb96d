"""Fast kernels checked against plain, obviously-correct Python references."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import polars as pl

from agensium.engine.profile.stats import sorted_values
from agensium.engine.semantics import phone_candidate

_SHAPE = re.compile(r"\s*(?:\+|00)?[\d\s().\-/]{7,24}")


def _phone_reference(text: str | None) -> bool | None:
    if text is None:
        return None
    digits = sum(ch.isdecimal() for ch in text)
    return _SHAPE.fullmatch(text) is not None and 7 <= digits <= 15


def test_phone_candidate_matches_a_digit_counting_reference() -> None:
    rng = random.Random(7)
    alphabet = "0123456789" * 3 + " +()-./\nxA٣"  # includes an Arabic-Indic digit and a newline
    values: list[str | None] = [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 26))) for _ in range(20_000)
    ]
    values += [None, "", "+44 20 7946 0958", "0044 (20) 7946-0958", "123456", "1234567", "1" * 15, "1" * 16]
    got = pl.select(phone_candidate(pl.Series("v", values, dtype=pl.String))).to_series().to_list()
    expected = [_phone_reference(v) for v in values]
    assert got == expected
    assert sum(bool(x) for x in expected) > 100  # the sample really exercises both outcomes


def test_sorted_values_drops_nulls_and_nan_and_keeps_infinities() -> None:
    s = pl.Series("x", [3.5, None, float("nan"), -math.inf, 1.0, math.inf, None, -2.0])
    out = sorted_values(s)
    assert out.tolist() == [-math.inf, -2.0, 1.0, 3.5, math.inf]
    ints = pl.Series("i", [5, None, -1, 3], dtype=pl.Int64)
    out_i = sorted_values(ints)
    assert out_i.dtype.kind == "i" and out_i.tolist() == [-1, 3, 5]
    assert sorted_values(pl.Series("e", [None, None], dtype=pl.Float64)).size == 0
    big = np.random.default_rng(1).normal(size=10_000)
    assert np.array_equal(sorted_values(pl.Series("b", big)), np.sort(big))
