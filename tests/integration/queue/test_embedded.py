"""The embedded default: the same Celery job on the SQLite-backed broker, a supervised child worker,
and the periodic jobs on a timer in the API process."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import pytest
import qtool
from sqlalchemy import update

from agensium.service import db
from agensium.service.models import Task
from agensium.service.queue.celery_app import make_celery
from agensium.service.queue.embedded import declare_queue, start_embedded_worker
from agensium.settings import Settings


@pytest.fixture
def embedded(tmp_path, s3, monkeypatch: pytest.MonkeyPatch):
    from qstack import HERE, build_stack

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]))
    stack, stop_api = build_stack(tmp_path, s3, redis=False, periodic_interval_seconds=1)
    assert stack.settings.effective_broker_url.startswith("sqla+sqlite:///")
    handle = start_embedded_worker(stack.settings, app_module="qtool")
    try:
        yield stack, handle
    finally:
        handle.stop()
        stop_api()
        db.dispose(stack.url)


def test_embedded_worker_runs_tasks_restarts_and_runs_periodic_jobs(embedded) -> None:
    stack, handle = embedded
    user_id, h = stack.user(1000)
    task_id = stack.upload_task(h, parameters={a: {"steps": 8, "step_seconds": 0.1} for a in qtool.COSTS})
    assert stack.process(h, task_id).status_code == 202
    seen: list[dict] = []
    done = stack.wait(h, task_id, lambda t: t["status"] in ("COMPLETED", "FAILED"), 90, seen)
    assert done["status"] == "COMPLETED", done
    assert len({t["progress"] for t in seen if t["status"] == "PROCESSING"}) >= 2
    with stack.client(h) as c:
        assert c.get(f"/tasks/{task_id}/report").json()["agent_results"]["slow-c"]["status"] == "success"

    # a crashed worker is restarted by the supervisor, and the next task still runs
    first = handle.process.pid
    os.killpg(first, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while handle.process is None or handle.process.pid == first:
        assert time.monotonic() < deadline, "the embedded worker was not restarted"
        time.sleep(0.2)
    assert handle.restarts == 1, (stack.settings.var_dir / "logs" / "worker.log").read_text()[-4000:]
    again = stack.upload_task(h)
    assert stack.process(h, again).status_code == 202
    assert stack.final(h, again, timeout=90)["status"] == "COMPLETED"

    # the periodic timer expires an abandoned upload without anyone calling it
    stale = stack.upload_task(h)
    with stack.session() as s:
        s.execute(update(Task).where(Task.task_id == stale)
                  .values(updated_at=datetime.now(UTC) - timedelta(minutes=20)))
    got = stack.wait(h, stale, lambda t: t["status"] == "EXPIRED", 20)
    assert got["status"] == "EXPIRED"
    deadline = time.monotonic() + 10  # the status is committed first, the objects deleted right after
    while stack.storage.list(f"users/{user_id}/tasks/{stale}/"):
        assert time.monotonic() < deadline, "the expired task's uploads were not deleted"
        time.sleep(0.1)

    # metrics from the worker child reach the API's /metrics
    with stack.client() as c:
        text = c.get("/metrics").text
    assert 'agensium_tasks_finished_total{status="completed",tool_id="queue-test"} 2.0' in text
    assert "agensium_queue_depth 0.0" in text
    assert 'agensium_agent_duration_seconds_count{agent_id="slow-b",status="success",tool_id="queue-test"} 2.0' in text
    credits = sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                  if line.startswith("agensium_credits_captured_total{") and 'tool_id="queue-test"' in line)
    assert credits == 2 * sum(qtool.COSTS.values())
    handle.stop()
    assert handle.process is None


def _declare_at(url: str, name: str, at: float, out: multiprocessing.Queue) -> None:
    from kombu import Connection

    with Connection(url) as conn:
        channel = conn.default_channel
        channel._open()  # the tables exist, as they do once anything has touched the broker
        while time.time() < at:
            pass
        try:
            channel.queue_declare(queue=name)
            out.put("ok")
        except Exception as exc:
            out.put(f"{type(exc).__name__}: {exc}")


def test_queue_declared_first_lets_a_worker_and_the_api_declare_it_together(tmp_path) -> None:
    """Two processes declaring a new queue at once on the SQLite broker: one dies on the UNIQUE name
    unless the supervisor declared it before either started (what crashed the embedded worker)."""
    settings = Settings(mode="embedded", var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'a.db'}",
                        queue_name="agq-declare", secret_key="k" * 40)
    url = settings.effective_broker_url
    declare_queue(make_celery(settings), settings.queue_name)
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    at = time.time() + 3
    procs = [ctx.Process(target=_declare_at, args=(url, settings.queue_name, at, out)) for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    assert results == ["ok", "ok"]
    with sqlite3.connect(tmp_path / "broker.db") as con:
        assert con.execute("SELECT name FROM kombu_queue").fetchall() == [("agq-declare",)]
