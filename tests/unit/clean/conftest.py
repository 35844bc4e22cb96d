"""Helpers for the clean-agent tests: a run context over a small in-memory table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest

from agensium.engine.agent import ROW_ID, AgentResult, Dataset, RunContext


class Harness:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path

    def ctx(self, df: pl.DataFrame | dict[str, Any], **state: Any) -> RunContext:
        frame = df if isinstance(df, pl.DataFrame) else pl.DataFrame(df)
        frame = frame.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64))
        path = self.tmp / f"data-{len(list(self.tmp.glob('data-*')))}.parquet"
        frame.write_parquet(path)
        ds = Dataset(path=path, name="input.csv")
        return RunContext(
            tool_id="clean-my-data",
            work_dir=self.tmp,
            data=ds,
            original=ds,
            agent_dir=self.tmp / "agent",
            state=dict(state),
        )

    @staticmethod
    def out(result: AgentResult, ctx: RunContext) -> pl.DataFrame:
        """The agent's output data (or the unchanged input when it changed nothing)."""
        if result.data_out is None:
            return ctx.data.lazy().collect()
        d = result.data_out
        return d.collect() if isinstance(d, pl.LazyFrame) else d


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(tmp_path)
