from __future__ import annotations

from itertools import combinations

import polars as pl

from agensium.engine.master.er.blocking import _pairs_from_key, _pairs_sorted_neighbourhood, refine


def _brute(keys: list, cap: int) -> set[tuple[int, int]]:
    sizes = {k: keys.count(k) for k in set(keys) if k is not None}
    return {(i, j) for i, j in combinations(range(len(keys)), 2)
            if keys[i] is not None and keys[i] == keys[j] and sizes[keys[i]] <= cap}


def test_block_pairs_match_brute_force_and_skip_big_blocks():
    keys = ["a", "b", "a", None, "c", "a", "b", "c", "c", "c", None]
    pairs, skipped = _pairs_from_key(pl.Series("k", keys), cap=3)
    got = set(zip(pairs["l"].to_list(), pairs["r"].to_list(), strict=True))
    assert got == _brute(keys, 3)
    assert skipped == 1  # the block of four "c" rows


def test_refinement_splits_oversized_passes():
    key = pl.Series("k", ["x"] * 100)
    year = pl.Series("y", [str(1950 + i % 10) for i in range(100)])
    refined, used = refine(key, [("year", year)], budget=1000, cap=500)
    assert used == ["year"]
    pairs, _ = _pairs_from_key(refined, cap=500)
    assert pairs.height == 10 * (10 * 9 // 2)


def test_sorted_neighbourhood_window():
    pairs = _pairs_sorted_neighbourhood(pl.Series("k", ["d", "a", "c", "b"]), window=2)
    got = set(zip(pairs["l"].to_list(), pairs["r"].to_list(), strict=True))
    assert got == {(1, 3), (2, 3), (0, 2)}  # a-b, b-c, c-d as row positions
