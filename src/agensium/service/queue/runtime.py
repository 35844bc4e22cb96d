"""What a running job keeps writing to and reading from its task row: heartbeat, progress, cancel flag.

Each piece uses its own short transactions (never the job's), writes only while the row is still
PROCESSING *by this attempt*, and is throttled so a fast agent cannot flood the database.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from agensium.service.db import session_scope
from agensium.service.lifecycle import TaskStatus
from agensium.service.models import Task

log = logging.getLogger(__name__)

AGENTS_START, AGENTS_END = 20, 95


def _mine(task_id: str, attempt: int) -> tuple[Any, ...]:
    return (Task.task_id == task_id, Task.status == TaskStatus.PROCESSING.value, Task.attempts == attempt)


class Heartbeat:
    """A daemon thread stamping `heartbeat_at` so the watchdog can tell a live job from a dead worker."""

    def __init__(self, task_id: str, attempt: int, every_s: float) -> None:
        self.task_id, self.attempt, self.every_s = task_id, attempt, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{task_id[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def beat(self) -> None:
        with session_scope() as s:
            s.execute(update(Task).where(*_mine(self.task_id, self.attempt))
                      .values(heartbeat_at=datetime.now(UTC)).execution_options(synchronize_session=False))

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.beat()
            except Exception as exc:  # a missed beat is survivable; the next one may succeed
                log.warning("heartbeat of task %s failed: %s", self.task_id, exc)


class ProgressWriter:
    """Maps agent progress to 20-95 and writes `progress`, `current_agent`, `progress_detail` ≤ 1/s."""

    def __init__(self, task_id: str, attempt: int, agents: list[str], min_interval_s: float = 1.0) -> None:
        self.task_id, self.attempt, self.agents = task_id, attempt, agents
        self.min_interval_s = min_interval_s
        self.completed = 0
        self._last_write = 0.0
        self._last_value: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    def value(self, index: int, fraction: float) -> int:
        total = max(1, len(self.agents))
        return min(AGENTS_END, AGENTS_START + int((AGENTS_END - AGENTS_START) * (index + fraction) / total))

    def agent_progress(self, agent_id: str, index: int, total: int, fraction: float) -> None:
        self.write(self.value(index, fraction), agent_id, "running_agents")

    def agent_finished(self, agent_id: str) -> None:
        self.completed += 1
        last = self.completed >= len(self.agents)
        stage = "writing_reports" if last else "running_agents"
        self.write(self.value(self.completed, 0.0), None if last else agent_id, stage, force=True)

    def write(self, progress: int, agent_id: str | None, stage: str, *, force: bool = False) -> None:
        key = (progress, agent_id, stage, self.completed)
        now = time.monotonic()
        with self._lock:
            if key == self._last_value or (not force and now - self._last_write < self.min_interval_s):
                return
            self._last_write, self._last_value = now, key
        detail = {"current_stage": stage, "current_agent": agent_id, "agents_total": len(self.agents),
                  "agents_completed": self.completed}
        try:
            with session_scope() as s:
                s.execute(update(Task).where(*_mine(self.task_id, self.attempt))
                          .values(progress=progress, current_agent=agent_id, progress_detail=detail,
                                  updated_at=datetime.now(UTC))
                          .execution_options(synchronize_session=False))
        except Exception as exc:
            log.warning("progress write of task %s failed: %s", self.task_id, exc)


class StopProbe:
    """The pipeline's `is_cancelled`: user cancel, another actor took the row, or the time limit passed.

    Reads the row at most every `min_interval_s`; remembers why it said stop.
    """

    def __init__(self, task_id: str, attempt: int, started: float, limit_s: float,
                 min_interval_s: float = 0.5) -> None:
        self.task_id, self.attempt = task_id, attempt
        self.started, self.limit_s, self.min_interval_s = started, limit_s, min_interval_s
        self.reason: str | None = None
        self._last = 0.0

    def __call__(self) -> bool:
        if self.reason:
            return True
        now = time.monotonic()
        if now - self.started > self.limit_s:
            self.reason = "timeout"
            return True
        if now - self._last < self.min_interval_s:
            return False
        self._last = now
        try:
            with session_scope() as s:
                row = s.execute(select(Task.status, Task.cancel_requested, Task.attempts)
                                .where(Task.task_id == self.task_id)).first()
        except Exception as exc:
            log.warning("cancel check of task %s failed: %s", self.task_id, exc)
            return False
        if row is None:
            self.reason = "deleted"
        elif row.cancel_requested or row.status == TaskStatus.CANCELLED.value:
            self.reason = "cancelled"
        elif row.status != TaskStatus.PROCESSING.value or row.attempts != self.attempt:
            self.reason = "lost"
        return self.reason is not None
