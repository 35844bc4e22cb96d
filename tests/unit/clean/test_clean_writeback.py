"""cleanse-writeback: each check passes on honest data and fails when something is unexplained."""

from __future__ import annotations

import polars as pl

from agensium.engine.agent import ROW_ID, AgentResult, Dataset
from agensium.engine.clean.cleanse_writeback import CleanseWriteback, CleanseWritebackParams
from agensium.engine.clean.null_handler import NullHandler, NullHandlerParams
from agensium.engine.clean.quarantine_agent import QuarantineAgent, QuarantineParams


def _checks(r: AgentResult) -> dict[str, bool]:
    return {c["check"]: c["passed"] for c in r.data["checks"]}


def _advance(ctx, result: AgentResult, agent_id: str) -> None:
    """What the pipeline does after a data-changing agent: materialise its output as the next dataset."""
    ctx.results[agent_id] = result
    if result.data_out is not None:
        path = ctx.work_dir / f"after-{agent_id}.parquet"
        result.data_out.collect().write_parquet(path)
        ctx.data = Dataset(path=path, name="input.csv")


def test_honest_chain_passes_every_check(h) -> None:
    ctx = h.ctx({"a": ["x", None, "N/A", "y"], "b": [1.0, None, 3.0, 4.0]})
    _advance(ctx, QuarantineAgent().run(QuarantineParams(), ctx), "quarantine-agent")
    _advance(ctx, NullHandler().run(NullHandlerParams(convert_null_tokens="all"), ctx), "null-handler")
    r = CleanseWriteback().run(CleanseWritebackParams(), ctx)
    assert _checks(r) == {
        "data_retention": True,
        "columns": True,
        "types": True,
        "numeric_finite": True,
        "no_new_nulls": True,
        "no_duplicates": True,
    }
    retention = r.data["checks"][0]["detail"]
    assert (retention["original_rows"], retention["cleaned_rows"], retention["quarantined_rows"]) == (4, 3, 1)
    assert r.score == 100.0 and r.summary["data_ready_for_pipeline"] is True
    pipeline = r.data["manifest"]["transformation_pipeline"]
    assert [p["agent_id"] for p in pipeline] == ["quarantine-agent", "null-handler"]


def test_unexplained_loss_nulls_columns_and_nan_fail(h) -> None:
    ctx = h.ctx({"a": ["x", "y", "z"], "b": [1.0, 2.0, 3.0]})
    bad = (
        ctx.data.lazy()
        .filter(pl.col(ROW_ID) != 1)
        .with_columns(
            pl.when(pl.col(ROW_ID) == 0).then(None).otherwise(pl.col("a")).alias("a"),
            pl.when(pl.col(ROW_ID) == 2).then(float("nan")).otherwise(pl.col("b")).alias("b"),
            pl.lit(1).alias("extra"),
        )
    )
    _advance(ctx, AgentResult(agent_id="rogue", data_out=bad, data={"manifest": {}}), "rogue")
    r = CleanseWriteback().run(CleanseWritebackParams(), ctx)
    checks = _checks(r)
    assert checks["data_retention"] is False
    assert checks["no_new_nulls"] is False and r.data["checks"][4]["detail"]["unexplained"] == {"a": 1}
    assert checks["columns"] is False and r.data["checks"][1]["detail"]["unexplained_new"] == ["extra"]
    assert checks["numeric_finite"] is False
    assert r.score is not None and r.score < 50
    assert any(a.severity == "critical" for a in r.alerts)
