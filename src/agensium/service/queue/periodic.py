"""Periodic jobs: upload expiry, retention, and the stuck-task watchdog (DESIGN §3, §5).

Each job is a plain function of (session, storage, settings, now) so tests drive the clock; each
status change is a lifecycle CAS committed before any object is deleted (a crash in between leaves
objects that the next run deletes, never a row that claims files that are gone). Each run handles
at most `BATCH` tasks per rule so one run stays short; the next run continues.
Production runs them from Celery beat (`agensium beat`); the embedded default on a timer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from agensium.errors import ErrorCode
from agensium.service import lifecycle, metrics
from agensium.service.billing import service as billing
from agensium.service.lifecycle import TaskStatus
from agensium.service.models import Task
from agensium.service.queue.celery_app import celery_app
from agensium.settings import Settings, get_settings

log = logging.getLogger(__name__)

BATCH = 200
S = TaskStatus
UPLOAD_STATES = (S.CREATED.value, S.UPLOADING.value, S.UPLOAD_FAILED.value)
ENDED = (S.COMPLETED.value, S.FAILED.value, S.CANCELLED.value)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _delete(storage: Any, prefix: str) -> int | None:
    try:
        return int(storage.delete_prefix(prefix))
    except Exception as exc:  # retried by the next run
        log.warning("could not delete %s: %s", prefix, exc)
        return None


# expiry -----------------------------------------------------------------------------------------
def expire_uploads(session: Session, storage: Any, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """CREATED/UPLOADING/UPLOAD_FAILED with no progress for `upload_expiry_minutes` → EXPIRED, uploads deleted."""
    now = _now(now)
    cutoff = now - timedelta(minutes=settings.upload_expiry_minutes)
    ids = session.execute(
        select(Task.task_id).where(Task.status.in_(UPLOAD_STATES), Task.updated_at < cutoff).limit(BATCH)
    ).scalars().all()
    expired = 0
    for task_id in ids:
        if lifecycle.transition(session, task_id, S.EXPIRED, now=now, where=(Task.updated_at < cutoff,)):
            expired += 1
        session.commit()
    cleaned = _clean_expired(session, storage, now)
    return {"expired": expired, "objects_deleted": cleaned}


def _clean_expired(session: Session, storage: Any, now: datetime) -> int:
    rows = session.execute(
        select(Task.task_id, Task.user_id).where(Task.status == S.EXPIRED.value, Task.s3_cleaned.is_(False))
        .limit(BATCH)
    ).all()
    total = 0
    for task_id, user_id in rows:
        deleted = _delete(storage, storage.task_prefix(user_id, task_id))
        if deleted is None:
            continue
        total += deleted
        session.execute(update(Task).where(Task.task_id == task_id)
                        .values(s3_cleaned=True, inputs_deleted_at=now, outputs_deleted_at=now)
                        .execution_options(synchronize_session=False))
        session.commit()
    return total


# retention --------------------------------------------------------------------------------------
def apply_retention(session: Session, storage: Any, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Inputs `input_retention_days` and outputs `output_retention_days` after a terminal status."""
    now = _now(now)
    ended_at = func.coalesce(Task.completed_at, Task.failed_at, Task.cancelled_at)
    stats = {"inputs_deleted": 0, "outputs_deleted": 0, "objects_deleted": 0}
    for part, days, column in (("inputs", settings.input_retention_days, Task.inputs_deleted_at),
                               ("outputs", settings.output_retention_days, Task.outputs_deleted_at)):
        cutoff = now - timedelta(days=days)
        rows = session.execute(
            select(Task.task_id, Task.user_id)
            .where(Task.status.in_(ENDED), column.is_(None), ended_at.is_not(None), ended_at < cutoff).limit(BATCH)
        ).all()
        for task_id, user_id in rows:
            deleted = _delete(storage, f"{storage.task_prefix(user_id, task_id)}{part}/")
            if deleted is None:
                continue
            values: dict[str, Any] = {column.key: now}
            if part == "outputs":
                values["outputs"] = None
            session.execute(update(Task).where(Task.task_id == task_id).values(**values)
                            .execution_options(synchronize_session=False))
            session.execute(update(Task).where(Task.task_id == task_id, Task.inputs_deleted_at.is_not(None),
                                               Task.outputs_deleted_at.is_not(None))
                            .values(s3_cleaned=True).execution_options(synchronize_session=False))
            session.commit()
            stats[f"{part}_deleted"] += 1
            stats["objects_deleted"] += deleted
    stats["objects_deleted"] += _clean_expired(session, storage, now)
    return stats


# watchdog ---------------------------------------------------------------------------------------
def watchdog(session: Session, storage: Any, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Fail PROCESSING tasks whose worker is gone (WORKER_LOST) or that ran too long (TIMEOUT).

    Their uncaptured credits are released and any output a dying worker uploaded is deleted, so no
    half-published output survives. Also re-sends jobs whose message seems lost, and releases holds
    left on tasks that ended elsewhere (e.g. cancelled while queued).
    """
    now = _now(now)
    stale_cutoff = now - timedelta(seconds=settings.heartbeat_timeout_seconds)
    time_cutoff = now - timedelta(seconds=settings.task_time_limit_seconds)
    stale = or_(Task.heartbeat_at < stale_cutoff,
                and_(Task.heartbeat_at.is_(None), Task.processing_started_at < stale_cutoff))
    overdue = Task.processing_started_at < time_cutoff
    stats = {"timed_out": 0, "worker_lost": 0, "requeued": 0, "released": 0}
    rules = (
        (overdue, ErrorCode.TIMEOUT, "The task ran past its time limit", "timed_out"),
        (stale, ErrorCode.WORKER_LOST, "The worker running this task stopped responding", "worker_lost"),
    )
    for condition, code, message, stat in rules:
        rows = session.execute(
            select(Task.task_id, Task.user_id, Task.tool_id)
            .where(Task.status == S.PROCESSING.value, condition).limit(BATCH)
        ).all()
        for task_id, user_id, tool_id in rows:
            won = lifecycle.transition(session, task_id, S.FAILED, now=now, only_from={S.PROCESSING},
                                       where=(condition,), error_code=code.value, error_message=message,
                                       current_agent=None, heartbeat_at=None)
            if won:
                billing.release_rest(session, task_id, reason=f"failed: {code.value}")
            session.commit()
            if won:
                stats[stat] += 1
                metrics.TASK_FAILURES.labels(tool_id, code.value).inc()
                _delete(storage, f"{storage.task_prefix(user_id, task_id)}outputs/")
    stats["requeued"] = requeue_lost_messages(session, settings, now)
    stats["released"] = settle_holds(session)
    return stats


def requeue_lost_messages(session: Session, settings: Settings, now: datetime) -> int:
    """Send the job again for tasks QUEUED longer than the time limit (their message may be lost,
    e.g. a SQLite-broker worker killed between fetch and claim). Duplicates are harmless: the job's
    claim is a compare-and-set. `updated_at` is bumped so a task is nudged at most once per period."""
    import uuid

    from agensium.service.queue.celery_app import send_run_task

    cutoff = now - timedelta(seconds=settings.task_time_limit_seconds)
    ids = session.execute(
        select(Task.task_id).where(Task.status == S.QUEUED.value, Task.updated_at < cutoff).limit(BATCH)
    ).scalars().all()
    sent = 0
    for task_id in ids:
        job_id = str(uuid.uuid4())
        won = session.execute(
            update(Task).where(Task.task_id == task_id, Task.status == S.QUEUED.value, Task.updated_at < cutoff)
            .values(queue_job_id=job_id, updated_at=now).execution_options(synchronize_session=False)
        ).rowcount == 1
        session.commit()
        if won:
            try:
                send_run_task(task_id, job_id)
                sent += 1
            except Exception as exc:  # the broker is down; the next run tries again
                log.warning("could not re-send the job of task %s: %s", task_id, exc)
    return sent


def settle_holds(session: Session) -> int:
    """Release the rest of every hold on a task that is no longer queued or running."""
    ids = session.execute(
        select(Task.task_id).where(Task.credits_held > 0,
                                   Task.status.not_in((S.QUEUED.value, S.PROCESSING.value))).limit(BATCH)
    ).scalars().all()
    released = 0
    for task_id in ids:
        released += billing.release_rest(session, task_id, reason="task ended")
        session.commit()
    return released


# runners ----------------------------------------------------------------------------------------
JOBS = {"expire": expire_uploads, "retention": apply_retention, "watchdog": watchdog}


def run_periodic(names: tuple[str, ...] = ("watchdog", "expire", "retention"), *, settings: Settings | None = None,
                 storage: Any = None, now: datetime | None = None) -> dict[str, Any]:
    """Run the named jobs once, each in its own session; one failing job does not stop the others."""
    from agensium.service.db import session_scope

    settings = settings or get_settings()
    if storage is None:
        from agensium.service.storage import get_storage

        storage = get_storage()
    out: dict[str, Any] = {}
    for name in names:
        try:
            with session_scope(settings.effective_database_url) as session:
                out[name] = JOBS[name](session, storage, settings, now)
        except Exception as exc:
            log.exception("periodic job %s failed", name)
            out[name] = {"error": str(exc)}
    return out


@celery_app.task(name="agensium.periodic.expire_uploads", ignore_result=True)
def expire_task() -> dict[str, Any]:
    return run_periodic(("expire",))


@celery_app.task(name="agensium.periodic.retention", ignore_result=True)
def retention_task() -> dict[str, Any]:
    return run_periodic(("retention",))


@celery_app.task(name="agensium.periodic.watchdog", ignore_result=True)
def watchdog_task() -> dict[str, Any]:
    return run_periodic(("watchdog",))
