"""Where rows that leave the data go: the quarantine file and the list of removed duplicates.

Every agent that takes rows out records them here (in `ctx.state`), so that no row is ever lost:
quarantined rows are written, with their original values, row number and reasons, to one
`quarantine.csv`; each quarantining agent rewrites the combined file and takes it over from the
agent before it, so the published file holds every quarantined row exactly once. cleanse-writeback
reads the same ledger to check that cleaned + quarantined + removed == original rows.
"""

from __future__ import annotations

import polars as pl

from agensium.engine.agent import ROW_ID, AgentResult, OutputFile, RunContext
from agensium.engine.io.csv_writer import csv_ready

QUARANTINE_KEY = "clean.quarantine"
REMOVED_KEY = "clean.removed"
QUARANTINE_FILE = "quarantine.csv"
QUARANTINE_SCHEMA = {ROW_ID: pl.Int64(), "quarantine_reason": pl.String(), "quarantined_by": pl.String()}
REMOVED_SCHEMA = {
    ROW_ID: pl.Int64(),
    "kept_row_id": pl.Int64(),
    "removed_by": pl.String(),
    "reason": pl.String(),
}


def _collected(ctx: RunContext, key: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Every frame recorded under `key` in this run, stacked (an empty, typed frame when none)."""
    frames = ctx.state.get(key, [])
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat(frames, how="vertical")


def quarantined(ctx: RunContext) -> pl.DataFrame:
    return _collected(ctx, QUARANTINE_KEY, QUARANTINE_SCHEMA)


def removed(ctx: RunContext) -> pl.DataFrame:
    return _collected(ctx, REMOVED_KEY, REMOVED_SCHEMA)


def record_removed(ctx: RunContext, agent_id: str, rows: pl.DataFrame) -> None:
    """`rows`: ROW_ID, kept_row_id, reason (rows merged into or duplicating the kept row)."""
    if rows.height == 0:
        return
    frame = rows.select(
        pl.col(ROW_ID).cast(pl.Int64),
        pl.col("kept_row_id").cast(pl.Int64),
        pl.lit(agent_id).alias("removed_by"),
        pl.col("reason").cast(pl.String),
    )
    ctx.state.setdefault(REMOVED_KEY, []).append(frame)


def quarantine(ctx: RunContext, result: AgentResult, agent_id: str, rows: pl.DataFrame) -> None:
    """Add `rows` (ROW_ID, quarantine_reason) to the run's quarantine and (re)write the file."""
    if rows.height == 0:
        return
    frame = (
        rows.group_by(ROW_ID, maintain_order=True)
        .agg(pl.col("quarantine_reason").unique(maintain_order=True).str.join("; "))
        .select(pl.col(ROW_ID).cast(pl.Int64), "quarantine_reason", pl.lit(agent_id).alias("quarantined_by"))
    )
    ctx.state.setdefault(QUARANTINE_KEY, []).append(frame)
    _write(ctx, result)


def _write(ctx: RunContext, result: AgentResult) -> None:
    ledger = quarantined(ctx).unique(subset=[ROW_ID], keep="first", maintain_order=True)
    original = ctx.original.lazy()
    data_cols = [c for c in original.collect_schema().names() if c != ROW_ID]
    reserved = {"row_number", "quarantine_reason", "quarantined_by"}
    renames = {c: f"{c} (data)" for c in data_cols if c in reserved}
    out = (
        ledger.lazy()
        .join(original, on=ROW_ID, how="left")
        .sort(ROW_ID)
        .rename(renames)
        .select(
            pl.col(ROW_ID).alias("row_number"),
            "quarantine_reason",
            "quarantined_by",
            *[renames.get(c, c) for c in data_cols],
        )
    )
    path = ctx.output_path(QUARANTINE_FILE)
    csv_ready(out).sink_csv(path)
    for earlier in ctx.results.values():
        earlier.outputs = [o for o in earlier.outputs if o.kind != "quarantine"]
    result.outputs = [o for o in result.outputs if o.kind != "quarantine"]
    result.outputs.append(
        OutputFile(
            name=QUARANTINE_FILE, path=path, kind="quarantine", mime_type="text/csv", rows=ledger.height
        )
    )


def drop_rows(lf: pl.LazyFrame, rows: pl.DataFrame) -> pl.LazyFrame:
    """`lf` without the rows whose ROW_ID is in `rows` (order kept)."""
    if rows.height == 0:
        return lf
    return lf.join(
        rows.select(pl.col(ROW_ID).cast(pl.Int64)).lazy(), on=ROW_ID, how="anti", maintain_order="left"
    )
