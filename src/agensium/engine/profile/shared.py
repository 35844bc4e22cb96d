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
from agensium.engine.profile.semantic import (
    SemanticType,
    conformance_expr,
    infer_semantic,
    parsed_expr,
    value_type,
)
from agensium.engine.profile.stats import (
    ColumnStats,
    StatsExtras,
    StatsOptions,
    as_dataset,
    column_kind,
    compute_stats,
    json_scalar,
)

STATE_KEY = "profile"


@dataclass
class ProfileOptions:
    stats: StatsOptions = field(default_factory=StatsOptions)
    sample_size: int = 10_000
    seed: int = 42
    semantic_min_share: float = 0.8
    categorical_threshold: int = 20
    categorical_ratio: float = 0.05
    phone_region: str | None = "US"
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
    conforming: dict[str, int]
    """Exact number of values that conform to the column's semantic type (columns with a value check)."""
    options: ProfileOptions
    parsed_range: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Exact min and max of dates and numbers written as text, as parsed (ISO dates, numbers)."""
    sorted_values: dict[str, np.ndarray] = field(default_factory=dict)
    """Sorted finite values of numeric columns, kept when small enough (reused by drift)."""
    value_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    """Full value counts (keys as text) of low-cardinality columns (reused by drift)."""
    row_ids: pl.Series = field(default_factory=lambda: pl.Series(ROW_ID, [], dtype=pl.Int64))
    row_hash: np.ndarray | None = None
    """64-bit hash of every row (all user columns), aligned with `row_ids`: duplicate-row candidates."""
    row_missing: np.ndarray | None = None
    """Missing cells per row, aligned with `row_ids`."""

    @property
    def sample_size(self) -> int:
        return self.sample.height

    def validity_pct(self, column: str) -> float | None:
        """Share of present values that conform to the column's semantic type (None: nothing to judge)."""
        st = self.stats[column]
        if st.present == 0:
            return None
        if column not in self.conforming:
            return 100.0
        return 100.0 * self.conforming[column] / st.present


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
    from it, text columns are typed from the sample, and their conforming values are counted over the
    whole column; `batch_hook` then sees the batch (e.g. to emit row issues)."""
    opts = options or ProfileOptions()
    cols = dataset.columns
    schema = dataset.schema
    rows = dataset.row_count
    idx = sample_positions(rows, opts.sample_size, opts.seed)
    prof = DatasetProfile(path=dataset.path, rows=rows, columns=cols, stats={}, semantics={},
                          sample=pl.DataFrame(), conforming={}, options=opts)
    extras = StatsExtras(keep_sorted_bytes=opts.keep_sorted_bytes, keep_counts_max=opts.keep_counts_max)
    row_hash: list[np.ndarray] = []
    row_missing: list[np.ndarray] = []
    parts: list[pl.DataFrame] = []
    # typing text from the sample is mostly single-threaded Python: it runs on its own thread while Polars
    # computes the batch's statistics, and the hook picks its result up
    pool = ThreadPoolExecutor(1, thread_name_prefix="agensium-sample")
    pending: list[Future[tuple[pl.DataFrame, dict[str, SemanticType]]]] = []
    submitted = [0]

    def typed_sample(df: pl.DataFrame, batch: list[str], first: bool) -> tuple[pl.DataFrame, dict[str, SemanticType]]:
        part = df.select([ROW_ID, *batch] if first and ROW_ID in df.columns else batch)[idx]
        return part, {c: value_type(part[c], min_share=opts.semantic_min_share, phone_region=opts.phone_region)
                      for c in batch if column_kind(schema[c]) == "string"}

    def before(df: pl.DataFrame, batch: list[str]) -> None:
        pending.append(pool.submit(typed_sample, df, batch, submitted[0] == 0))
        submitted[0] += 1

    def hook(df: pl.DataFrame, batch_stats: dict[str, ColumnStats]) -> None:
        part, text_types = pending.pop(0).result()
        parts.append(part)
        checks = {c: e for c, t in text_types.items() if (e := conformance_expr(t, c)) is not None}
        parsed = {c: e for c, t in text_types.items() if (e := parsed_expr(t, c)) is not None}
        if checks:
            # one query: the parse behind a conformance count is shared with its min and max
            exprs = [e.sum().alias(c) for c, e in checks.items()]
            exprs += [agg for c, e in parsed.items() for agg in (e.min().alias(f"{c}\0min"),
                                                                  e.max().alias(f"{c}\0max"))]
            row = df.lazy().select(exprs).collect().row(0, named=True)
            prof.conforming.update({c: int(row[c] or 0) for c in checks})
            prof.parsed_range.update({c: {k: json_scalar(row[f"{c}\0{k}"]) for k in ("min", "max")} for c in parsed})
        for c, st in batch_stats.items():
            prof.semantics[c] = _semantic(st, part, opts, text_types.get(c))
        _row_signals(df, batch_stats, schema, row_hash, row_missing)
        if not prof.row_ids.len() and ROW_ID in df.columns:
            prof.row_ids = df[ROW_ID]
        if batch_hook is not None:
            batch_hook(df, batch_stats, prof)

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
    if row_hash:
        prof.row_hash, prof.row_missing = row_hash[0], row_missing[0]
    return prof


def sample_positions(rows: int, n: int, seed: int) -> pl.Series:
    """Sorted row positions of a seeded uniform sample without replacement (all rows if fewer)."""
    if rows <= n:
        return pl.Series(np.arange(rows, dtype=np.int64))
    return pl.Series(np.sort(np.random.default_rng(seed).choice(rows, size=n, replace=False)).astype(np.int64))


def _semantic(st: ColumnStats, sample: pl.DataFrame, opts: ProfileOptions, text_type: SemanticType | None
              ) -> SemanticType:
    return infer_semantic(st, sample[st.name], min_share=opts.semantic_min_share,
                          categorical_threshold=opts.categorical_threshold, categorical_ratio=opts.categorical_ratio,
                          phone_region=opts.phone_region, text_type=text_type)


def _row_signals(df: pl.DataFrame, batch: dict[str, ColumnStats], schema: pl.Schema, row_hash: list[np.ndarray],
                 row_missing: list[np.ndarray]) -> None:
    """Accumulate a 64-bit hash of each row and its number of missing cells, batch by batch."""
    cols = list(batch)
    if not cols:
        return
    miss = []
    for c in cols:
        if not batch[c].missing:  # nothing missing in this column: no per-row test needed
            continue
        e = pl.col(c).is_null()
        if batch[c].nan_count:
            e = e | pl.col(c).is_nan()
        if batch[c].blank_count:
            e = e | ~pl.col(c).cast(pl.String).str.contains(r"\S")
        miss.append(e.cast(pl.Int32))
    # one 64-bit hash per row (Polars, parallel): 8 bytes a row, never a hash column per user column
    h = df.select(cols).hash_rows(seed=7).to_numpy()
    out = df.select((pl.sum_horizontal(miss) if miss else pl.lit(0, dtype=pl.Int32)).alias("m"))
    m = np.broadcast_to(out["m"].to_numpy().astype(np.int32), (df.height,)).copy()
    if not row_hash:
        row_hash.append(h.astype(np.uint64))
        row_missing.append(m)
        return
    with np.errstate(over="ignore"):
        row_hash[0] = (row_hash[0] * np.uint64(0x9E3779B97F4A7C15)) ^ h.astype(np.uint64)
    row_missing[0] += m


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
