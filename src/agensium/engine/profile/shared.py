"""The dataset profile shared by the profile agents of one run (computed once, reused by the others).

`dataset_profile(ctx)` returns the profile the unified profiler left in `ctx.state["profile"]` when it
describes the current data, and otherwise computes one with default options, so each agent also
works on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from agensium.engine.agent import ROW_ID, Dataset, RunContext
from agensium.engine.profile.column_values import BatchValues, measure_batch
from agensium.engine.profile.duplicates import Duplicates
from agensium.engine.profile.semantic import SemanticType, infer_semantic
from agensium.engine.profile.stats import (
    ColumnStats,
    StatsExtras,
    StatsOptions,
    as_dataset,
    column_kind,
    compute_stats,
)
from agensium.engine.values import ColumnValues, MissingTokens, ValueType, classify

STATE_KEY = "profile"


@dataclass
class ProfileOptions:
    stats: StatsOptions = field(default_factory=StatsOptions)
    sample_size: int = 10_000
    seed: int = 42
    semantic_min_share: float = 0.5
    """Share of a text column's present values that must be of one kind for the column to be of it."""
    hinted_min_share: float = 0.3
    """The same when the column's name suggests that kind."""
    categorical_threshold: int = 20
    categorical_ratio: float = 0.05
    phone_regions: tuple[str, ...] = ()
    """Regions to read phone numbers without a country code in, before those the values suggest."""
    missing_tokens: MissingTokens = field(default_factory=MissingTokens)
    keep_sorted_bytes: int = 96 * 1024 * 1024
    keep_counts_max: int = 1000


@dataclass
class DatasetProfile:
    path: Path
    rows: int
    columns: list[str]
    stats: dict[str, ColumnStats]
    semantics: dict[str, SemanticType]
    sample: pl.DataFrame
    """Seeded random rows (with ROW_ID) used only for semantic and pattern detection."""
    options: ProfileOptions
    values: dict[str, ColumnValues] = field(default_factory=dict)
    """Text columns as the value layer counted them: placeholders, conforming values, formats, variants."""
    parsed_range: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Exact min and max of dates and numbers written as text, as parsed (ISO dates, numbers)."""
    sorted_values: dict[str, np.ndarray] = field(default_factory=dict)
    """Sorted finite values of numeric columns, kept when small enough (reused by drift)."""
    value_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Full value counts (keys as text) of low-cardinality columns (reused by drift)."""
    row_ids: pl.Series = field(default_factory=lambda: pl.Series(ROW_ID, [], dtype=pl.Int64))
    row_hash: np.ndarray | None = None
    """64-bit hash of every row (all user columns), aligned with `row_ids`: duplicate-row candidates."""
    normal_hash: np.ndarray | None = None
    """64-bit hash of every row as compared for near duplicates (normalised cells, no surrogate keys)."""
    row_missing: np.ndarray | None = None
    """Missing cells (null, NaN, blank, placeholder) per row, aligned with `row_ids`."""
    row_defects: np.ndarray | None = None
    """Defective cells (missing, invalid, written another way) per row, aligned with `row_ids`."""
    surrogate_keys: list[str] = field(default_factory=list)
    duplicates: Duplicates | None = None
    """Exact and near duplicate rows (`profile.duplicates.find_duplicates` fills it on first use)."""

    @property
    def sample_size(self) -> int:
        return self.sample.height

    @property
    def conforming(self) -> dict[str, int]:
        """Exact number of values that conform to the column's type (columns with a value check)."""
        return {c: v.conforming for c, v in self.values.items() if v.conforming is not None}

    def validity_pct(self, column: str) -> float | None:
        """Share of present values that conform to the column's semantic type (None: nothing to judge)."""
        st = self.stats[column]
        if st.present <= 0:
            return None
        cv = self.values.get(column)
        if cv is None or cv.conforming is None:
            return 100.0
        return 100.0 * cv.conforming / st.present

    def consistency_pct(self, column: str) -> float | None:
        """Share of valid values written the column's usual way (one format, currency, spelling)."""
        cv = self.values.get(column)
        st = self.stats[column]
        valid = st.present if cv is None or cv.conforming is None else cv.conforming
        if valid <= 0:
            return None
        return 100.0 * (1 - (cv.inconsistent if cv is not None else 0) / valid)


def sample_rows(source: Dataset | Path, n: int, seed: int) -> pl.DataFrame:
    """Up to `n` rows drawn uniformly without replacement (seeded), in file order."""
    ds = as_dataset(source)
    rows = ds.row_count
    if ds.frame is not None:
        return ds.frame if rows <= n else ds.frame[sample_positions(rows, n, seed)]
    lf = ds.lazy()
    if rows <= n:
        return lf.collect()
    idx = sample_positions(rows, n, seed).to_numpy()
    return (
        lf.with_row_index("__sample_i__")
        .filter(pl.col("__sample_i__").is_in(pl.Series(idx, dtype=pl.UInt32)))
        .drop("__sample_i__")
        .collect()
    )


def build_profile(
    dataset: Dataset,
    options: ProfileOptions | None = None,
    progress: Callable[[float], None] | None = None,
    batch_hook: Callable[[pl.DataFrame, dict[str, ColumnStats], DatasetProfile], None] | None = None,
) -> DatasetProfile:
    """One exact pass over column batches. While a batch is in memory, the seeded sample rows are taken
    from it, text columns are typed from the sample by the value layer, and their values are counted over
    the whole column; `batch_hook` then sees the batch with the value layer's row columns (e.g. to emit
    row issues)."""
    opts = options or ProfileOptions()
    cols = dataset.columns
    schema = dataset.schema
    rows = dataset.row_count
    idx = sample_positions(rows, opts.sample_size, opts.seed)
    prof = DatasetProfile(path=dataset.path, rows=rows, columns=cols, stats={}, semantics={},
                          sample=pl.DataFrame(), options=opts)
    extras = StatsExtras(keep_sorted_bytes=opts.keep_sorted_bytes, keep_counts_max=opts.keep_counts_max)
    signals = _RowSignals()
    parts: list[pl.DataFrame] = []
    # typing text from the sample is mostly single-threaded Python: it runs on its own thread while Polars
    # computes the batch's statistics, and the hook picks its result up
    pool = ThreadPoolExecutor(1, thread_name_prefix="agensium-sample")
    pending: list[Future[tuple[pl.DataFrame, dict[str, ValueType]]]] = []
    submitted = [0]

    def typed_sample(df: pl.DataFrame, batch: list[str], first: bool) -> tuple[pl.DataFrame, dict[str, ValueType]]:
        part = df.select([ROW_ID, *batch] if first and ROW_ID in df.columns else batch)[idx]
        return part, {c: classify(part[c], c, tokens=opts.missing_tokens, min_share=opts.semantic_min_share,
                                  hinted_share=opts.hinted_min_share, regions=opts.phone_regions)
                      for c in batch if column_kind(schema[c]) == "string"}

    def before(df: pl.DataFrame, batch: list[str]) -> None:
        pending.append(pool.submit(typed_sample, df, batch, submitted[0] == 0))
        submitted[0] += 1

    def hook(df: pl.DataFrame, batch_stats: dict[str, ColumnStats]) -> None:
        part, text_types = pending.pop(0).result()
        parts.append(part)
        measured = measure_batch(df, batch_stats, text_types, extras.distinct, schema)
        prof.values.update(measured.values)
        prof.parsed_range.update(measured.parsed_range)
        prof.surrogate_keys += measured.surrogate_keys
        for c, st in batch_stats.items():
            if c in measured.values:
                st.placeholder_count = measured.values[c].placeholder_count
            vt = measured.values[c].type if c in measured.values else None
            prof.semantics[c] = infer_semantic(st, part[c], vt, categorical_threshold=opts.categorical_threshold,
                                               categorical_ratio=opts.categorical_ratio)
        signals.add(df, batch_stats, measured)
        if not prof.row_ids.len() and ROW_ID in df.columns:
            prof.row_ids = df[ROW_ID]
        if batch_hook is not None:
            batch_hook(measured.frame, batch_stats, prof)

    extras.batch_hook = hook
    extras.before_batch = before
    try:
        prof.stats = compute_stats(dataset, cols, opts.stats, extras=extras,
                                   on_batch=(lambda f: progress(0.95 * f)) if progress else None)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    prof.sample = pl.concat(parts, how="horizontal") if parts else pl.DataFrame()
    prof.sorted_values = extras.sorted_values
    prof.value_counts = extras.value_counts
    prof.row_hash, prof.normal_hash = signals.row_hash, signals.normal_hash
    prof.row_missing, prof.row_defects = signals.missing, signals.defects
    return prof


@dataclass
class _RowSignals:
    """Per-row signals accumulated batch by batch: hashes of the raw and of the normalised row, and the
    missing and defective cells of each row."""

    row_hash: np.ndarray | None = None
    normal_hash: np.ndarray | None = None
    missing: np.ndarray | None = None
    defects: np.ndarray | None = None

    def add(self, df: pl.DataFrame, batch: dict[str, ColumnStats], measured: BatchValues) -> None:
        cols = list(batch)
        if not cols:
            return
        # one 64-bit hash per row (Polars, parallel): 8 bytes a row, never a hash column per user column
        h = df.select(cols).hash_rows(seed=7).to_numpy().astype(np.uint64)
        if self.row_hash is None:
            self.row_hash, self.normal_hash = h, measured.normal_hash
            self.missing, self.defects = measured.missing.copy(), measured.defects.copy()
            return
        assert self.normal_hash is not None and self.missing is not None and self.defects is not None
        with np.errstate(over="ignore"):
            self.row_hash = (self.row_hash * np.uint64(0x9E3779B97F4A7C15)) ^ h
            self.normal_hash = (self.normal_hash * np.uint64(0x9E3779B97F4A7C15)) ^ measured.normal_hash
        self.missing += measured.missing
        self.defects += measured.defects


def sample_positions(rows: int, n: int, seed: int) -> pl.Series:
    """Sorted row positions of a seeded uniform sample without replacement (all rows if fewer)."""
    if rows <= n:
        return pl.Series(np.arange(rows, dtype=np.int64))
    return pl.Series(np.sort(np.random.default_rng(seed).choice(rows, size=n, replace=False)).astype(np.int64))


def dataset_profile(ctx: RunContext, dataset: Dataset | None = None) -> DatasetProfile:
    """The run's shared profile of `dataset` (default: the current data), computed once."""
    ds = dataset or ctx.data
    cached: Any = ctx.state.get(STATE_KEY)
    if isinstance(cached, DatasetProfile) and cached.path == ds.path:
        return cached
    prof = build_profile(ds, progress=lambda f: ctx.progress(0.5 * f, None))
    if ds is ctx.data:
        ctx.state[STATE_KEY] = prof
    return prof
