"""The job: run one task's pipeline in a worker and publish its outputs atomically.

Idempotency and redelivery (decided here):
- the job claims the task with a CAS QUEUED→PROCESSING; a delivery that finds the task finished,
  cancelled or already running does nothing;
- a delivery that finds it PROCESSING with a *stale* heartbeat (its worker died; Celery redelivered
  thanks to late acks) resumes it: it takes the row over with a CAS on `attempts` and runs the
  pipeline again from the inputs (at most `MAX_ATTEMPTS` times). Every later write is guarded by
  that attempt number, so the dead attempt can never publish. With a fresh heartbeat it retries later;
- credits are captured per delivered agent only when the results are published, in the same
  transaction as the final status, with keys `capture:{task}:{agent}`, so no redelivery charges twice;
  everything else is released (`release:{task}`).
Publishing: all outputs are uploaded first (plus `manifest.json`), then `Task.outputs` and the final
status are set in one transaction; if that CAS loses (cancelled meanwhile) or an upload fails, the
uploaded objects are deleted again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import or_, select, update

from agensium.engine.pipeline import RunOutcome, RunRequest, run_tool
from agensium.errors import AgensiumError, ErrorCode
from agensium.service import lifecycle, metrics
from agensium.service.billing import service as billing
from agensium.service.db import session_scope
from agensium.service.lifecycle import TaskStatus
from agensium.service.models import Task
from agensium.service.queue.celery_app import RUN_TASK, celery_app
from agensium.service.queue.runtime import AGENTS_START, Heartbeat, ProgressWriter, StopProbe
from agensium.settings import Settings, get_settings

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
"""The first run plus two resumes after a lost worker."""


@dataclass
class Claim:
    task_id: str
    user_id: str
    tool_id: str
    agents: list[str]
    inputs: dict[str, Any]
    has_parameters: bool
    attempt: int


# claiming ---------------------------------------------------------------------------------------
def claim(task_id: str, settings: Settings, now: datetime | None = None) -> Claim | str:
    """Take the task for this delivery, or say why not: 'skipped' (nothing to do) or 'busy' (running)."""
    now = now or datetime.now(UTC)
    detail = {"current_stage": "starting", "current_agent": None, "agents_total": None, "agents_completed": 0}
    with session_scope() as s:
        won = lifecycle.transition(s, task_id, TaskStatus.PROCESSING, only_from={TaskStatus.QUEUED}, now=now,
                                   where=(Task.cancel_requested.is_(False),),
                                   heartbeat_at=now, attempts=Task.attempts + 1, progress=AGENTS_START,
                                   current_agent=None, progress_detail=detail)
        if not won:
            row = s.get(Task, task_id)
            if row is None:
                return "skipped"
            if row.status == TaskStatus.PROCESSING.value:
                return _take_over(s, row, settings, now)
            if row.status in {TaskStatus.CANCELLED.value, TaskStatus.QUEUED.value} and row.cancel_requested:
                lifecycle.transition(s, task_id, TaskStatus.CANCELLED, only_from={TaskStatus.QUEUED}, now=now)
            if row.status in {t.value for t in lifecycle.TERMINAL} or row.cancel_requested:
                billing.release_rest(s, task_id, reason="task ended before it ran")
            return "skipped"
        row = s.get(Task, task_id, populate_existing=True)
        assert row is not None
        return _claim_of(row)


def _take_over(s: Any, row: Task, settings: Settings, now: datetime) -> Claim | str:
    cutoff = now - timedelta(seconds=settings.heartbeat_timeout_seconds)
    stale = row.heartbeat_at is None or row.heartbeat_at < cutoff
    if not stale:
        return "busy"
    overdue = row.processing_started_at is not None and (
        row.processing_started_at < now - timedelta(seconds=settings.task_time_limit_seconds))
    if row.attempts >= MAX_ATTEMPTS or overdue:
        return "skipped"  # the watchdog fails it (WORKER_LOST or TIMEOUT); a killed overrun never restarts
    won = s.execute(
        update(Task).where(Task.task_id == row.task_id, Task.status == TaskStatus.PROCESSING.value,
                           Task.attempts == row.attempts,
                           or_(Task.heartbeat_at.is_(None), Task.heartbeat_at < cutoff))
        .values(heartbeat_at=now, attempts=row.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        return "busy"
    log.warning("task %s: resuming after a lost worker (attempt %d)", row.task_id, row.attempts + 1)
    s.refresh(row)
    return _claim_of(row)


def _claim_of(row: Task) -> Claim:
    return Claim(task_id=row.task_id, user_id=row.user_id, tool_id=row.tool_id, agents=list(row.agents),
                 inputs=dict(row.inputs or {}), has_parameters=bool(row.has_parameters), attempt=row.attempts)


# running ----------------------------------------------------------------------------------------
def run_job(task_id: str, *, settings: Settings | None = None, storage: Any = None) -> str:
    """Run the task if this delivery may; returns completed|failed|cancelled|skipped|busy."""
    settings = settings or get_settings()
    if storage is None:
        from agensium.service.storage import get_storage

        storage = get_storage()
    got = claim(task_id, settings)
    if isinstance(got, str):
        log.info("task %s: delivery %s", task_id, got)
        return got
    started = time.monotonic()
    probe = StopProbe(task_id, got.attempt, started, settings.task_time_limit_seconds)
    writer = ProgressWriter(task_id, got.attempt, got.agents)
    with Heartbeat(task_id, got.attempt, settings.heartbeat_seconds), \
            tempfile.TemporaryDirectory(prefix="agensium-job-") as tmp:
        try:
            writer.write(AGENTS_START, None, "downloading_inputs", force=True)
            request = _prepare(got, storage, Path(tmp))
            outcome = run_tool(
                request,
                on_progress=writer.agent_progress,
                on_agent_finished=lambda r: (_agent_metric(got, r), writer.agent_finished(r.agent_id)),
                is_cancelled=probe,
            )
        except SoftTimeLimitExceeded:
            return _finish_failed(got, ErrorCode.TIMEOUT, "The task ran past its time limit", started)
        except AgensiumError as exc:
            return _finish_failed(got, exc.code, exc.message, started)
        except Exception as exc:
            log.error("task %s crashed:\n%s", task_id, traceback.format_exc())
            return _finish_failed(got, ErrorCode.INTERNAL_ERROR, f"Internal error ({type(exc).__name__})", started)
        if outcome.status == "cancelled":
            return _finish_stopped(got, probe.reason, started)
        writer.write(95, None, "publishing", force=True)
        return _publish(got, outcome, storage, started)


def _prepare(c: Claim, storage: Any, tmp: Path) -> RunRequest:
    """Stream the inputs to local files (never a whole file in memory) and read the parameters."""
    inputs: dict[str, Path] = {}
    names: dict[str, str] = {}
    for role, meta in c.inputs.items():
        ext = meta.get("ext") or Path(meta["key"]).suffix.lstrip(".")
        local = tmp / "inputs" / f"{role}.{ext}"
        storage.download_file(meta["key"], local)
        inputs[role] = local
        names[role] = meta.get("filename") or local.name
    parameters = None
    if c.has_parameters:
        local = tmp / "inputs" / "parameters.json"
        storage.download_file(storage.input_key(c.user_id, c.task_id, "parameters", "json"), local)
        try:
            parameters = json.loads(local.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AgensiumError(ErrorCode.INVALID_PARAMETERS, f"parameters.json is not valid JSON: {exc}") from exc
    return RunRequest(tool_id=c.tool_id, inputs=inputs, out_dir=tmp / "out", agents=c.agents,
                      parameters=parameters, display_names=names, task_id=c.task_id, work_dir=tmp / "work")


def _agent_metric(c: Claim, result: Any) -> None:
    metrics.AGENT_DURATION.labels(c.tool_id, result.agent_id, result.status).observe(result.duration_ms / 1000)


# finishing --------------------------------------------------------------------------------------
def _mine(c: Claim) -> tuple[Any, ...]:
    return (Task.attempts == c.attempt,)


def _record(c: Claim, status: str, started: float, error_code: str | None = None) -> None:
    metrics.TASKS_FINISHED.labels(c.tool_id, status).inc()
    metrics.TASK_DURATION.labels(c.tool_id, status).observe(time.monotonic() - started)
    if error_code:
        metrics.TASK_FAILURES.labels(c.tool_id, error_code).inc()


def _settle_if_terminal(task_id: str) -> None:
    """Someone else ended the task (cancel, watchdog): make sure its hold is released."""
    with session_scope() as s:
        status = s.execute(select(Task.status).where(Task.task_id == task_id)).scalar()
        if status is not None and status != TaskStatus.PROCESSING.value:
            billing.release_rest(s, task_id, reason=f"task {status.lower()}")


def _finish_failed(c: Claim, code: ErrorCode, message: str, started: float, agent: str | None = None) -> str:
    with session_scope() as s:
        won = lifecycle.transition(s, c.task_id, TaskStatus.FAILED, only_from={TaskStatus.PROCESSING},
                                   where=_mine(c), error_code=code.value, error_message=message,
                                   error_agent=agent, current_agent=None, heartbeat_at=None)
        if won:
            billing.release_rest(s, c.task_id, reason=f"failed: {code.value}")
    if not won:
        _settle_if_terminal(c.task_id)
        return "skipped"
    _record(c, "failed", started, code.value)
    return "failed"


def _finish_stopped(c: Claim, reason: str | None, started: float) -> str:
    if reason == "timeout":
        return _finish_failed(c, ErrorCode.TIMEOUT, "The task ran past its time limit", started)
    if reason == "cancelled":
        with session_scope() as s:
            lifecycle.transition(s, c.task_id, TaskStatus.CANCELLED, only_from={TaskStatus.PROCESSING},
                                 where=_mine(c), current_agent=None, heartbeat_at=None)
        _settle_if_terminal(c.task_id)
        _record(c, "cancelled", started)
        return "cancelled"
    _settle_if_terminal(c.task_id)
    return "skipped"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _upload_outputs(c: Claim, outcome: RunOutcome, storage: Any, tmp: Path) -> list[dict[str, Any]]:
    """Upload every output and the manifest; on any failure delete what was uploaded and re-raise."""
    entries: list[dict[str, Any]] = []
    try:
        for o in outcome.outputs:
            key = storage.output_key(c.user_id, c.task_id, o.name)
            storage.upload_file(o.path, key, o.mime_type)
            entries.append({"name": o.name, "key": key, "kind": o.kind, "mime_type": o.mime_type,
                            "size_bytes": o.path.stat().st_size, "rows": o.rows, "sha256": _sha256(o.path)})
        manifest = tmp / "manifest.json"
        manifest.write_text(json.dumps({
            "task_id": c.task_id, "tool_id": c.tool_id, "status": outcome.status,
            "created_at": datetime.now(UTC).isoformat(), "files": entries,
        }, indent=2), encoding="utf-8")
        key = storage.output_key(c.user_id, c.task_id, "manifest.json")
        storage.upload_file(manifest, key, "application/json")
        entries.append({"name": "manifest.json", "key": key, "kind": "manifest", "mime_type": "application/json",
                        "size_bytes": manifest.stat().st_size, "rows": None})
    except Exception:
        _delete_keys(storage, [e["key"] for e in entries])
        raise
    return entries


def _delete_keys(storage: Any, keys: list[str]) -> None:
    if not keys:
        return
    try:
        storage.delete_keys(keys)
    except Exception as exc:  # retention sweeps the prefix later; never mask the original outcome
        log.error("could not delete %d unpublished output(s): %s", len(keys), exc)


def _summary(outcome: RunOutcome, captured: int, started: float) -> dict[str, Any]:
    by_status: dict[str, list[str]] = {}
    for r in outcome.results:
        by_status.setdefault(r.status, []).append(r.agent_id)
    return {
        "status": outcome.status,
        "agents_total": len(outcome.results),
        "agents_completed": len(by_status.get("success", [])),
        "agents_failed": by_status.get("failed", []),
        "agents_skipped": by_status.get("skipped", []),
        "scores": {r.agent_id: r.score for r in outcome.results if r.score is not None},
        "row_issues": int((outcome.report.get("issue_summary") or {}).get("total_issues", 0) or 0),
        "outputs": len(outcome.outputs),
        "credits_captured": captured,
        "duration_s": round(time.monotonic() - started, 3),
    }


def _publish(c: Claim, outcome: RunOutcome, storage: Any, started: float) -> str:
    out_tmp = Path(tempfile.mkdtemp(prefix="agensium-manifest-"))
    try:
        probe = StopProbe(c.task_id, c.attempt, time.monotonic(), float("inf"))
        if probe():
            return _finish_stopped(c, probe.reason, started)  # no upload for a task nobody will see
        try:
            entries = _upload_outputs(c, outcome, storage, out_tmp)
        except AgensiumError as exc:
            return _finish_failed(c, ErrorCode.STORAGE_ERROR, exc.message, started)
        except Exception as exc:
            log.error("task %s: publishing failed:\n%s", c.task_id, traceback.format_exc())
            return _finish_failed(c, ErrorCode.INTERNAL_ERROR, f"Publishing failed ({type(exc).__name__})", started)
    finally:
        shutil.rmtree(out_tmp, ignore_errors=True)
    completed = outcome.status == "completed"
    target = TaskStatus.COMPLETED if completed else TaskStatus.FAILED
    error = outcome.error
    with session_scope() as s:
        values: dict[str, Any] = {"outputs": entries, "current_agent": None, "heartbeat_at": None}
        if completed:
            values |= {"progress": 100, "progress_detail": {"current_stage": "completed", "current_agent": None,
                                                            "agents_total": len(c.agents),
                                                            "agents_completed": len(outcome.delivered_agents)}}
        else:
            values |= {"error_code": error.code if error else ErrorCode.AGENT_ERROR.value,
                       "error_message": error.message if error else "An agent failed",
                       "error_agent": outcome.failed_agent}
        won = lifecycle.transition(s, c.task_id, target, only_from={TaskStatus.PROCESSING}, where=_mine(c),
                                   **values)
        captured = 0
        if won:
            for agent_id in outcome.delivered_agents:
                got = billing.capture_agent(s, c.task_id, agent_id)
                captured += got
                if got:
                    metrics.CREDITS_CAPTURED.labels(c.tool_id, agent_id).inc(got)
            billing.release_rest(s, c.task_id, reason="not delivered" if completed else "failed run")
            s.execute(update(Task).where(Task.task_id == c.task_id)
                      .values(result_summary=_summary(outcome, captured, started))
                      .execution_options(synchronize_session=False))
    if not won:
        _delete_keys(storage, [e["key"] for e in entries])
        _settle_if_terminal(c.task_id)
        return "skipped"
    _record(c, target.value.lower(), started, None if completed else (error.code if error else "AGENT_ERROR"))
    return target.value.lower()


# the Celery task --------------------------------------------------------------------------------
@celery_app.task(name=RUN_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=10)
def run_task(self: Any, task_id: str) -> str:
    settings = get_settings()
    result = run_job(task_id, settings=settings)
    if result == "busy":  # another worker still beats for it: look again once its heartbeat could be stale
        raise self.retry(countdown=settings.heartbeat_timeout_seconds + 1)
    return result
