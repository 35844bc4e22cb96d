"""The task lifecycle: the one transition table, and compare-and-set status changes.

Every status change goes through `transition()`, which issues
`UPDATE tasks SET status=:to, … WHERE task_id=:id AND status IN (:allowed)` and reports whether it
won. Two concurrent requests can therefore never both move a task.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session


class TaskStatus(StrEnum):
    CREATED = "CREATED"
    UPLOADING = "UPLOADING"
    UPLOAD_FAILED = "UPLOAD_FAILED"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"


S = TaskStatus

TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    # to: allowed from
    S.UPLOADING: frozenset({S.CREATED, S.UPLOADING, S.UPLOAD_FAILED}),
    S.UPLOAD_FAILED: frozenset({S.UPLOADING}),
    S.QUEUED: frozenset({S.UPLOADING, S.UPLOAD_FAILED, S.FAILED}),  # FAILED only for insufficient credits
    S.PROCESSING: frozenset({S.QUEUED}),
    S.COMPLETED: frozenset({S.PROCESSING}),
    S.FAILED: frozenset({S.PROCESSING, S.QUEUED, S.UPLOADING, S.UPLOAD_FAILED}),
    S.CANCELLED: frozenset({S.QUEUED, S.PROCESSING}),
    S.EXPIRED: frozenset({S.CREATED, S.UPLOADING, S.UPLOAD_FAILED}),
}
"""Allowed source statuses for each target status (DESIGN §3)."""

TERMINAL: frozenset[TaskStatus] = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED, S.EXPIRED})
CANCELLABLE: frozenset[TaskStatus] = TRANSITIONS[S.CANCELLED]

TIMESTAMP_FOR: dict[TaskStatus, str] = {
    S.UPLOADING: "upload_started_at",
    S.PROCESSING: "processing_started_at",
    S.COMPLETED: "completed_at",
    S.FAILED: "failed_at",
    S.CANCELLED: "cancelled_at",
    S.EXPIRED: "expired_at",
}


def allowed_from(target: TaskStatus) -> frozenset[TaskStatus]:
    return TRANSITIONS[target]


def can_transition(current: TaskStatus | str, target: TaskStatus) -> bool:
    return TaskStatus(current) in TRANSITIONS[target]


def transition(
    session: Session,
    task_id: str,
    target: TaskStatus,
    *,
    only_from: frozenset[TaskStatus] | set[TaskStatus] | None = None,
    now: datetime | None = None,
    where: tuple[Any, ...] = (),
    **values: Any,
) -> bool:
    """Compare-and-set the task's status. Returns True if this call made the change.

    `only_from` narrows (never widens) the table's allowed sources; `where` adds guards, e.g.
    FAILED→QUEUED is only for a task that failed for lack of credits (`requeue_guard()`).
    """
    from agensium.service.models import Task

    sources = set(TRANSITIONS[target])
    if only_from is not None:
        sources &= set(only_from)
    now = now or datetime.now(UTC)
    values = {"status": target.value, "updated_at": now, **values}
    ts = TIMESTAMP_FOR.get(target)
    if ts and ts not in values:
        values[ts] = now
    # Lock the row by primary key first: on MariaDB a guarded UPDATE (task_id AND status) can take
    # locks through an index merge and deadlock with a concurrent one; by key it just waits its turn.
    session.execute(select(Task.task_id).where(Task.task_id == task_id).with_for_update())
    stmt = (
        update(Task)
        .where(Task.task_id == task_id, Task.status.in_([s.value for s in sources]), *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    return result.rowcount == 1


def requeue_guard() -> tuple[Any, ...]:
    """FAILED may go back to QUEUED only when it failed for lack of credits."""
    from sqlalchemy import or_

    from agensium.errors import ErrorCode
    from agensium.service.models import Task

    return (or_(Task.status != S.FAILED.value, Task.error_code == ErrorCode.BILLING_INSUFFICIENT_CREDITS.value),)
