"""Fast kernels checked against plain, obviously-correct Python references."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from agensium.engine.profile.stats import sorted_values


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
