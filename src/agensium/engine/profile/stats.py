"""Exact per-column statistics, computed in a few vectorised passes over column batches.

Why batches: a batch of columns is read from Parquet into memory once (projection pushdown), every
statistic of every column in the batch is computed in one parallel Polars `select`, and the batch is
dropped. Memory stays bounded by the batch budget whatever the row count, and nothing is sampled:
counts, distinct counts, quantiles, moments and histograms are exact.

Conventions (also stated in the report): standard deviation and variance use ddof=1; skewness is
the adjusted Fisher-Pearson coefficient and kurtosis the adjusted excess kurtosis (bias=False, as
pandas and Excel); quantiles use linear interpolation (numpy "linear", DuckDB `quantile_cont`);
entropy is Shannon entropy in bits over the value counts; NaN counts as missing.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow.parquet as pq

from agensium.engine.agent import ROW_ID, Dataset
from agensium.engine.values.text import as_text

QUANTILES: tuple[float, ...] = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)
MAD_SCALE = 1.4826
"""Scales the median absolute deviation to the standard deviation of a normal distribution."""


def quantile_key(q: float) -> str:
    return f"p{round(q * 100):02d}"


def column_kind(dtype: pl.DataType) -> str:
    """numeric | boolean | temporal | string | null | other."""
    if dtype == pl.Boolean:
        return "boolean"
    if dtype.is_numeric():
        return "numeric"
    if dtype.is_temporal():
        return "temporal"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum | pl.Categorical):
        return "string"
    if dtype == pl.Null:
        return "null"
    return "other"


@dataclass
class StatsOptions:
    top_n: int = 10
    histogram_bins: int = 20
    iqr_multiplier: float = 1.5
    mad_threshold: float = 3.5
    batch_bytes: int = 256 * 1024 * 1024
    """Uncompressed Parquet bytes read into memory at once."""


@dataclass
class ColumnStats:
    name: str
    dtype: str
    kind: str
    rows: int
    null_count: int
    nan_count: int = 0
    blank_count: int = 0
    placeholder_count: int = 0
    """Text that means 'no value' (NULL, N/A, -, …), decided by the value layer."""
    distinct: int | None = None
    entropy_bits: float | None = None
    top_values: list[dict[str, Any]] = field(default_factory=list)
    numeric: dict[str, Any] | None = None
    text: dict[str, Any] | None = None
    temporal: dict[str, Any] | None = None
    boolean: dict[str, Any] | None = None

    @property
    def missing(self) -> int:
        """Null, NaN, blank text or a placeholder."""
        return self.null_count + self.nan_count + self.blank_count + self.placeholder_count

    @property
    def present(self) -> int:
        return self.rows - self.missing

    def to_dict(self) -> dict[str, Any]:
        rows = self.rows or 1
        non_null = self.rows - self.null_count
        out: dict[str, Any] = {
            "name": self.name, "dtype": self.dtype, "kind": self.kind, "count": self.rows,
            "non_null": non_null, "null_count": self.null_count,
            "null_pct": round(100 * self.null_count / rows, 4),
            "nan_count": self.nan_count, "blank_count": self.blank_count,
            "placeholder_count": self.placeholder_count,
            "missing_count": self.missing, "missing_pct": round(100 * self.missing / rows, 4),
            "distinct": self.distinct,
            "distinct_pct": None if self.distinct is None or non_null == 0 else round(100 * self.distinct / non_null, 4),
            "is_unique": None if self.distinct is None else (non_null > 0 and self.distinct == non_null),
            "entropy_bits": self.entropy_bits, "top_values": self.top_values,
        }
        for key in ("numeric", "text", "temporal", "boolean"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


def as_dataset(source: Dataset | Path) -> Dataset:
    return source if isinstance(source, Dataset) else Dataset(path=Path(source), name=Path(source).name)


def column_batches(source: Dataset | Path, columns: list[str], budget: int) -> list[list[str]]:
    """Group columns so each group's in-memory size stays within `budget` (at least one column each).

    In memory a text value costs a 16-byte view plus its bytes whatever the Parquet encoding (a
    dictionary-encoded column is tiny on disk), and other values at least 8 bytes. A dataset held in
    memory is one batch: selecting its columns copies nothing.
    """
    ds = as_dataset(source)
    if ds.frame is not None:
        return [list(columns)] if columns else []
    pf = pq.ParquetFile(ds.path)
    meta = pf.metadata
    rows = meta.num_rows
    arrow = pf.schema_arrow
    size: dict[str, int] = dict.fromkeys(columns, 0)
    for rg in range(meta.num_row_groups):
        group = meta.row_group(rg)
        for j in range(group.num_columns):
            col = group.column(j)
            top = col.path_in_schema.split(".")[0]
            if top in size:
                size[top] += col.total_uncompressed_size
    batches: list[list[str]] = []
    current: list[str] = []
    used = 0
    for c in columns:
        field_type = arrow.field(c).type if c in arrow.names else None
        is_text = field_type is not None and str(field_type) in ("string", "large_string", "string_view")
        need = rows * 16 + 2 * size[c] if is_text else max(2 * size[c], rows * 9)
        if current and used + need > budget:
            batches.append(current)
            current, used = [], 0
        current.append(c)
        used += need
    if current:
        batches.append(current)
    return batches


def _f(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def json_scalar(v: Any) -> Any:
    """JSON-friendly scalar for top values and min/max of any dtype."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    return str(v)


def _pass1_exprs(c: str, kind: str, dtype: pl.DataType) -> list[pl.Expr]:
    """Counts and moments that need no sorting; one parallel select for the whole batch."""
    col = pl.col(c)
    ex = [col.null_count().alias(f"{c}\0nulls")]
    if kind == "numeric":
        x = col.cast(pl.Float64)
        if dtype.is_float():
            ex.append(col.is_nan().sum().alias(f"{c}\0nans"))
            x = x.fill_nan(None)
            ex.append(x.is_infinite().sum().alias(f"{c}\0infs"))
            x = x.filter(x.is_finite())
        ex += [
            x.mean().alias(f"{c}\0mean"), x.std().alias(f"{c}\0std"), x.var().alias(f"{c}\0var"),
            x.sum().alias(f"{c}\0sum"), x.skew(bias=False).alias(f"{c}\0skew"),
            x.kurtosis(fisher=True, bias=False).alias(f"{c}\0kurt"),
        ]
    elif kind == "string":
        s = col.cast(pl.String)
        lengths = s.str.len_chars()
        # no stripped copy of the column (memory at 10M rows): one regex finds untrimmed values, and only
        # those can be blank besides the empty string
        untrimmed = s.str.contains(r"^\s|\s$")
        ex += [
            (s.str.len_bytes() == 0).sum().alias(f"{c}\0blanks"),  # whitespace-only: added if any is untrimmed
            lengths.min().alias(f"{c}\0len_min"), lengths.max().alias(f"{c}\0len_max"),
            lengths.mean().alias(f"{c}\0len_mean"),
            untrimmed.sum().alias(f"{c}\0untrimmed"),
            s.approx_n_unique().alias(f"{c}\0approx_distinct"),
        ]
    elif kind == "temporal":
        ex += [as_text(col.min(), dtype).alias(f"{c}\0min"), as_text(col.max(), dtype).alias(f"{c}\0max"),
               col.drop_nulls().n_unique().alias(f"{c}\0distinct")]
    elif kind == "boolean":
        ex += [col.sum().alias(f"{c}\0true"), col.drop_nulls().n_unique().alias(f"{c}\0distinct")]
    return ex


PARALLEL_SORT_MAX_ROWS = 4_000_000
"""Columns up to this length are sorted on parallel threads; each thread holds an extra copy of its column,
so longer columns (80 MB at 10M rows) are sorted one at a time to keep the peak memory down."""


def parallel_map(fn: Callable[[Any], Any], items: list[Any], max_workers: int = 4) -> list[Any]:
    """`fn` over `items` on a few threads, for NumPy work that releases the GIL (sorts, merges)."""
    workers = min(len(items), os.cpu_count() or 1, max_workers)
    if workers <= 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="agensium-np") as pool:
        return list(pool.map(fn, items))


def sorted_values(s: pl.Series) -> np.ndarray:
    """Sorted values without nulls and NaN (infinities kept at the ends); ints keep their exact type.

    Floats are sorted with nulls as NaN, which NumPy sorts last, and the NaN tail is cut off: one copy
    (the sort's) instead of filtered copies of a 10M-value column."""
    if s.dtype.is_integer():
        return np.sort((s if s.null_count() == 0 else s.drop_nulls()).to_numpy())
    arr = np.sort(s.cast(pl.Float64).to_numpy())
    return arr[: int(np.searchsorted(arr, np.inf, "right"))]


def linear_quantile(a: np.ndarray, q: float) -> float:
    """Quantile of a sorted array with linear interpolation (numpy 'linear', DuckDB quantile_cont)."""
    h = (len(a) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(a) - 1)
    return float(a[lo]) + (h - lo) * (float(a[hi]) - float(a[lo]))


def _runs(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values and their counts of a sorted array (run-length encoding, O(n))."""
    if len(a) == 0:
        return a, np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.concatenate(([True], a[1:] != a[:-1])))
    counts = np.diff(np.append(starts, len(a)))
    return a[starts], counts


def count_below(a: np.ndarray, x: float | np.ndarray) -> Any:
    """Number of values < x in a sorted array (integer arrays searched with integer keys: no float copy)."""
    if a.dtype.kind in "iu":
        xs = np.asarray(x, dtype=np.float64)
        inside = np.abs(xs) < 2.0**62  # keys outside this range cannot be cast; they are below/above all
        if a.dtype.kind == "u":
            xs = np.maximum(xs, 0.0)
        keys = np.where(inside, np.ceil(np.where(inside, xs, 0.0)), 0.0).astype(a.dtype)
        found = np.searchsorted(a, keys, "left")
        return np.where(inside, found, np.where(xs > 0, len(a), 0))
    return np.searchsorted(a, x, "left")


def count_above(a: np.ndarray, x: float) -> int:
    """Number of values > x in a sorted array."""
    if a.dtype.kind in "iu":
        if abs(x) >= 2.0**62 or (a.dtype.kind == "u" and x < 0):
            return 0 if x > 0 else len(a)
        return int(len(a) - np.searchsorted(a, np.asarray(np.floor(x)).astype(a.dtype), "right"))
    return int(len(a) - np.searchsorted(a, x, "right"))


def sorted_mad(a: np.ndarray, med: float) -> float:
    """Median absolute deviation of a SORTED array, exactly, in O(log n) and without a copy.

    Deviations left of the median, read right to left, and deviations right of it are two ascending
    sequences; the k-th smallest of their union is found by the classic two-array partition search.
    """
    n = len(a)
    p = int(np.searchsorted(a, med, "left"))
    n_left, n_right = p, n - p

    def left(i: int) -> float:
        return med - float(a[p - 1 - i])

    def right(j: int) -> float:
        return float(a[p + j]) - med

    def kth(k: int) -> float:  # 0-based
        lo, hi = max(0, k + 1 - n_right), min(k + 1, n_left)
        while lo < hi:
            i = (lo + hi) // 2
            j = k + 1 - i
            if j > 0 and left(i) < right(j - 1):
                lo = i + 1
            else:
                hi = i
        i, j = lo, k + 1 - lo
        return max(left(i - 1) if i > 0 else -np.inf, right(j - 1) if j > 0 else -np.inf)

    if n % 2:
        return kth(n // 2)
    return (kth(n // 2 - 1) + kth(n // 2)) / 2


def _numeric_from_sorted(a: np.ndarray, opts: StatsOptions, want_top: bool, keep_runs: int = 0) -> dict[str, Any]:
    """Everything order-based from one sorted array: quantiles, distinct, outliers, histogram, top values."""
    n = len(a)
    out: dict[str, Any] = {"finite_count": n}
    if n == 0:
        out.update(min=None, max=None, median=None, quantiles={quantile_key(q): None for q in QUANTILES},
                   distinct=0, zeros=0, negatives=0)
        return out
    qd = {quantile_key(q): linear_quantile(a, q) for q in QUANTILES}
    distinct = 1 + int(np.count_nonzero(a[1:] != a[:-1]))
    out.update(
        min=_f(a[0]) if a.dtype.kind == "f" else int(a[0]), max=_f(a[-1]) if a.dtype.kind == "f" else int(a[-1]),
        median=qd["p50"], quantiles=qd, distinct=distinct,
        zeros=int(np.searchsorted(a, 0, "right") - np.searchsorted(a, 0, "left")),
        negatives=int(np.searchsorted(a, 0, "left")),
    )
    q1, q3 = qd["p25"], qd["p75"]
    iqr = q3 - q1
    lo, hi = q1 - opts.iqr_multiplier * iqr, q3 + opts.iqr_multiplier * iqr
    below, above = int(count_below(a, lo)), count_above(a, hi)
    out["iqr"] = iqr
    out["iqr_outliers"] = {"multiplier": opts.iqr_multiplier, "lower_bound": lo, "upper_bound": hi,
                           "count": below + above, "pct": round(100 * (below + above) / n, 4),
                           "below": below, "above": above}
    med = qd["p50"]
    mad = sorted_mad(a, med)
    out["mad"] = mad
    mo: dict[str, Any] = {"threshold": opts.mad_threshold, "median": med, "mad": mad,
                          "lower_bound": None, "upper_bound": None, "count": 0, "pct": 0.0}
    if mad > 0:
        t = opts.mad_threshold * MAD_SCALE * mad
        mlo, mhi = med - t, med + t
        k = int(count_below(a, mlo)) + count_above(a, mhi)
        mo.update(lower_bound=mlo, upper_bound=mhi, count=k, pct=round(100 * k / n, 4))
    out["mad_outliers"] = mo
    bins = opts.histogram_bins
    fmin, fmax = float(a[0]), float(a[-1])
    if fmax > fmin:
        edges = np.linspace(fmin, fmax, bins + 1)
        cuts = count_below(a, edges[1:-1])
        counts_h = np.diff(np.concatenate(([0], cuts, [n])))
    else:
        edges = np.array([fmin, fmin])
        counts_h = np.array([n])
    out["histogram"] = {"edges": [float(e) for e in edges], "counts": [int(x) for x in counts_h]}
    if distinct > max(0.5 * n, keep_runs):  # top values / entropy of nearly-unique numbers say nothing
        return out
    values, counts = _runs(a)
    out["_runs"] = (values, counts)
    if want_top and distinct <= 0.5 * n:
        order = np.lexsort((np.arange(len(counts)), -counts))[: opts.top_n]
        out["_top"] = [(values[i], int(counts[i])) for i in order]
        out["_entropy"] = _entropy(counts)
    return out


def _sorted_numeric(s: pl.Series, opts: StatsOptions, keep_runs: int) -> tuple[np.ndarray, int, dict[str, Any]]:
    """(sorted finite values, number of distinct infinities, order statistics) of one numeric column."""
    arr = sorted_values(s)
    infs = 0
    if arr.dtype.kind == "f" and len(arr):  # infinities sit at both ends of the sorted array
        infs = int(arr[0] == -np.inf) + int(arr[-1] == np.inf)
        arr = arr[np.searchsorted(arr, -np.inf, "right"): np.searchsorted(arr, np.inf, "left")]
    return arr, infs, _numeric_from_sorted(arr, opts, want_top=True, keep_runs=keep_runs)


def _entropy(counts: np.ndarray) -> float | None:
    total = counts.sum()
    if total == 0:
        return None
    p = counts / total
    return float(-(p * np.log2(p)).sum())


def _value_counts(df: pl.DataFrame, cols: list[str], top_n: int,
                  counts_out: dict[str, dict[str, int]] | None = None,
                  keep_max: int = 0, distinct_out: dict[str, pl.DataFrame] | None = None
                  ) -> dict[str, tuple[int, float | None, list]]:
    """Exact distinct count, entropy and top values per column; one parallel group-by per column.

    Full value counts (keys as text) of columns with at most `keep_max` values go to `counts_out`.
    """
    lazies = [df.lazy().select(pl.col(c).alias("v")).drop_nulls().group_by("v").len() for c in cols]
    out: dict[str, tuple[int, float | None, list]] = {}
    for c, vc in zip(cols, pl.collect_all(lazies), strict=True):
        if distinct_out is not None and vc.schema["v"] == pl.String:
            distinct_out[c] = vc
        if counts_out is not None and vc.height <= keep_max:
            counts_out[c] = dict(zip(vc["v"].cast(pl.String).to_list(), vc["len"].to_list(), strict=True))
        counts = vc["len"].to_numpy()
        top: list[dict[str, Any]] = []
        if vc.height:
            k = max(0, len(counts) - top_n)
            kth = int(np.partition(counts, k)[k])
            cand = vc.filter(pl.col("len") >= kth).sort(["len", "v"], descending=[True, False])
            total = int(counts.sum())
            top = [{"value": json_scalar(v), "count": int(n), "pct": round(100 * n / total, 4)}
                   for v, n in cand.head(top_n).iter_rows()]
        out[c] = (vc.height, _entropy(counts), top)
    return out


@dataclass
class StatsExtras:
    """Optional by-products of the exact pass, for agents that reuse them (drift, row issues)."""

    sums: dict[str, pl.Expr] = field(default_factory=dict)
    """name -> boolean expression summed over the whole column in the batch of column `name`."""
    sum_results: dict[str, int] = field(default_factory=dict)
    keep_sorted_bytes: int = 0
    """Keep sorted finite values of numeric columns while their total size stays under this."""
    sorted_values: dict[str, np.ndarray] = field(default_factory=dict)
    keep_counts_max: int = 0
    """Keep full value counts of columns with at most this many distinct values."""
    value_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    batch_hook: Callable[[pl.DataFrame, dict[str, ColumnStats]], None] | None = None
    """Called with each in-memory batch (ROW_ID included) once its statistics are known."""
    before_batch: Callable[[pl.DataFrame, list[str]], None] | None = None
    """Called with each in-memory batch before its statistics (e.g. to start work on another thread)."""
    distinct: dict[str, pl.DataFrame] = field(default_factory=dict)
    """The current batch's distinct values (`v`, count `len`) of its text columns that are not nearly
    unique (replaced at each batch; the batch hook may use them)."""


def compute_stats(
    source: Dataset | Path,
    columns: list[str] | None = None,
    opts: StatsOptions | None = None,
    on_batch: Callable[[float], None] | None = None,
    extras: StatsExtras | None = None,
) -> dict[str, ColumnStats]:
    """Exact statistics of every column of a dataset or Parquet file (the hidden ROW_ID excluded)."""
    opts = opts or StatsOptions()
    ex = extras or StatsExtras()
    ds = as_dataset(source)
    lf = ds.lazy()
    schema = ds.schema
    cols = [c for c in (columns or schema.names()) if c != ROW_ID]
    rows = ds.row_count
    result: dict[str, ColumnStats] = {}
    kept = 0
    batches = column_batches(ds, cols, opts.batch_bytes)
    for bi, batch in enumerate(batches):
        with_id = ex.batch_hook is not None and ROW_ID in schema.names()
        df = lf.select([*batch, ROW_ID] if with_id else batch).collect()
        if ex.before_batch is not None:
            ex.before_batch(df, batch)
        kinds = {c: column_kind(schema[c]) for c in batch}
        exprs = [e for c in batch for e in _pass1_exprs(c, kinds[c], schema[c])]
        exprs += [e.sum().alias(f"{c}\0extra") for c, e in ex.sums.items() if c in batch]
        # lazy, so shared subexpressions (e.g. one len_chars for min/max/mean) are computed once
        r1 = df.lazy().select(exprs).collect().row(0, named=True) if exprs else {}
        spaced = [c for c in batch if kinds[c] == "string" and r1[f"{c}\0untrimmed"]]
        if spaced:  # only untrimmed values can be whitespace-only: count blanks exactly where any exist
            r1.update(df.select([(pl.col(c).cast(pl.String).str.contains(r"\S").not_()).sum().alias(f"{c}\0blanks")
                                 for c in spaced]).row(0, named=True))
        ex.sum_results.update({c: int(r1[f"{c}\0extra"] or 0) for c in ex.sums if c in batch})
        numeric = [c for c in batch if kinds[c] == "numeric"]
        # NumPy sorts one column faster than Polars and releases the GIL: columns are sorted and summarised
        # on parallel threads
        srt = dict(zip(numeric, parallel_map(lambda s: _sorted_numeric(s, opts, ex.keep_counts_max),
                                             [df[c] for c in numeric],
                                             max_workers=4 if rows <= PARALLEL_SORT_MAX_ROWS else 1), strict=True))
        # nearly-unique text: the exact distinct count alone (a hash set), no value-count table (memory, and
        # its top values would all be 1s and 2s)
        unique_ish = [c for c in batch if kinds[c] == "string"
                      and r1[f"{c}\0approx_distinct"] > 0.5 * max(1, rows - r1[f"{c}\0nulls"])]
        if unique_ish:
            r1.update({f"{c}\0distinct": v for c, v in
                       df.select([pl.col(c).drop_nulls().n_unique().alias(c) for c in unique_ish]).row(0, named=True)
                       .items()})
        grouped = [c for c in batch if kinds[c] in ("string", "boolean") and c not in unique_ish]
        ex.distinct = {}
        vcs = _value_counts(df, grouped, opts.top_n, ex.value_counts, ex.keep_counts_max, ex.distinct) if grouped else {}
        batch_stats: dict[str, ColumnStats] = {}
        for c in batch:
            st = _assemble(c, schema[c], kinds[c], rows, r1, vcs.get(c), opts)
            if kinds[c] == "numeric":
                arr, infs, num = srt.pop(c)
                st.distinct = num.pop("distinct") + infs
                top, ent = num.pop("_top", []), num.pop("_entropy", None)
                if st.distinct <= 0.5 * max(1, len(arr)):  # top values of nearly-unique numbers say nothing
                    st.top_values = [{"value": json_scalar(v.item() if hasattr(v, "item") else v), "count": k,
                                      "pct": round(100 * k / max(1, len(arr)), 4)} for v, k in top]
                    st.entropy_bits = ent
                if st.distinct <= ex.keep_counts_max and "_runs" in num:
                    vals, cnts = num["_runs"]
                    ex.value_counts[c] = dict(zip(pl.Series(vals).cast(pl.String).to_list(),
                                                  cnts.tolist(), strict=True))
                num.pop("_runs", None)
                if kept + arr.nbytes <= ex.keep_sorted_bytes:
                    ex.sorted_values[c] = arr.astype(np.float64, copy=False)
                    kept += arr.nbytes
                num.update(st.numeric or {})
                st.numeric = _order_numeric(num)
            result[c] = batch_stats[c] = st
        del srt
        if ex.batch_hook is not None:
            ex.batch_hook(df, batch_stats)
        del df
        if on_batch:
            on_batch((bi + 1) / len(batches))
    return result


_NUMERIC_ORDER = ("finite_count", "infinite_count", "min", "max", "mean", "median", "std", "variance", "sum",
                  "skewness", "kurtosis", "zeros", "negatives", "quantiles", "iqr", "iqr_outliers", "mad",
                  "mad_outliers", "histogram")


def _order_numeric(num: dict[str, Any]) -> dict[str, Any]:
    return {k: num[k] for k in _NUMERIC_ORDER if k in num} | {k: v for k, v in num.items() if k not in _NUMERIC_ORDER}


def _assemble(c: str, dtype: pl.DataType, kind: str, rows: int, r1: dict[str, Any],
              vc: tuple[int, float | None, list] | None, opts: StatsOptions) -> ColumnStats:
    nulls = rows if kind == "null" else int(r1.get(f"{c}\0nulls", 0))
    st = ColumnStats(name=c, dtype=str(dtype), kind=kind, rows=rows, null_count=nulls)
    if f"{c}\0distinct" in r1:
        st.distinct = int(r1[f"{c}\0distinct"])
    if vc is not None:
        st.distinct, st.entropy_bits, st.top_values = vc
    elif kind == "null":
        st.distinct = 0
    if kind == "numeric":
        st.nan_count = int(r1.get(f"{c}\0nans", 0) or 0)
        st.numeric = {
            "infinite_count": int(r1.get(f"{c}\0infs", 0) or 0), "mean": _f(r1[f"{c}\0mean"]),
            "std": _f(r1[f"{c}\0std"]), "variance": _f(r1[f"{c}\0var"]), "sum": _f(r1[f"{c}\0sum"]),
            "skewness": _f(r1[f"{c}\0skew"]), "kurtosis": _f(r1[f"{c}\0kurt"]),
        }
    elif kind == "string":
        st.blank_count = int(r1[f"{c}\0blanks"] or 0)
        st.text = {
            "length_min": r1[f"{c}\0len_min"], "length_max": r1[f"{c}\0len_max"],
            "length_mean": _f(r1[f"{c}\0len_mean"]),
            "blank_count": st.blank_count, "untrimmed_count": int(r1[f"{c}\0untrimmed"] or 0),
        }
    elif kind == "temporal":
        st.temporal = {"min": r1[f"{c}\0min"], "max": r1[f"{c}\0max"]}
    elif kind == "boolean":
        t = int(r1[f"{c}\0true"] or 0)
        non_null = rows - nulls
        st.boolean = {"true_count": t, "false_count": non_null - t,
                      "true_pct": round(100 * t / non_null, 4) if non_null else None}
    return st
