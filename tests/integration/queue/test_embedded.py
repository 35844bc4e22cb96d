"""The embedded default: the same Celery job on the SQLite-backed broker, a supervised child worker,
and the periodic jobs on a timer in the API process."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
import qtool
from sqlalchemy import update

from agensium.service import db
from agensium.service.models import Task
from agensium.service.queue.embedded import start_embedded_worker


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
    assert handle.restarts == 1
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
