"""From a verified task to a queued job: credit hold, compare-and-set to QUEUED, enqueue after commit.

Order matters. The CAS to QUEUED comes first, so of two concurrent `process` calls only one holds
credits; the hold is an atomic conditional debit in the same transaction; the message is sent only
after that transaction committed, so a worker never sees a task that is not yet QUEUED. If the
wallet cannot cover the run, the task ends FAILED with BILLING_INSUFFICIENT_CREDITS (committed) and
the caller gets the 402 error; `process` may be called again after a top-up (the FAILED→QUEUED
transition is allowed only for that code).
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from agensium.errors import AgensiumError, ErrorCode
from agensium.service import lifecycle
from agensium.service.billing import service as billing
from agensium.service.lifecycle import TaskStatus
from agensium.service.models import Task, User

log = logging.getLogger(__name__)

QUEUED_PROGRESS = 15


def submit_verified_task(session: Session, task: Task, user: User) -> None:
    """Queue a task whose inputs and parameters were verified. Commits `session`."""
    job_id = str(uuid.uuid4())
    won = lifecycle.transition(
        session, task.task_id, TaskStatus.QUEUED,
        only_from={TaskStatus.UPLOADING, TaskStatus.UPLOAD_FAILED, TaskStatus.FAILED},
        where=lifecycle.requeue_guard(),
        progress=QUEUED_PROGRESS, queue_job_id=job_id, cancel_requested=False, current_agent=None,
        progress_detail=None, error_code=None, error_message=None, error_agent=None, failed_at=None,
    )
    if not won:
        session.rollback()
        current = session.get(Task, task.task_id, populate_existing=True)
        raise AgensiumError(
            ErrorCode.TASK_ALREADY_PROCESSING,
            "The task was already submitted or is not in a state that can be processed",
            {"task_id": task.task_id, "status": current.status if current else None},
        )
    try:
        billing.hold_for_task(session, task)
    except AgensiumError as exc:
        if exc.code != ErrorCode.BILLING_INSUFFICIENT_CREDITS:
            raise
        lifecycle.transition(session, task.task_id, TaskStatus.FAILED, only_from={TaskStatus.QUEUED},
                             error_code=exc.code.value, error_message=exc.message, queue_job_id=None)
        session.commit()
        exc.context = {**exc.context, "task_id": task.task_id, "task_status": TaskStatus.FAILED.value}
        raise
    session.commit()
    _enqueue(session, task, job_id)


def _enqueue(session: Session, task: Task, job_id: str) -> None:
    from agensium.service.queue.celery_app import send_run_task

    try:
        send_run_task(task.task_id, job_id)
    except Exception as exc:  # the broker is down: do not leave a QUEUED task that no worker will see
        log.error("enqueue of task %s failed: %s", task.task_id, exc)
        if lifecycle.transition(session, task.task_id, TaskStatus.FAILED, only_from={TaskStatus.QUEUED},
                                error_code=ErrorCode.SERVICE_UNAVAILABLE.value,
                                error_message="The job queue is not reachable; try again later"):
            billing.release_rest(session, task.task_id, reason="queue unavailable")
        session.commit()
        raise AgensiumError(ErrorCode.SERVICE_UNAVAILABLE, "The job queue is not reachable; try again later",
                            {"task_id": task.task_id}) from exc


def revoke(task: Task) -> None:
    """After a cancel: give the held credits back now, and ask workers to drop the queued job.

    The release is safe while a worker still runs the task: its final compare-and-set from
    PROCESSING loses to CANCELLED, so it captures nothing. Revocation is best effort (the job also
    checks the row before and while running).
    """
    from agensium.service.db import session_scope

    try:
        with session_scope() as s:
            if s.execute(select(Task.status).where(Task.task_id == task.task_id)).scalar() == "CANCELLED":
                billing.release_rest(s, task.task_id, reason="cancelled")
    except Exception as exc:  # the watchdog settles holds of ended tasks later
        log.warning("release after cancel of task %s failed: %s", task.task_id, exc)
    if not task.queue_job_id:
        return
    from agensium.service.queue.celery_app import celery_app

    try:
        celery_app.control.revoke(task.queue_job_id)
    except Exception as exc:  # brokers without broadcast (the SQLite one) cannot revoke
        log.info("revoke of job %s not delivered: %s", task.queue_job_id, exc)
