"""`agensium beat` schedules the periodic jobs; the worker runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from agensium.service.models import Task
from agensium.service.queue.embedded import settings_env

pytestmark = pytest.mark.redis


def test_beat_sends_the_periodic_jobs_to_the_worker(stack, tmp_path: Path) -> None:
    _, h = stack.user(0)
    task_id = stack.upload_task(h)
    with stack.session() as s:
        s.execute(update(Task).where(Task.task_id == task_id)
                  .values(updated_at=datetime.now(UTC) - timedelta(hours=1)))
    settings = stack.settings.model_copy(update={"periodic_interval_seconds": 1, "var_dir": tmp_path / "var"})
    cli = Path(sys.executable).with_name("agensium")
    log = tmp_path / "beat.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([str(cli), "beat", "--loglevel", "INFO"], env={**os.environ, **settings_env(settings)},
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        got = stack.wait(h, task_id, lambda t: t["status"] == "EXPIRED", 30)
        assert got["expired_at"] is not None
        text = log.read_text(errors="replace")
        for job in ("expire_uploads", "retention", "watchdog"):
            assert f"agensium.periodic.{job}" in text
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)


def test_credits_grant_command_grants_once_per_key(stack) -> None:
    _, h = stack.user(5)
    with stack.client(h) as c:
        email = c.get("/auth/me").json()["email"]
    cli = Path(sys.executable).with_name("agensium")
    env = {**os.environ, **settings_env(stack.settings)}

    def grant(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(cli), "credits", "grant", *args], env=env, capture_output=True, text=True,
                              timeout=60)

    first = grant(email, "50", "--key", "ticket-1")
    assert first.returncode == 0 and "now holds 55 credits" in first.stdout, first.stderr
    again = grant(email, "50", "--key", "ticket-1")
    assert again.returncode == 0 and "already applied" in again.stdout
    too_much = grant("--", email, "-100")  # "--": a negative amount is not an option
    assert too_much.returncode == 2 and "below zero" in too_much.stderr
    unknown = grant("nobody@example.com", "1")
    assert unknown.returncode == 1
    with stack.client(h) as c:
        assert c.get("/billing/wallet").json()["balance"] == 55
