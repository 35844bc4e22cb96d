"""The one Celery app, for production (Redis broker) and the embedded default (SQLite broker).

Delivery rules (DESIGN §5): late acks and `reject_on_worker_lost`, so a job whose worker dies is
delivered again rather than lost; prefetch 1, so a long task never holds a second job hostage; no
result backend, because the task row is the source of truth. Redis' `visibility_timeout` is above
the hard time limit, otherwise Redis would hand a still-running job to a second worker.

`celery -A agensium.service.queue.celery_app worker` finds `celery_app` here; the API only sends
messages by task name, so it never imports the job code.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery, signals

from agensium.settings import Settings, get_settings

log = logging.getLogger(__name__)

RUN_TASK = "agensium.run_task"
PERIODIC_TASKS = {
    "agensium.periodic.expire_uploads": "expire",
    "agensium.periodic.retention": "retention",
    "agensium.periodic.watchdog": "watchdog",
}


def hard_time_limit(settings: Settings) -> int:
    """The worker kills a job this long after it started (the job stops itself at the soft limit)."""
    return settings.task_time_limit_seconds + 60


def celery_config(settings: Settings) -> dict[str, Any]:
    broker = settings.effective_broker_url
    options: dict[str, Any] = {}
    if broker.startswith(("redis://", "rediss://")):
        options = {
            "visibility_timeout": hard_time_limit(settings) + 600,
            "global_keyprefix": f"{settings.queue_name}:",
        }
    elif broker.startswith("sqla+"):
        # kombu's SQLAlchemy transport hands its transport options to create_engine(), which refuses
        # polling_interval (the embedded worker could not start); it keeps kombu's 1 s polling
        options = {}
    interval = settings.periodic_interval_seconds
    extra: dict[str, Any] = {}
    if broker.startswith("rediss://"):  # TLS with certificate checks (the earlier version turned them off)
        import ssl

        extra["broker_use_ssl"] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    return {
        **extra,
        "broker_url": broker,
        "broker_transport_options": options,
        "broker_connection_retry_on_startup": True,
        "result_backend": None,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "timezone": "UTC",
        "enable_utc": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.task_time_limit_seconds,
        "task_time_limit": hard_time_limit(settings),
        "task_default_queue": settings.queue_name,
        "task_default_exchange": settings.queue_name,
        "task_default_routing_key": settings.queue_name,
        "worker_send_task_events": False,
        "include": ["agensium.service.queue.job", "agensium.service.queue.periodic"],
        "beat_schedule": {
            name: {"task": name, "schedule": float(interval), "options": {"expires": float(interval)}}
            for name in PERIODIC_TASKS
        },
    }


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("agensium", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


celery_app = make_celery()


def configure_celery(settings: Settings) -> Celery:
    """Point the shared app at these settings (tests, `agensium serve`) before it sends anything."""
    celery_app.conf.update(celery_config(settings))
    # forget connections and producers made for the old broker URL and key prefix (not closed: kombu
    # shares producer pools between equal connections, so they may serve a later configuration again)
    celery_app._pool = None
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    return celery_app


def send_run_task(task_id: str, job_id: str) -> None:
    celery_app.send_task(RUN_TASK, args=[task_id], task_id=job_id, queue=celery_app.conf.task_default_queue)


# worker process hooks ------------------------------------------------------------------------------
@signals.worker_init.connect
def _on_worker_init(**_: Any) -> None:
    from agensium.service import metrics

    metrics.enable_multiprocess(metrics.metrics_dir(get_settings()))


@signals.worker_process_init.connect
def _on_child_init(**_: Any) -> None:
    """A forked pool child must not reuse the parent's database connections."""
    from agensium.service import db, metrics

    db.dispose()
    metrics.enable_multiprocess(metrics.metrics_dir(get_settings()))


@signals.worker_process_shutdown.connect
def _on_child_exit(pid: int | None = None, **_: Any) -> None:
    from agensium.service import metrics

    metrics.mark_process_dead(pid or os.getpid())
