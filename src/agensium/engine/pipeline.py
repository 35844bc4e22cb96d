"""Run a tool: read inputs, run the selected agents in pipeline order, write the outputs.

Used by the CLI and by the queue worker alike; no HTTP, SQL or Celery here. Rules it owns:
- agents run in the tool's order; data-changing agents hand typed Parquet to the next one;
- an agent that fails is reported (not charged by the caller) and, if it changes data, stops the chain;
- cancellation is checked between agents and inside agents (`RunContext.check_cancelled`);
- partial results of agents that finished are kept in the report.
"""

from __future__ import annotations

import logging
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import polars as pl

from agensium.engine.agent import (
    ROW_ID,
    ROW_ISSUE_SCHEMA,
    AgentError,
    AgentResult,
    Dataset,
    OutputFile,
    RunContext,
    TaskCancelled,
)
from agensium.engine.io.readers import read_dataset
from agensium.engine.registry import get_tool, load_agent_class, resolve_agents, validate_parameters
from agensium.engine.report.model import build_report
from agensium.errors import AgensiumError, ErrorCode

log = logging.getLogger(__name__)

AgentProgress = Callable[[str, int, int, float], None]
"""(agent_id, index, total, fraction within the agent 0..1)."""
AgentFinished = Callable[[AgentResult], None]

DATA_SUFFIX = {"clean-my-data": "cleaned", "master-my-data": "mastered"}


@dataclass
class RunOutcome:
    status: Literal["completed", "failed", "cancelled"]
    report: dict[str, Any]
    outputs: list[OutputFile]
    results: list[AgentResult]
    error: AgentError | None = None
    failed_agent: str | None = None
    delivered_agents: list[str] = field(default_factory=list)


@dataclass
class RunRequest:
    tool_id: str
    inputs: dict[str, Path]
    """role -> local file (primary, baseline, schema)."""
    out_dir: Path
    agents: list[str] | None = None
    parameters: dict[str, Any] | None = None
    display_names: dict[str, str] = field(default_factory=dict)
    task_id: str | None = None
    write_parquet: bool = False
    formats: tuple[str, ...] = ("json", "xlsx", "html")
    work_dir: Path | None = None


def _row_issue_frame(result: AgentResult) -> pl.DataFrame | None:
    ri = result.row_issues
    if ri is None:
        return None
    df = ri.collect() if isinstance(ri, pl.LazyFrame) else ri
    if df.height == 0:
        return None
    df = df.select([pl.col(c).cast(t) if c in df.columns else pl.lit(None, dtype=t).alias(c)
                    for c, t in ROW_ISSUE_SCHEMA.items()])
    return df.with_columns(pl.lit(result.agent_id).alias("agent_id"))


def _materialise(data: pl.LazyFrame | pl.DataFrame, path: Path) -> None:
    if isinstance(data, pl.DataFrame):
        data.write_parquet(path)
    else:
        data.sink_parquet(path)


def _write_final_data(tool_id: str, data: Dataset, out_dir: Path, parquet: bool) -> list[OutputFile]:
    base = Path(data.name).stem or "data"
    suffix = DATA_SUFFIX.get(tool_id, "output")
    lf = data.lazy().sort(ROW_ID).drop(ROW_ID) if ROW_ID in data.schema.names() else data.lazy()
    files: list[OutputFile] = []
    csv_path = out_dir / f"{base}_{suffix}.csv"
    lf.sink_csv(csv_path)
    files.append(OutputFile(name=csv_path.name, path=csv_path, kind="data", mime_type="text/csv", rows=data.row_count))
    if parquet:
        pq_path = out_dir / f"{base}_{suffix}.parquet"
        lf.sink_parquet(pq_path)
        files.append(OutputFile(name=pq_path.name, path=pq_path, kind="data",
                                mime_type="application/vnd.apache.parquet", rows=data.row_count))
    return files


def _write_reports(report: dict[str, Any], tool_id: str, out_dir: Path, formats: tuple[str, ...]) -> list[OutputFile]:
    from agensium.engine.report import writers

    return writers.write_reports(report, tool_id, out_dir, formats)


def run_tool(
    req: RunRequest,
    *,
    on_progress: AgentProgress | None = None,
    on_agent_finished: AgentFinished | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Run one tool end to end. Raises `AgensiumError` only for bad requests or unreadable inputs."""
    started = datetime.now(UTC)
    tool = get_tool(req.tool_id)
    agent_ids = resolve_agents(tool, req.agents)
    params = validate_parameters(tool, agent_ids, req.parameters)
    for role in req.inputs:
        if tool.file(role) is None:
            raise AgensiumError(ErrorCode.INVALID_FILE_ROLE, f"{tool.id} takes no '{role}' file", {"role": role})
    for f in tool.files:
        if f.required and f.role not in req.inputs:
            raise AgensiumError(ErrorCode.FILES_NOT_FOUND, f"Required input '{f.role}' is missing",
                                {"missing_files": [f.role]})
    for agent_id in agent_ids:
        spec = tool.agent(agent_id)
        assert spec is not None
        if "baseline" in spec.needs and "baseline" not in req.inputs:
            raise AgensiumError(ErrorCode.MISSING_BASELINE, f"{agent_id} needs a baseline file",
                                {"agent_id": agent_id})

    req.out_dir.mkdir(parents=True, exist_ok=True)
    work = req.work_dir or (req.out_dir.parent / f".work-{req.out_dir.name}")
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(req, tool, agent_ids, params, work, started, on_progress, on_agent_finished, is_cancelled)
    finally:
        if req.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)


def _run(req, tool, agent_ids, params, work, started, on_progress, on_agent_finished, is_cancelled) -> RunOutcome:
    names = {role: req.display_names.get(role, p.name) for role, p in req.inputs.items()}
    primary = read_dataset(req.inputs["primary"], work / "input-primary.parquet", names["primary"])
    baseline = None
    if "baseline" in req.inputs:
        baseline = read_dataset(req.inputs["baseline"], work / "input-baseline.parquet", names["baseline"])
    ctx = RunContext(
        tool_id=tool.id, work_dir=work, data=primary, original=primary, baseline=baseline,
        schema_path=req.inputs.get("schema"), is_cancelled=is_cancelled or (lambda: False),
    )
    inputs_meta = {
        role: {"name": ds.name, "rows": ds.row_count, "columns": len(ds.columns), "format": ds.source_format,
               "read_notes": ds.read_notes}
        for role, ds in (("primary", primary), ("baseline", baseline)) if ds is not None
    }
    results: list[AgentResult] = []
    status: Literal["completed", "failed", "cancelled"] = "completed"
    error: AgentError | None = None
    failed_agent: str | None = None
    total = len(agent_ids)
    for index, agent_id in enumerate(agent_ids):
        spec = tool.agent(agent_id)
        if status != "completed":
            results.append(AgentResult(agent_id=agent_id, status="skipped"))
            continue
        if ctx.is_cancelled():
            status = "cancelled"
            results.append(AgentResult(agent_id=agent_id, status="skipped"))
            continue

        def progress(fraction: float, message: str | None = None, _a: str = agent_id, _i: int = index) -> None:
            if on_progress:
                on_progress(_a, _i, total, max(0.0, min(1.0, fraction)))

        ctx.progress = progress
        ctx.agent_dir = work / "agents" / agent_id
        progress(0.0)
        t0 = time.perf_counter()
        cls = load_agent_class(spec)
        try:
            if cls is None:
                raise AgensiumError(ErrorCode.AGENT_ERROR, f"{agent_id} is not available in this build")
            result = cls().run(params[agent_id], ctx)
            result.parameters = params[agent_id].model_dump(mode="json")
            if result.data_out is not None and spec.changes_data:
                path = work / f"data-{index:02d}-{agent_id}.parquet"
                _materialise(result.data_out, path)
                ctx.data = Dataset(path=path, name=primary.name, source_format="parquet")
                result.data_out = None
        except TaskCancelled:
            result = AgentResult(agent_id=agent_id, status="cancelled")
            status = "cancelled"
        except AgensiumError as exc:
            result = AgentResult(agent_id=agent_id, status="failed",
                                 error=AgentError(code=exc.code.value, message=exc.message))
        except Exception as exc:
            log.error("agent %s failed:\n%s", agent_id, traceback.format_exc())
            result = AgentResult(agent_id=agent_id, status="failed",
                                 error=AgentError(code=ErrorCode.AGENT_ERROR.value, message=f"{type(exc).__name__}: {exc}"))
        result.duration_ms = int((time.perf_counter() - t0) * 1000)
        results.append(result)
        ctx.results[agent_id] = result
        if result.status == "failed" and spec.changes_data:
            status, error, failed_agent = "failed", result.error, agent_id
        progress(1.0)
        if on_agent_finished:
            on_agent_finished(result)

    frames = [f for r in results if (f := _row_issue_frame(r)) is not None]
    schema = {**ROW_ISSUE_SCHEMA, "agent_id": pl.String()}
    row_issues = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)
    row_issues = row_issues.sort(["row_index", "agent_id"], maintain_order=True)

    out = req.out_dir
    outputs: list[OutputFile] = []
    if status != "cancelled":
        if any(tool.agent(a).changes_data for a in agent_ids) and status == "completed":
            outputs += _write_final_data(tool.id, ctx.data, out, req.write_parquet)
        for r in results:
            for o in r.outputs:
                dest = out / o.name
                if o.path != dest:
                    shutil.move(str(o.path), dest)
                outputs.append(o.model_copy(update={"path": dest}))
        if row_issues.height:
            ri_path = out / "row_issues.csv"
            row_issues.write_csv(ri_path)
            outputs.append(OutputFile(name=ri_path.name, path=ri_path, kind="row_issues", mime_type="text/csv",
                                      rows=row_issues.height))
    finished = datetime.now(UTC)
    report = build_report(
        tool_id=tool.id, tool_name=tool.name, agents=agent_ids, results=results, row_issues=row_issues,
        started_at=started, finished_at=finished, inputs=inputs_meta, status=status, task_id=req.task_id,
        outputs=[{"name": o.name, "kind": o.kind, "rows": o.rows} for o in outputs],
    )
    if status != "cancelled":
        outputs += _write_reports(report, tool.id, out, req.formats)
    failed_any = next((r for r in results if r.status == "failed"), None)
    if status == "completed" and failed_any is not None and not any(r.status == "success" for r in results):
        status, error, failed_agent = "failed", failed_any.error, failed_any.agent_id
    return RunOutcome(status=status, report=report, outputs=outputs, results=results, error=error,
                      failed_agent=failed_agent,
                      delivered_agents=[r.agent_id for r in results if r.status == "success"])
