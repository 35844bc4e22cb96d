"""Helpers shared by the master agents: column names across renames, scores, row issues, tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from agensium.engine.agent import ROW_ID, ROW_ISSUE_SCHEMA, RunContext
from agensium.errors import AgensiumError, ErrorCode

ROW_ISSUE_CAP = 50_000
"""Row issues kept per agent (the full detail of a violation goes to the agent's output files)."""


def user_columns(schema: pl.Schema) -> list[str]:
    return [c for c in schema.names() if c != ROW_ID and not c.startswith("__")]


def resolve_column(ctx: RunContext, name: str, available: Iterable[str]) -> str | None:
    """The current name of a column given by its original OR its standard (semantic) name.

    Fixes the earlier bug where a rename by semantic-mapper broke parameters of later agents.
    """
    avail = set(available)
    if name in avail:
        return name
    mapping: dict[str, str] = ctx.state.get("semantic_mapping", {})
    if name in mapping and mapping[name] in avail:
        return mapping[name]
    for orig, std in mapping.items():
        if std == name and orig in avail:
            return orig
    lowered = {a.lower(): a for a in avail}
    return lowered.get(name.lower())


def resolve_columns(ctx: RunContext, agent_id: str, param: str, names: Iterable[str],
                    available: Iterable[str]) -> list[str]:
    """Resolve every name or raise a specific error naming the unknown columns."""
    avail = list(available)
    out, unknown = [], []
    for n in names:
        r = resolve_column(ctx, n, avail)
        (out.append(r) if r else unknown.append(n))
    if unknown:
        raise AgensiumError(
            ErrorCode.INVALID_PARAMETERS,
            f"{agent_id}: {param} names column(s) not in the data: {', '.join(map(str, unknown))}",
            {"agent_id": agent_id, "parameter": param, "unknown_columns": unknown, "available_columns": avail},
        )
    return out


def resolve_keys(ctx: RunContext, agent_id: str, param: str, mapping: dict[str, Any],
                 available: Iterable[str]) -> dict[str, Any]:
    """Same as `resolve_columns` for a dict keyed by column name."""
    cols = resolve_columns(ctx, agent_id, param, list(mapping), available)
    return dict(zip(cols, mapping.values(), strict=True))


def status_of(score: float | None, excellent: float = 90, good: float = 75) -> str:
    if score is None:
        return "info"
    return "excellent" if score >= excellent else "good" if score >= good else "fair" if score >= 50 else "poor"


def row_issues(frames: list[pl.DataFrame | pl.LazyFrame], cap: int = ROW_ISSUE_CAP) -> pl.DataFrame:
    """Concatenate row-issue frames (ROW_ID as row_index), typed per ROW_ISSUE_SCHEMA, capped fairly."""
    parts = []
    for f in frames:
        df = f.collect() if isinstance(f, pl.LazyFrame) else f
        if df.height:
            parts.append(df.select([pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
                                    for c, t in ROW_ISSUE_SCHEMA.items()]))
    if not parts:
        return pl.DataFrame(schema=ROW_ISSUE_SCHEMA)
    per = max(1, cap // len(parts))
    return pl.concat([p.head(per) for p in parts])


def issue_rows(lf: pl.LazyFrame, mask: pl.Expr, column: str | None, issue_type: str, severity: str,
               message: str | pl.Expr, value: pl.Expr | None = None, limit: int = 10_000) -> pl.LazyFrame:
    """Row issues for the rows where `mask` holds."""
    msg = pl.lit(message) if isinstance(message, str) else message
    val = (value if value is not None else (pl.col(column) if column else pl.lit(None))).cast(pl.String)
    return lf.filter(mask).select(
        pl.col(ROW_ID).alias("row_index"), pl.lit(column, dtype=pl.String).alias("column"),
        pl.lit(issue_type).alias("issue_type"), pl.lit(severity).alias("severity"),
        msg.alias("message"), val.alias("value"),
    ).head(limit)


def table(title: str, columns: list[str], rows: Iterable[Iterable[Any]], limit: int = 1000) -> dict[str, Any]:
    out = []
    for i, r in enumerate(rows):
        if i >= limit:
            break
        out.append([_scalar(v) for v in r])
    return {"title": title, "columns": columns, "rows": out}


def table_from_frame(title: str, df: pl.DataFrame, limit: int = 1000) -> dict[str, Any]:
    return table(title, df.columns, df.head(limit).iter_rows(), limit)


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (list, tuple)):
        return ", ".join(map(str, v))
    return str(v)


def bar_chart(title: str, labels: list[Any], values: list[float], name: str = "count",
              x_title: str | None = None, y_title: str | None = None) -> dict[str, Any]:
    chart: dict[str, Any] = {"title": title, "type": "bar", "labels": labels,
                             "series": [{"name": name, "values": values}]}
    if x_title:
        chart["x_title"] = x_title
    if y_title:
        chart["y_title"] = y_title
    return chart
