"""Prometheus metrics: task and agent durations, failures by error code, credits captured, queue depth.

Tasks run in worker processes (a Celery prefork pool, or the embedded child worker), not in the API
process that serves `/metrics`. Every process therefore records into prometheus-client's
multiprocess files under one directory (`PROMETHEUS_MULTIPROC_DIR`, default `var/metrics/`), and
`/metrics` aggregates them. Queue depth and tasks by status are read from the database at scrape
time, because the task row is the source of truth.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    values,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)

_DURATION_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, float("inf"))

TASKS_FINISHED = Counter("agensium_tasks_finished_total", "Tasks that reached a final status in a worker",
                         ["tool_id", "status"])
TASK_DURATION = Histogram("agensium_task_duration_seconds", "Wall time of a task in a worker",
                          ["tool_id", "status"], buckets=_DURATION_BUCKETS)
AGENT_DURATION = Histogram("agensium_agent_duration_seconds", "Wall time of one agent",
                           ["tool_id", "agent_id", "status"], buckets=_DURATION_BUCKETS)
TASK_FAILURES = Counter("agensium_task_failures_total", "Failed tasks by error code",
                        ["tool_id", "error_code"])
CREDITS_CAPTURED = Counter("agensium_credits_captured_total", "Credits captured for delivered agents",
                           ["tool_id", "agent_id"])

_multiprocess_dir: Path | None = None
_single_process_value = values.ValueClass


def metrics_dir(settings: Any) -> Path:
    env = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    return Path(env) if env else Path(settings.var_dir) / "metrics"


def enable_multiprocess(directory: Path | str, *, wipe: bool = False) -> Path:
    """Record this process's metrics into shared files (call before the first observation).

    `wipe` clears files of earlier runs (done once by whoever starts the worker fleet on a machine).
    """
    global _multiprocess_dir
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    if wipe:
        for f in path.glob("*.db"):
            f.unlink(missing_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    if _multiprocess_dir is None:
        values.ValueClass = values.MultiProcessValue()
    _multiprocess_dir = path
    return path


def disable_multiprocess() -> None:
    """Back to in-process values (when the embedded worker stops; keeps test processes clean)."""
    global _multiprocess_dir
    if _multiprocess_dir is not None:
        values.ValueClass = _single_process_value
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        _multiprocess_dir = None


def mark_process_dead(pid: int) -> None:
    if _multiprocess_dir is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid, str(_multiprocess_dir))


class _TaskTableCollector:
    """Tasks by status and queue depth, from the database at scrape time."""

    def collect(self) -> Any:
        from sqlalchemy import func, select

        from agensium.service.db import session_scope
        from agensium.service.lifecycle import TaskStatus
        from agensium.service.models import Task

        by_status = GaugeMetricFamily("agensium_tasks", "Tasks by status", labels=["status"])
        depth = GaugeMetricFamily("agensium_queue_depth", "Tasks waiting for a worker (QUEUED)")
        try:
            with session_scope() as s:
                counts = dict(s.execute(select(Task.status, func.count()).group_by(Task.status)).tuples().all())
        except Exception as exc:  # the scrape must answer even when the database does not
            log.warning("metrics: cannot read task counts: %s", exc)
            return
        for status in TaskStatus:
            by_status.add_metric([status.value], counts.get(status.value, 0))
        depth.add_metric([], counts.get(TaskStatus.QUEUED.value, 0))
        yield by_status
        yield depth


def metrics_response() -> tuple[bytes, str]:
    """The exposition text and its content type."""
    registry = CollectorRegistry()
    registry.register(_TaskTableCollector())
    body = generate_latest(registry)
    directory = _multiprocess_dir or os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory and Path(directory).is_dir():
        mp = CollectorRegistry()
        MultiProcessCollector(mp, path=str(directory))
        body += generate_latest(mp)
    else:
        body += generate_latest(REGISTRY)
    return body, CONTENT_TYPE_LATEST


router = APIRouter(tags=["ops"])


@router.get("/metrics", include_in_schema=False)
def metrics_endpoint() -> Response:
    body, content_type = metrics_response()
    return Response(content=body, media_type=content_type)
