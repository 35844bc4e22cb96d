"""Run a tool: read inputs, run the selected agents in pipeline order, write the outputs.

Used by the CLI and by the queue worker alike; no HTTP, SQL or Celery here. Rules it owns:
- agents run in the tool's order; data-changing agents hand typed Parquet to the next one;
- an agent that fails is reported (not charged by the caller) and, if it changes data, stops the chain
  (the agents after it are "skipped": they would work on wrong data);
- cancellation is checked between agents and inside agents (`RunContext.check_cancelled`);
- partial results of agents that finished are kept in the report;
- outputs (data, agent files, row issues, reports) are written only for completed or failed runs;
- `RunOutcome.delivered_agents` lists the agents that succeeded: the caller charges only those.
"""

from __future__ import annotations

import importlib
import logging
import re
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import polars as pl

from agensium.engine.agent import (
    IN_MEMORY_MAX_BYTES,
    ROW_ID,
    ROW_ISSUE_SCHEMA,
    SCRATCH_COMPRESSION,
    AgentError,
    AgentResult,
    Dataset,
    OutputFile,
    RunContext,
    TaskCancelled,
)
from agensium.engine.io import s3
from agensium.engine.io.csv_writer import csv_ready
from agensium.engine.io.layout import ReadOptions
from agensium.engine.io.readers import read_dataset
from agensium.engine.registry import (
    INPUT_KEY,
    get_tool,
    load_agent_class,
    resolve_agents,
    validate_parameters,
)
from agensium.engine.report.model import build_report
from agensium.errors import AgensiumError, ErrorCode

log = logging.getLogger(__name__)

AgentProgress = Callable[[str, int, int, float], None]
"""(agent_id, index, total, fraction within the agent 0..1)."""
AgentFinished = Callable[[AgentResult], None]

DATA_SUFFIX = {"clean-my-data": "cleaned", "master-my-data": "mastered"}
DATA_ROLES = ("primary", "baseline")

_PROPAGATE_BY_NAME = {"SoftTimeLimitExceeded", "TimeLimitExceeded", "WorkerLostError"}
"""Exceptions that belong to the caller (the queue's time limits), not to the agent: re-raised by name
because the engine must not import Celery."""


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
    inputs: dict[str, Path | str]
    """role -> local file or s3:// URI (primary, baseline, schema)."""
    out_dir: Path
    agents: list[str] | None = None
    parameters: dict[str, Any] | None = None
    display_names: dict[str, str] = field(default_factory=dict)
    task_id: str | None = None
    write_parquet: bool = False
    formats: tuple[str, ...] = ("json", "xlsx", "html")
    work_dir: Path | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    """How to read the primary input (sheet, header row); set fields win over `parameters["input"]`."""
    in_memory_max_bytes: int = IN_MEMORY_MAX_BYTES
    """The primary input is held in memory when its table would take at most this many bytes (0: always
    streamed to Parquet). A baseline is always streamed: only drift reads it, once, in column batches, and
    holding both tables would double the run's memory."""


def _display_name(src: Path | str) -> str:
    return PurePosixPath(str(src)).name if s3.is_s3_uri(src) else Path(src).name


def _row_issue_frame(result: AgentResult) -> pl.DataFrame | None:
    """The agent's row issues in the common schema (unknown columns dropped, missing ones null)."""
    ri = result.row_issues
    if ri is None:
        return None
    df = ri.collect() if isinstance(ri, pl.LazyFrame) else ri
    if df.height == 0:
        return None
    df = df.select([pl.col(c).cast(t, strict=False) if c in df.columns else pl.lit(None, dtype=t).alias(c)
                    for c, t in ROW_ISSUE_SCHEMA.items()])
    return df.with_columns(pl.lit(result.agent_id).alias("agent_id"))


def _materialise(data: pl.LazyFrame | pl.DataFrame, path: Path) -> None:
    if isinstance(data, pl.DataFrame):
        data.write_parquet(path, compression=SCRATCH_COMPRESSION)
    else:
        data.sink_parquet(path, compression=SCRATCH_COMPRESSION)


def _write_final_data(tool_id: str, data: Dataset, out_dir: Path, parquet: bool) -> list[OutputFile]:
    base = Path(data.name).stem or "data"
    suffix = DATA_SUFFIX.get(tool_id, "output")
    lf = data.lazy()
    if ROW_ID in data.schema.names():
        # agents keep row order, so the (memory-hungry at 10M rows) sort is only a safety net
        in_order = lf.select((pl.col(ROW_ID).diff() >= 0).all()).collect().item()
        lf = (lf if in_order else lf.sort(ROW_ID)).drop(ROW_ID)
    files: list[OutputFile] = []
    csv_path = out_dir / f"{base}_{suffix}.csv"
    csv_ready(lf).sink_csv(csv_path)
    rows = data.row_count
    files.append(OutputFile(name=csv_path.name, path=csv_path, kind="data", mime_type="text/csv", rows=rows))
    if parquet:
        pq_path = out_dir / f"{base}_{suffix}.parquet"
        lf.sink_parquet(pq_path)
        files.append(OutputFile(name=pq_path.name, path=pq_path, kind="data",
                                mime_type="application/vnd.apache.parquet", rows=rows))
    return files


def _write_reports(report: dict[str, Any], tool_id: str, out_dir: Path, formats: tuple[str, ...]) -> list[OutputFile]:
    """Each format on its own: a writer bug must not cost the user the other reports (JSON first)."""
    from agensium.engine.report import writers

    files: list[OutputFile] = []
    for fmt in writers.FORMATS:
        if fmt not in formats:
            continue
        try:
            files += writers.write_reports(report, tool_id, out_dir, (fmt,))
        except Exception:
            if fmt == "json":
                raise
            log.error("writing the %s report failed:\n%s", fmt, traceback.format_exc())
    return files


def _check_request(req: RunRequest, tool: Any, agent_ids: list[str]) -> None:
    from agensium.engine.report.writers import FORMATS

    unknown = [f for f in req.formats if f not in FORMATS]
    if unknown:
        raise AgensiumError(ErrorCode.VALIDATION_ERROR, f"Unknown report format(s): {', '.join(map(str, unknown))}",
                            {"formats": list(FORMATS)})
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
    _check_request(req, tool, agent_ids)

    req.out_dir.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]", "_", req.out_dir.name)  # agents scan Parquet here: no glob characters
    work = req.work_dir or (req.out_dir.parent / f".work-{safe}")
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(req, tool, agent_ids, params, work, started, on_progress, on_agent_finished, is_cancelled)
    finally:
        if req.work_dir is None:
            shutil.rmtree(work, ignore_errors=True)


def _preload(tool: Any, agent_ids: list[str]) -> threading.Thread | None:
    """Import the heavy modules the run's agents use lazily (`preload_modules` on the agent class) in a
    background thread while the inputs are read: the reader is mostly GIL-free Polars work, so the imports
    (scipy.special: ~0.2 s) mostly overlap with it."""
    modules: list[str] = []
    for agent_id in agent_ids:
        try:
            cls = load_agent_class(tool.agent(agent_id))
        except Exception:  # reported when the agent runs
            continue
        modules += [m for m in getattr(cls, "preload_modules", ()) if m not in modules]
    if not modules:
        return None

    def work() -> None:
        for m in modules:
            try:
                importlib.import_module(m)
            except Exception:  # the agent's own import reports it
                log.debug("preloading %s failed", m, exc_info=True)

    thread = threading.Thread(target=work, name="agensium-preload", daemon=True)
    thread.start()
    return thread


def _read_inputs(req: RunRequest, work: Path) -> tuple[Dataset, Dataset | None, Path | None]:
    names = {role: req.display_names.get(role) or _display_name(src) for role, src in req.inputs.items()}
    roles = [role for role in DATA_ROLES if role in req.inputs]

    given = (req.parameters or {}).get(INPUT_KEY) or {}
    options = ReadOptions.model_validate({**given, **req.read.model_dump(exclude_none=True)})

    def read(role: str) -> Dataset:
        return read_dataset(req.inputs[role], work / f"input-{role}.parquet", names[role],
                            options=options if role == "primary" else ReadOptions(sheet=options.sheet),
                            in_memory_max_bytes=req.in_memory_max_bytes if role == "primary" else 0)

    # one after the other: each read already keeps the cores busy, and two side by side would hold both
    # readers' buffers at once; the primary is read first, so its error is the one reported
    datasets: dict[str, Dataset] = {role: read(role) for role in roles}
    schema_path: Path | None = None
    if "schema" in req.inputs:
        src = req.inputs["schema"]
        schema_path = s3.download(str(src), work / "input-schema") if s3.is_s3_uri(src) else Path(src)
        if not schema_path.is_file():
            raise AgensiumError(ErrorCode.FILES_NOT_FOUND, f"{names['schema']}: file not found",
                                {"file": names["schema"]})
    return datasets["primary"], datasets.get("baseline"), schema_path


def _run_agent(cls: Any, spec: Any, params: Any, ctx: RunContext, work: Path, index: int) -> AgentResult:
    """Run one agent; its failure becomes a failed result. Only cancellation and the caller's limits escape."""
    agent_id = spec.id
    try:
        if cls is None:
            raise AgensiumError(ErrorCode.AGENT_ERROR, f"{agent_id} is not available in this build")
        result = cls().run(params, ctx)
        if not isinstance(result, AgentResult):
            raise TypeError(f"{agent_id} returned {type(result).__name__}, not an AgentResult")
        result.agent_id = agent_id
        result.parameters = params.model_dump(mode="json")
        if result.status != "success":
            return result
        if result.data_out is not None and spec.changes_data:
            path = work / f"data-{index:02d}-{agent_id}.parquet"
            _materialise(result.data_out, path)
            data = Dataset(path=path, name=ctx.original.name, source_format="parquet")
            if ROW_ID not in data.schema.names():
                raise AgensiumError(ErrorCode.AGENT_ERROR, f"{agent_id} dropped the row id column {ROW_ID}")
            ctx.data = data
        result.data_out = None
        return result
    except TaskCancelled:
        raise
    except AgensiumError as exc:
        return AgentResult(agent_id=agent_id, status="failed", error=AgentError(code=exc.code.value, message=exc.message))
    except Exception as exc:
        if type(exc).__name__ in _PROPAGATE_BY_NAME:
            raise
        log.error("agent %s failed:\n%s", agent_id, traceback.format_exc())
        return AgentResult(agent_id=agent_id, status="failed",
                           error=AgentError(code=ErrorCode.AGENT_ERROR.value, message=f"{type(exc).__name__}: {exc}"))


def _publish_agent_outputs(results: list[AgentResult], out: Path) -> list[OutputFile]:
    """Move each successful agent's files into `out`; a name two agents both used gets the agent id prefixed."""
    outputs: list[OutputFile] = []
    taken: set[str] = set()
    for r in results:
        if r.status != "success":
            continue
        for o in r.outputs:
            if not Path(o.path).is_file():
                log.warning("agent %s declared a missing output file %s", r.agent_id, o.path)
                continue
            name = o.name if o.name not in taken else f"{r.agent_id}_{o.name}"
            taken.add(name)
            dest = out / name
            if Path(o.path).resolve() != dest.resolve():
                shutil.move(str(o.path), dest)
            outputs.append(o.model_copy(update={"path": dest, "name": name}))
    return outputs


def _run(req, tool, agent_ids, params, work, started, on_progress, on_agent_finished, is_cancelled) -> RunOutcome:
    preloading = _preload(tool, agent_ids)
    primary, baseline, schema_path = _read_inputs(req, work)
    if preloading is not None:  # finished before the agents start: no import then competes for the GIL
        preloading.join()
    ctx = RunContext(
        tool_id=tool.id, work_dir=work, data=primary, original=primary, baseline=baseline,
        schema_path=schema_path, is_cancelled=is_cancelled or (lambda: False),
        state={"agents": list(agent_ids), "parameters": params},
    )
    inputs_meta = {
        role: {"name": ds.name, "rows": ds.row_count, "columns": len(ds.columns), "format": ds.source_format,
               "read_notes": ds.read_notes}
        for role, ds in (("primary", primary), ("baseline", baseline)) if ds is not None
    }
    if schema_path is not None:
        inputs_meta["schema"] = {"name": req.display_names.get("schema") or _display_name(req.inputs["schema"]),
                                 "format": schema_path.suffix.lstrip(".").lower()}
    results: list[AgentResult] = []
    status: Literal["completed", "failed", "cancelled"] = "completed"
    error: AgentError | None = None
    failed_agent: str | None = None
    total = len(agent_ids)
    for index, agent_id in enumerate(agent_ids):
        spec = tool.agent(agent_id)
        if status == "completed" and ctx.is_cancelled():
            status, error = "cancelled", AgentError(code=ErrorCode.CANCELLED.value, message="The run was cancelled")
        if status != "completed":
            results.append(AgentResult(agent_id=agent_id, status="skipped"))
            continue

        def progress(fraction: float, message: str | None = None, _a: str = agent_id, _i: int = index) -> None:
            if on_progress:
                on_progress(_a, _i, total, max(0.0, min(1.0, float(fraction))))

        ctx.progress = progress
        ctx.agent_dir = work / "agents" / agent_id
        progress(0.0)
        t0 = time.perf_counter()
        try:
            try:
                cls = load_agent_class(spec)
            except Exception as exc:  # a broken agent module must not sink the run
                if type(exc).__name__ in _PROPAGATE_BY_NAME:
                    raise
                log.error("agent %s cannot be imported:\n%s", agent_id, traceback.format_exc())
                cls = None
            result = _run_agent(cls, spec, params[agent_id], ctx, work, index)
        except TaskCancelled:
            result = AgentResult(agent_id=agent_id, status="cancelled")
            status, error = "cancelled", AgentError(code=ErrorCode.CANCELLED.value, message="The run was cancelled")
        result.duration_ms = int((time.perf_counter() - t0) * 1000)
        results.append(result)
        ctx.results[agent_id] = result
        if result.status == "failed" and spec.changes_data:
            status, error, failed_agent = "failed", result.error, agent_id
        if result.status != "cancelled":
            progress(1.0)
        if on_agent_finished:
            on_agent_finished(result)

    frames = []
    for r in results:
        if r.status != "success":
            continue
        try:
            if (f := _row_issue_frame(r)) is not None:
                frames.append(f)
        except Exception:
            log.error("agent %s returned unusable row issues:\n%s", r.agent_id, traceback.format_exc())
    schema = {**ROW_ISSUE_SCHEMA, "agent_id": pl.String()}
    row_issues = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)
    row_issues = row_issues.sort(["row_index", "agent_id"], maintain_order=True, nulls_last=True)

    out = req.out_dir
    outputs: list[OutputFile] = []
    if status != "cancelled":
        if status == "completed" and any(tool.agent(a).changes_data for a in agent_ids):
            outputs += _write_final_data(tool.id, ctx.data, out, req.write_parquet)
        outputs += _publish_agent_outputs(results, out)
        if row_issues.height:
            ri_path = out / "row_issues.csv"
            row_issues.write_csv(ri_path)
            outputs.append(OutputFile(name=ri_path.name, path=ri_path, kind="row_issues", mime_type="text/csv",
                                      rows=row_issues.height))
    failed_any = next((r for r in results if r.status == "failed"), None)
    if status == "completed" and failed_any is not None and not any(r.status == "success" for r in results):
        status, error, failed_agent = "failed", failed_any.error, failed_any.agent_id
    finished = datetime.now(UTC)
    report = build_report(
        tool_id=tool.id, tool_name=tool.name, agents=agent_ids, results=results, row_issues=row_issues,
        started_at=started, finished_at=finished, inputs=inputs_meta, status=status, task_id=req.task_id,
        outputs=[{"name": o.name, "kind": o.kind, "rows": o.rows} for o in outputs],
    )
    if status != "cancelled":
        outputs += _write_reports(report, tool.id, out, req.formats)
    return RunOutcome(status=status, report=report, outputs=outputs, results=results, error=error,
                      failed_agent=failed_agent,
                      delivered_agents=[r.agent_id for r in results if r.status == "success"])
