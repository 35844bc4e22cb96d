"""Shared helpers of the profile-agent tests: typed datasets with ROW_ID and a run context."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from agensium.engine.agent import ROW_ID, Dataset, RunContext


def make_dataset(df: pl.DataFrame, path: Path, name: str | None = None) -> Dataset:
    """Write `df` as the pipeline would: Parquet with the hidden 0-based ROW_ID column."""
    df.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64)).write_parquet(path)
    return Dataset(path=path, name=name or path.name)


def make_ctx(tmp_path: Path, df: pl.DataFrame, baseline: pl.DataFrame | None = None) -> RunContext:
    ds = make_dataset(df, tmp_path / "current.parquet", "current.csv")
    base = make_dataset(baseline, tmp_path / "baseline.parquet", "baseline.csv") if baseline is not None else None
    ctx = RunContext(tool_id="profile-my-data", work_dir=tmp_path, data=ds, original=ds, baseline=base)
    ctx.agent_dir = tmp_path / "agent"
    return ctx


def column(result_data: dict, name: str) -> dict:
    return next(c for c in result_data["columns"] if c["name"] == name)
