"""Real agents through the queue: profile-my-data end to end, and the `agensium worker` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from agensium.engine.registry import get_tool, load_agent_class
from agensium.service.billing.models import LedgerEntry

pytestmark = pytest.mark.redis


def _available(tool_id: str, agents: list[str] | None = None) -> None:
    tool = get_tool(tool_id)
    missing = [a.id for a in tool.agents if (agents is None or a.id in agents) and load_agent_class(a) is None]
    if missing:
        pytest.skip(f"agents not built yet: {missing}")


def test_profile_my_data_end_to_end(stack) -> None:
    from qstack import csv_rows

    _available("profile-my-data")
    total = sum(a.cost for a in get_tool("profile-my-data").agents)
    _, h = stack.user(total)
    task_id = stack.upload_task(h, tool_id="profile-my-data",
                                files={"primary": csv_rows(3000), "baseline": csv_rows(2000)})
    assert stack.process(h, task_id).status_code == 202
    done = stack.final(h, task_id, timeout=120)
    assert done["status"] == "COMPLETED", done
    with stack.client(h) as c:
        report = c.get(f"/tasks/{task_id}/report").json()
        downloads = c.get(f"/tasks/{task_id}/downloads").json()["downloads"]
        wallet = c.get("/billing/wallet").json()
    # test-coverage-agent has no check to run: skipped, with its reason, and not charged
    ids = get_tool("profile-my-data").agent_ids
    assert {a: r["status"] for a, r in report["agent_results"].items()} == {
        a: "skipped" if a == "test-coverage-agent" else "success" for a in ids}
    assert report["agent_results"]["test-coverage-agent"]["summary"]["skipped_reason"]
    mimes = {d["filename"].rsplit(".", 1)[1]: d["mime_type"] for d in downloads}
    assert mimes["json"] == "application/json" and mimes["html"].startswith("text/html")
    assert mimes["xlsx"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    xlsx = next(d for d in downloads if d["filename"].endswith(".xlsx"))
    body = httpx.get(xlsx["url"]).content
    assert body[:2] == b"PK" and len(body) == xlsx["size_bytes"]
    coverage_cost = get_tool("profile-my-data").agent("test-coverage-agent").cost
    assert wallet["balance"] == coverage_cost and wallet["held"] == 0
    with stack.session() as s:
        captured = s.execute(select(LedgerEntry.agent_id).where(LedgerEntry.task_id == task_id,
                                                               LedgerEntry.kind == "CAPTURE")).scalars().all()
    assert sorted(captured) == sorted(a for a in ids if a != "test-coverage-agent")


def test_agensium_worker_command_runs_a_task_and_stops_cleanly(stack, tmp_path: Path) -> None:
    from qstack import csv_rows

    from agensium.service.queue.celery_app import configure_celery
    from agensium.service.queue.embedded import settings_env

    _available("profile-my-data", ["unified-profiler"])
    settings = stack.settings.model_copy(update={"queue_name": stack.settings.queue_name + "-cli",
                                                 "var_dir": tmp_path / "var"})
    env = {**os.environ, **settings_env(settings)}
    cli = Path(sys.executable).with_name("agensium")
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(cli), "worker", "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO"], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        configure_celery(settings)  # the API now sends to the CLI worker's queue
        _, h = stack.user(100)
        task_id = stack.upload_task(h, tool_id="profile-my-data", agents=["unified-profiler"],
                                    files={"primary": csv_rows(500)})
        assert stack.process(h, task_id).status_code == 202
        assert stack.final(h, task_id, timeout=90)["status"] == "COMPLETED"
        with stack.client(h) as c:
            assert c.get("/billing/wallet").json()["balance"] == 70
        os.killpg(proc.pid, signal.SIGTERM)  # warm shutdown
        assert proc.wait(timeout=30) == 0
    finally:
        configure_celery(stack.settings)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        import redis

        r = redis.Redis.from_url(stack.settings.redis_url)
        for key in r.scan_iter(match=f"{settings.queue_name}*"):
            r.delete(key)
