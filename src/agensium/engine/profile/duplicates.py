"""Duplicate rows: exact (every cell equal) and near (equal once cells are normalised by the value
layer: placeholders as missing, text trimmed and case-folded, dates and numbers as parsed, surrogate
keys left out). Computed once per profile and shared by the agents of a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from agensium.engine.agent import ROW_ID

if TYPE_CHECKING:
    from agensium.engine.profile.shared import DatasetProfile


@dataclass(frozen=True)
class Duplicates:
    exact: pl.Series
    """ROW_IDs of rows that exactly repeat an earlier row (in ROW_ID order)."""
    near: pl.Series
    """ROW_IDs of rows that repeat an earlier row once normalised, and are not exact repeats."""
    compared_without: tuple[str, ...]
    """Surrogate key columns left out of the near comparison."""

    @property
    def rows(self) -> int:
        return self.exact.len() + self.near.len()


def _repeats(hashes: np.ndarray, row_ids: pl.Series) -> pl.Series:
    """ROW_IDs whose hash occurs more than once (from one NumPy sort: faster than a hash table)."""
    srt = np.sort(hashes)
    repeated = np.unique(srt[1:][srt[1:] == srt[:-1]])
    if not len(repeated):
        return pl.Series(ROW_ID, [], dtype=pl.Int64)
    return row_ids.filter(pl.Series(np.isin(hashes, repeated)))


def _later_copies(hashes: np.ndarray, row_ids: pl.Series, candidates: pl.Series) -> pl.Series:
    """Among the candidates, the rows whose hash an earlier row already had."""
    frame = pl.DataFrame({ROW_ID: row_ids, "h": hashes}).filter(pl.col(ROW_ID).is_in(candidates.implode()))
    return frame.sort(ROW_ID).filter(~pl.col("h").is_first_distinct())[ROW_ID]


def find_duplicates(lf: pl.LazyFrame, prof: DatasetProfile) -> Duplicates:
    """The profile's duplicates, found once (the first caller computes them for the others)."""
    if prof.duplicates is None:
        prof.duplicates = _find(lf, prof)
    return prof.duplicates


def _find(lf: pl.LazyFrame, prof: DatasetProfile) -> Duplicates:
    cols = prof.columns
    empty = pl.Series(ROW_ID, [], dtype=pl.Int64)
    if not prof.rows or not cols or prof.row_hash is None or len(prof.row_hash) != prof.row_ids.len():
        return Duplicates(empty, empty, ())
    candidates = _repeats(prof.row_hash, prof.row_ids)
    exact = empty
    if candidates.len():
        # the exact comparison runs on the candidates only, so a hash collision never makes a false duplicate
        exact = (lf.filter(pl.col(ROW_ID).is_in(candidates.implode())).sort(ROW_ID)
                 .filter(~pl.struct(cols).is_first_distinct()).select(ROW_ID).collect())[ROW_ID]
    near = empty
    if prof.normal_hash is not None:
        near_all = _later_copies(prof.normal_hash, prof.row_ids, _repeats(prof.normal_hash, prof.row_ids))
        near = near_all.filter(~near_all.is_in(exact.implode()))
    return Duplicates(exact, near, tuple(prof.surrogate_keys))
