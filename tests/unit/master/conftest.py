from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from agensium.engine.agent import ROW_ID, Dataset, RunContext

FAKE_1000 = Path("/work/shared/data/er/fake_1000.csv")


def make_dataset(df: pl.DataFrame, path: Path) -> Dataset:
    df.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64)).write_parquet(path)
    return Dataset(path=path, name="data.csv")


@pytest.fixture
def make_ctx(tmp_path):
    def _make(df: pl.DataFrame, schema_path: Path | None = None, agents: list[str] | None = None) -> RunContext:
        ds = make_dataset(df, tmp_path / "input.parquet")
        ctx = RunContext(tool_id="master-my-data", work_dir=tmp_path, data=ds, original=ds, schema_path=schema_path,
                         state={"agents": agents or []})
        ctx.agent_dir = tmp_path / "agent"
        return ctx
    return _make


@pytest.fixture
def advance(tmp_path):
    """What the pipeline does after a data-changing agent: materialise data_out as the next input."""
    def _advance(ctx: RunContext, result) -> None:
        if result.data_out is not None:
            path = tmp_path / f"{result.agent_id}.parquet"
            out = result.data_out.collect() if isinstance(result.data_out, pl.LazyFrame) else result.data_out
            out.write_parquet(path)
            ctx.data = Dataset(path=path, name="data.csv")
        ctx.results[result.agent_id] = result
    return _advance


@pytest.fixture(scope="session")
def fake_1000_path() -> Path:
    if not FAKE_1000.exists():
        pytest.skip("shared ER data not available")
    return FAKE_1000
