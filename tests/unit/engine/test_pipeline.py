"""run_tool with fake agents: order, data hand-over, failures, cancellation, outputs and billing list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from agensium.engine import pipeline, registry
from agensium.engine.agent import ROW_ID, Agent, AgentParams, AgentResult, OutputFile, RunContext
from agensium.engine.pipeline import RunRequest, run_tool
from agensium.errors import AgensiumError, ErrorCode

CALLS: list[str] = []


class Noop(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append(type(self).__name__)
        return AgentResult(agent_id="x", summary={"rows": ctx.data.row_count}, score=100.0)


class DropNegative(Agent):
    """Data-changing: removes rows with a negative amount, reports them as row issues and a quarantine file."""

    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append("DropNegative")
        lf = ctx.data.lazy()
        bad = lf.filter(pl.col("amount") < 0).collect()
        path = ctx.output_path("quarantine.csv")
        bad.drop(ROW_ID).write_csv(path)
        issues = bad.select(pl.col(ROW_ID).alias("row_index"), pl.lit("amount").alias("column"),
                            pl.lit("negative").alias("issue_type"), pl.lit("high").alias("severity"),
                            pl.lit("negative amount").alias("message"), pl.col("amount").cast(pl.String).alias("value"))
        return AgentResult(agent_id="quarantine-agent", data_out=lf.filter(pl.col("amount") >= 0), row_issues=issues,
                           outputs=[OutputFile(name="quarantine.csv", path=path, kind="quarantine", rows=bad.height)])


class Upper(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append("Upper")
        ctx.progress(0.5)
        return AgentResult(agent_id="type-fixer", data_out=ctx.data.lazy().with_columns(pl.col("name").str.to_uppercase()))


class Boom(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append("Boom")
        raise ValueError("boom")


class CodedFailure(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append("CodedFailure")
        raise AgensiumError(ErrorCode.INVALID_SCHEMA_FILE, "bad contract")


class DropsRowId(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        return AgentResult(agent_id="x", data_out=ctx.data.lazy().drop(ROW_ID))


class SeesState(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append("SeesState")
        return AgentResult(agent_id="x", summary={"upstream": ",".join(ctx.results), "schema": str(ctx.schema_path),
                                                  "rows": ctx.data.row_count, "original_rows": ctx.original.row_count})


class WaitsForCancel(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        CALLS.append("WaitsForCancel")
        ctx._last_check = 0.0
        ctx.check_cancelled()
        return AgentResult(agent_id="x")


class SameOutputName(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        path = ctx.output_path("notes.txt")
        path.write_text(type(self).__name__)
        return AgentResult(agent_id="x", outputs=[OutputFile(name="notes.txt", path=path)])


class SameOutputName2(SameOutputName):
    pass


def _use(monkeypatch: pytest.MonkeyPatch, mapping: dict[str, type[Agent] | None]) -> None:
    """Route the pipeline (and parameter validation) to fake agents: the real ones are not needed here."""
    def load(spec: registry.AgentSpec) -> type[Agent] | None:
        return mapping.get(spec.id, Noop)

    monkeypatch.setattr(pipeline, "load_agent_class", load)
    monkeypatch.setattr(registry, "load_agent_class", load)
    CALLS.clear()


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    p = tmp_path / "sales.csv"
    p.write_text("name,amount\nann,5\nbob,-2\ncid,7\ndan,-1\neve,0\n")
    return p


def _req(tmp_path: Path, src: Path, tool: str = "clean-my-data", **kw: Any) -> RunRequest:
    return RunRequest(tool_id=tool, inputs={"primary": src}, out_dir=tmp_path / "out", **kw)


def test_data_changing_chain_outputs_and_billing(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"quarantine-agent": DropNegative, "type-fixer": Upper, "cleanse-writeback": SeesState})
    progress: list[tuple[str, float]] = []
    finished: list[str] = []
    outcome = run_tool(_req(tmp_path, data_csv, write_parquet=True,
                            agents=["cleanse-writeback", "type-fixer", "quarantine-agent", "cleanse-previewer"]),
                       on_progress=lambda a, i, n, f: progress.append((a, f)),
                       on_agent_finished=lambda r: finished.append(r.agent_id))
    order = ["cleanse-previewer", "quarantine-agent", "type-fixer", "cleanse-writeback"]
    assert outcome.status == "completed" and outcome.error is None
    assert [r.agent_id for r in outcome.results] == order == finished == outcome.delivered_agents
    assert CALLS == ["Noop", "DropNegative", "Upper", "SeesState"]
    assert ("type-fixer", 0.5) in progress and progress[0] == ("cleanse-previewer", 0.0)
    writeback = outcome.report["agent_results"]["cleanse-writeback"]["summary"]
    assert writeback == {"upstream": "cleanse-previewer,quarantine-agent,type-fixer", "schema": "None",
                         "rows": 3, "original_rows": 5}
    out = tmp_path / "out"
    final = pl.read_csv(out / "sales_cleaned.csv")
    assert final.rows() == [("ANN", 5), ("CID", 7), ("EVE", 0)]  # original order, no ROW_ID
    assert pl.read_parquet(out / "sales_cleaned.parquet").rows() == final.rows()
    assert pl.read_csv(out / "quarantine.csv").rows() == [("bob", -2), ("dan", -1)]
    issues = pl.read_csv(out / "row_issues.csv")
    assert issues["row_index"].to_list() == [1, 3] and set(issues["agent_id"]) == {"quarantine-agent"}
    names = {o.name: o.kind for o in outcome.outputs}
    assert names == {"sales_cleaned.csv": "data", "sales_cleaned.parquet": "data", "quarantine.csv": "quarantine",
                     "row_issues.csv": "row_issues", "clean_my_data_report.json": "report",
                     "clean_my_data_report.xlsx": "report", "clean_my_data_report.html": "report"}
    report = json.loads((out / "clean_my_data_report.json").read_text())
    assert report["metadata"]["status"] == "completed"
    assert report["metadata"]["inputs"]["primary"]["read_notes"]["delimiter"] == ","
    assert not (tmp_path / ".work-out").exists()


def test_failing_analysis_agent_is_reported_and_not_delivered(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"cleanse-previewer": Boom, "type-fixer": Upper})
    outcome = run_tool(_req(tmp_path, data_csv, agents=["cleanse-previewer", "type-fixer", "cleanse-writeback"]))
    assert outcome.status == "completed"
    prev = outcome.results[0]
    assert prev.status == "failed" and prev.error.code == "AGENT_ERROR" and "boom" in prev.error.message
    assert outcome.delivered_agents == ["type-fixer", "cleanse-writeback"]
    assert outcome.report["agent_results"]["cleanse-previewer"]["error"]["message"] == "ValueError: boom"
    assert pl.read_csv(tmp_path / "out" / "sales_cleaned.csv")["name"].to_list()[0] == "ANN"


def test_failing_data_changing_agent_stops_the_chain(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"quarantine-agent": CodedFailure, "type-fixer": Upper})
    outcome = run_tool(_req(tmp_path, data_csv))
    statuses = {r.agent_id: r.status for r in outcome.results}
    assert statuses["cleanse-previewer"] == "success" and statuses["quarantine-agent"] == "failed"
    assert all(statuses[a] == "skipped" for a in ("type-fixer", "null-handler", "cleanse-writeback"))
    assert "Upper" not in CALLS
    assert outcome.status == "failed" and outcome.failed_agent == "quarantine-agent"
    assert outcome.error.code == "INVALID_SCHEMA_FILE"
    assert outcome.delivered_agents == ["cleanse-previewer"]
    kinds = sorted(o.kind for o in outcome.outputs)
    assert kinds == ["report", "report", "report"]  # reports yes, data no


def test_every_agent_failing_fails_the_run(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"unified-profiler": Boom, "score-risk": None})
    outcome = run_tool(_req(tmp_path, data_csv, tool="profile-my-data", agents=["unified-profiler", "score-risk"]))
    assert outcome.status == "failed" and outcome.delivered_agents == []
    assert "not available" in outcome.results[1].error.message


def test_cancel_between_agents_keeps_partial_results_and_writes_nothing(tmp_path: Path, data_csv: Path,
                                                                         monkeypatch) -> None:
    _use(monkeypatch, {"quarantine-agent": DropNegative})
    done: list[str] = []
    outcome = run_tool(_req(tmp_path, data_csv), on_agent_finished=lambda r: done.append(r.agent_id),
                       is_cancelled=lambda: len(done) >= 2)
    assert outcome.status == "cancelled" and outcome.error.code == "CANCELLED"
    assert [r.status for r in outcome.results][:3] == ["success", "success", "skipped"]
    assert outcome.delivered_agents == ["cleanse-previewer", "quarantine-agent"]
    assert outcome.report["metadata"]["status"] == "cancelled"
    assert outcome.report["agent_results"]["quarantine-agent"]["status"] == "success"
    assert outcome.outputs == [] and list((tmp_path / "out").iterdir()) == []


def test_cancel_inside_an_agent(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"type-fixer": WaitsForCancel})
    flag = {"on": False}

    def progress(agent: str, i: int, n: int, f: float) -> None:
        flag["on"] = flag["on"] or agent == "type-fixer"

    outcome = run_tool(_req(tmp_path, data_csv, agents=["cleanse-previewer", "type-fixer", "null-handler"]),
                       on_progress=progress, is_cancelled=lambda: flag["on"])
    assert [r.status for r in outcome.results] == ["success", "cancelled", "skipped"]
    assert outcome.status == "cancelled" and outcome.delivered_agents == ["cleanse-previewer"]


def test_agent_that_drops_row_id_fails(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"type-fixer": DropsRowId})
    outcome = run_tool(_req(tmp_path, data_csv, agents=["type-fixer", "cleanse-writeback"]))
    assert outcome.results[0].status == "failed" and ROW_ID in outcome.results[0].error.message
    assert outcome.status == "failed" and outcome.results[1].status == "skipped"


def test_output_name_clash_keeps_both_files(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"unified-profiler": SameOutputName, "score-risk": SameOutputName2})
    outcome = run_tool(_req(tmp_path, data_csv, tool="profile-my-data", agents=["unified-profiler", "score-risk"],
                            formats=("json",)))
    out = tmp_path / "out"
    assert (out / "notes.txt").read_text() == "SameOutputName"
    assert (out / "score-risk_notes.txt").read_text() == "SameOutputName2"
    assert [o.name for o in outcome.outputs] == ["notes.txt", "score-risk_notes.txt", "profile_my_data_report.json"]


def test_schema_role_is_passed_as_a_path(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {"key-identifier": SeesState})
    contract = tmp_path / "contract.yaml"
    contract.write_text("columns: []\n")
    req = RunRequest(tool_id="master-my-data", inputs={"primary": data_csv, "schema": contract},
                     out_dir=tmp_path / "out", agents=["key-identifier"], formats=("json",))
    outcome = run_tool(req)
    assert outcome.report["agent_results"]["key-identifier"]["summary"]["schema"] == str(contract)
    assert outcome.report["metadata"]["inputs"]["schema"] == {"name": "contract.yaml", "format": "yaml"}


def test_bad_requests_raise_before_anything_runs(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    _use(monkeypatch, {})
    with pytest.raises(AgensiumError) as info:
        run_tool(_req(tmp_path, data_csv, tool="profile-my-data", agents=["drift-detector"]))
    assert info.value.code == ErrorCode.MISSING_BASELINE
    with pytest.raises(AgensiumError) as info:
        run_tool(RunRequest(tool_id="clean-my-data", inputs={"primary": data_csv, "baseline": data_csv},
                            out_dir=tmp_path / "o"))
    assert info.value.code == ErrorCode.INVALID_FILE_ROLE
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(AgensiumError) as info:
        run_tool(_req(tmp_path, empty))
    assert info.value.code == ErrorCode.FILE_EMPTY
    assert CALLS == []


def test_params_reach_the_agent(tmp_path: Path, data_csv: Path, monkeypatch) -> None:
    class P(AgentParams):
        limit: int = 3

    class WithParams(Agent):
        Params = P

        def run(self, params: P, ctx: RunContext) -> AgentResult:
            return AgentResult(agent_id="x", summary={"limit": params.limit})

    _use(monkeypatch, {"unified-profiler": WithParams})
    outcome = run_tool(_req(tmp_path, data_csv, tool="profile-my-data", agents=["unified-profiler"],
                            parameters={"unified-profiler": {"limit": 9}}, formats=("json",)))
    res = outcome.report["agent_results"]["unified-profiler"]
    assert res["summary"] == {"limit": 9} and res["parameters"] == {"limit": 9}


class Reorders(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        return AgentResult(agent_id="x", data_out=ctx.data.lazy().sort("amount", descending=True))


def test_final_data_is_in_original_row_order_even_if_an_agent_reorders(tmp_path: Path, data_csv: Path,
                                                                        monkeypatch) -> None:
    _use(monkeypatch, {"type-fixer": Reorders})
    run_tool(_req(tmp_path, data_csv, agents=["type-fixer"], formats=("json",)))
    final = pl.read_csv(tmp_path / "out" / "sales_cleaned.csv")
    assert final["name"].to_list() == ["ann", "bob", "cid", "dan", "eve"]
