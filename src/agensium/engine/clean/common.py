"""Small helpers every clean agent uses: column selection, parameter checks, scores, row issues."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from agensium.engine.agent import ROW_ID, ROW_ISSUE_SCHEMA, Dataset, SummaryCard
from agensium.errors import AgensiumError, ErrorCode

NUMERIC_TYPES = (
    pl.Int8,
    pl.Int16,
    pl.Int32,
    pl.Int64,
    pl.UInt8,
    pl.UInt16,
    pl.UInt32,
    pl.UInt64,
    pl.Float32,
    pl.Float64,
)


def user_columns(schema: pl.Schema) -> list[str]:
    """Columns the user sees (the hidden ROW_ID excluded)."""
    return [c for c in schema.names() if c != ROW_ID]


def is_numeric(dtype: pl.DataType) -> bool:
    return dtype.is_numeric()


def string_columns(schema: pl.Schema) -> list[str]:
    return [c for c, t in schema.items() if c != ROW_ID and t == pl.String]


def numeric_columns(schema: pl.Schema) -> list[str]:
    return [c for c, t in schema.items() if c != ROW_ID and t.is_numeric()]


def check_columns(agent_id: str, param: str, names: Iterable[str], schema: pl.Schema) -> None:
    """A parameter that names a column the data does not have is a user error, not a silent no-op."""
    available = user_columns(schema)
    unknown = sorted({n for n in names if n not in available})
    if unknown:
        raise AgensiumError(
            ErrorCode.INVALID_PARAMETERS,
            f"{agent_id}: {param} names column(s) not in the data: {', '.join(unknown)}",
            {
                "agent_id": agent_id,
                "parameter": param,
                "unknown_columns": unknown,
                "available_columns": available,
            },
        )


def select_columns(candidates: list[str], target: list[str], exclude: list[str]) -> list[str]:
    """`target` (if given) restricted to candidates, minus `exclude`, in data order."""
    wanted = set(target) if target else None
    skip = set(exclude)
    return [c for c in candidates if (wanted is None or c in wanted) and c not in skip]


def score_status(score: float | None) -> str:
    if score is None:
        return "info"
    if score >= 90:
        return "excellent"
    if score >= 75:
        return "good"
    if score >= 50:
        return "fair"
    return "poor"


def card(title: str, value: str, score: float | None, description: str) -> SummaryCard:
    return SummaryCard(title=title, value=value, status=score_status(score), description=description)  # type: ignore[arg-type]


def pct(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def manifest(
    total: int,
    *,
    rows_out: int | None = None,
    quarantined: int = 0,
    removed: int = 0,
    added: list[str] | None = None,
    dropped: list[str] | None = None,
    type_changes: dict[str, str] | None = None,
    nulls_introduced: dict[str, int] | None = None,
) -> dict[str, Any]:
    """The row/column manifest every data-changing clean agent reports (cleanse-writeback reads it).

    One builder keeps the keys and their order the same for every agent; `rows_out` defaults to the
    rows neither quarantined nor removed. `type_changes` is only present when given.
    """
    out: dict[str, Any] = {
        "rows_in": total,
        "rows_out": total - quarantined - removed if rows_out is None else rows_out,
        "rows_quarantined": quarantined,
        "rows_removed": removed,
        "columns_added": [] if added is None else added,
        "columns_dropped": [] if dropped is None else dropped,
    }
    if type_changes is not None:
        out["type_changes"] = type_changes
    out["nulls_introduced"] = {} if nulls_introduced is None else nulls_introduced
    return out


def row_issues(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    column: str | pl.Expr | None,
    issue_type: str,
    severity: str,
    message: str | pl.Expr,
    value: pl.Expr | None = None,
) -> pl.LazyFrame:
    """Row issues (ROW_ISSUE_SCHEMA) for every row of `frame` (which holds ROW_ID)."""
    lf = frame.lazy()

    def lit_or(e: Any, name: str) -> pl.Expr:
        return (e if isinstance(e, pl.Expr) else pl.lit(e, dtype=pl.String)).cast(pl.String).alias(name)

    return lf.select(
        pl.col(ROW_ID).cast(pl.Int64).alias("row_index"),
        lit_or(column, "column"),
        pl.lit(issue_type, dtype=pl.String).alias("issue_type"),
        pl.lit(severity, dtype=pl.String).alias("severity"),
        lit_or(message, "message"),
        (value.cast(pl.String) if value is not None else pl.lit(None, dtype=pl.String)).alias("value"),
    )


def concat_issues(parts: list[pl.LazyFrame | pl.DataFrame]) -> pl.DataFrame:
    frames = [p.lazy() for p in parts]
    if not frames:
        return pl.DataFrame(schema=ROW_ISSUE_SCHEMA)
    return pl.concat(frames, how="vertical").collect(engine="streaming")


def text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The value as text, for before/after comparisons and samples."""
    return expr if dtype == pl.String else expr.cast(pl.String)


def null_counts(data: Dataset, columns: list[str]) -> dict[str, int] | None:
    """Null count per column from the frame in memory or the Parquet footer statistics (no data read);
    None if missing."""
    import pyarrow.parquet as pq

    if data.frame is not None:
        schema = data.frame.schema
        return None if any(c not in schema for c in columns) else {c: data.frame[c].null_count() for c in columns}
    meta = pq.ParquetFile(data.path).metadata
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    index = {n: i for i, n in enumerate(names)}
    out: dict[str, int] = {}
    for c in columns:
        i = index.get(c)
        if i is None:
            return None
        total = 0
        for g in range(meta.num_row_groups):
            st = meta.row_group(g).column(i).statistics
            if st is None or st.null_count is None:
                return None
            total += st.null_count
        out[c] = total
    return out


def duplicate_candidates(
    lf: pl.LazyFrame, keys: list[pl.Expr], eligible: pl.Expr | None = None
) -> pl.LazyFrame:
    """ROW_IDs (one column) of rows whose key hash occurs more than once: a superset of the duplicates.

    The 64-bit row hash is computed while streaming and only (ROW_ID, hash) pairs are held in memory
    (16 bytes a row), never the rows themselves; the exact comparison then runs on the candidates.
    """
    h = lf.select(
        pl.col(ROW_ID),
        pl.struct(keys).hash().alias("__agensium_h"),
        (eligible if eligible is not None else pl.lit(True)).alias("__agensium_e"),
    ).collect(engine="streaming")
    ids = h.filter(pl.col("__agensium_h").is_duplicated() & pl.col("__agensium_e")).select(ROW_ID)
    return ids.lazy()
