"""Sort-based unique helpers (numpy's own `unique` can fall back to a slow hash path on big arrays)."""

from __future__ import annotations

import numpy as np


def sorted_unique(x: np.ndarray) -> np.ndarray:
    s = np.sort(x)
    if len(s) == 0:
        return s
    return s[np.r_[True, s[1:] != s[:-1]]]


def unique_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted distinct values, index of each element's value in them)."""
    if len(x) == 0:
        return x, np.zeros(0, dtype=np.int64)
    order = np.argsort(x)
    s = x[order]
    flag = np.r_[True, s[1:] != s[:-1]]
    ids = np.cumsum(flag) - 1
    inv = np.empty_like(ids)
    inv[order] = ids
    return s[flag], inv
