"""Expiry, retention and the watchdog with a controllable clock, against real SeaweedFS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from agensium.errors import AgensiumError
from agensium.service import db
from agensium.service.billing import service as billing
from agensium.service.models import Task, User
from agensium.service.queue.periodic import (
    apply_retention,
    expire_uploads,
    run_periodic,
    settle_holds,
    watchdog,
)
from agensium.service.storage import Storage

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path, s3) -> Any:
    from qstack import make_settings

    settings = make_settings(tmp_path, s3, tag=uuid.uuid4().hex[:10], redis=False)
    db.upgrade_database(settings.effective_database_url)
    storage = Storage(settings)
    storage.ensure_bucket()

    class Env:
        pass

    e = Env()
    e.settings, e.storage, e.url = settings, storage, settings.effective_database_url
    with db.session_scope(e.url) as s:
        user = User(email=f"p{uuid.uuid4().hex[:8]}@example.com", password_hash="x", is_verified=True)
        s.add(user)
        s.flush()
        e.user = user.id
        billing.grant(s, user.id, 1000, key=f"setup:{user.id}")
    yield e
    db.dispose(e.url)


def add_task(e: Any, status: str, *, files: dict[str, bytes] | None = None, **values: Any) -> str:
    with db.session_scope(e.url) as s:
        task = Task(user_id=e.user, tool_id="profile-my-data", agents=["unified-profiler"], status="CREATED",
                    inputs={})
        s.add(task)
        s.flush()
        task_id = task.task_id
    with db.session_scope(e.url) as s:  # explicit values win over onupdate
        s.execute(update(Task).where(Task.task_id == task_id).values(status=status, **values))
    prefix = e.storage.task_prefix(e.user, task_id)
    for name, data in (files or {}).items():
        e.storage.put_bytes(prefix + name, data, "application/octet-stream")
    return task_id


def row(e: Any, task_id: str) -> Task:
    with db.session_scope(e.url) as s:
        task = s.get(Task, task_id)
        s.expunge(task)
        return task


def keys(e: Any, task_id: str) -> list[str]:
    prefix = e.storage.task_prefix(e.user, task_id)
    return sorted(o["key"][len(prefix):] for o in e.storage.list(prefix))


def test_expiry_after_fifteen_quiet_minutes_deletes_partial_uploads(env: Any) -> None:
    old = T0 - timedelta(minutes=16)
    created = add_task(env, "CREATED", updated_at=old)
    uploading = add_task(env, "UPLOADING", updated_at=old, files={"inputs/primary.csv": b"a,b\n1,2\n"})
    failed = add_task(env, "UPLOAD_FAILED", updated_at=old, files={"inputs/primary.csv": b"x"})
    fresh = add_task(env, "UPLOADING", updated_at=T0 - timedelta(minutes=14), files={"inputs/primary.csv": b"y"})
    queued = add_task(env, "QUEUED", updated_at=old)
    # an unfinished multipart upload holds storage too
    mp = env.storage.multipart_plan(env.storage.input_key(env.user, uploading, "baseline", "csv"), "text/csv",
                                    6 * 1024 * 1024)
    with db.session_scope(env.url) as s:
        stats = expire_uploads(s, env.storage, env.settings, now=T0)
    assert stats["expired"] == 3
    for t in (created, uploading, failed):
        r = row(env, t)
        assert r.status == "EXPIRED" and r.expired_at == T0 and r.s3_cleaned
        assert keys(env, t) == []
    with pytest.raises(AgensiumError) as err:  # the unfinished multipart upload was aborted
        env.storage.list_parts(mp["key"], mp["upload_id"])
    assert err.value.context["s3_code"] == "NoSuchUpload"
    assert row(env, fresh).status == "UPLOADING" and keys(env, fresh) == ["inputs/primary.csv"]
    assert row(env, queued).status == "QUEUED"
    with db.session_scope(env.url) as s:  # idempotent
        assert expire_uploads(s, env.storage, env.settings, now=T0)["expired"] == 0
    # the period is a setting
    env.settings.upload_expiry_minutes = 60
    with db.session_scope(env.url) as s:
        assert expire_uploads(s, env.storage, env.settings, now=T0 + timedelta(minutes=30))["expired"] == 0


def test_retention_inputs_after_7_days_outputs_after_30(env: Any) -> None:
    files = {"inputs/primary.csv": b"a\n1\n", "inputs/parameters.json": b"{}", "outputs/report.json": b"{}",
             "outputs/manifest.json": b"{}"}
    done = add_task(env, "COMPLETED", completed_at=T0, files=files,
                    outputs=[{"name": "report.json", "key": "k"}])
    failed = add_task(env, "FAILED", failed_at=T0, files=files)
    cancelled = add_task(env, "CANCELLED", cancelled_at=T0 + timedelta(days=2), files=files)
    running = add_task(env, "PROCESSING", processing_started_at=T0 - timedelta(days=60), files=files)

    def run(at: datetime) -> dict[str, int]:
        with db.session_scope(env.url) as s:
            return apply_retention(s, env.storage, env.settings, now=at)

    assert run(T0 + timedelta(days=6, hours=23))["inputs_deleted"] == 0
    stats = run(T0 + timedelta(days=7, seconds=1))
    assert stats["inputs_deleted"] == 2 and stats["outputs_deleted"] == 0
    for t in (done, failed):
        assert keys(env, t) == ["outputs/manifest.json", "outputs/report.json"]
        r = row(env, t)
        assert r.inputs_deleted_at is not None and not r.s3_cleaned
    assert row(env, done).outputs  # still downloadable
    assert len(keys(env, cancelled)) == 4  # ended two days later
    assert run(T0 + timedelta(days=29))["outputs_deleted"] == 0
    stats = run(T0 + timedelta(days=30, seconds=1))
    assert stats["outputs_deleted"] == 2 and stats["inputs_deleted"] == 0
    for t in (done, failed):
        r = row(env, t)
        assert keys(env, t) == [] and r.s3_cleaned and r.outputs is None
    run(T0 + timedelta(days=40))
    assert keys(env, cancelled) == [] and row(env, cancelled).s3_cleaned
    assert len(keys(env, running)) == 4 and not row(env, running).s3_cleaned  # never while it runs


def test_watchdog_times_out_long_runs_and_releases_their_credits(env: Any) -> None:
    limit = env.settings.task_time_limit_seconds
    over = add_task(env, "PROCESSING", processing_started_at=T0 - timedelta(seconds=limit + 1),
                    heartbeat_at=T0, files={"outputs/partial.csv": b"x"})
    ok = add_task(env, "PROCESSING", processing_started_at=T0 - timedelta(seconds=limit - 60), heartbeat_at=T0)
    never_beat = add_task(env, "PROCESSING", processing_started_at=T0 - timedelta(minutes=10))
    with db.session_scope(env.url) as s:
        billing.hold_for_task(s, s.get(Task, over))
    with db.session_scope(env.url) as s:
        assert billing.get_balance(s, env.user) == 970
        stats = watchdog(s, env.storage, env.settings, now=T0)
    assert stats["timed_out"] == 1 and stats["worker_lost"] == 1
    r = row(env, over)
    assert r.status == "FAILED" and r.error_code == "TIMEOUT" and r.credits_held == 0
    assert keys(env, over) == []  # what a dying worker uploaded is not left behind
    assert row(env, never_beat).error_code == "WORKER_LOST"
    assert row(env, ok).status == "PROCESSING"
    with db.session_scope(env.url) as s:
        assert billing.get_balance(s, env.user) == 1000 == billing.ledger_sum(s, env.user)


def test_holds_of_tasks_that_ended_elsewhere_are_released(env: Any) -> None:
    t = add_task(env, "UPLOADING")
    with db.session_scope(env.url) as s:
        billing.hold_for_task(s, s.get(Task, t))
        s.execute(update(Task).where(Task.task_id == t).values(status="CANCELLED", cancelled_at=T0))
    with db.session_scope(env.url) as s:
        assert settle_holds(s) == 30
        assert settle_holds(s) == 0
        assert billing.get_balance(s, env.user) == 1000


def test_run_periodic_runs_every_job_with_the_default_session(env: Any) -> None:
    add_task(env, "CREATED", updated_at=T0 - timedelta(hours=1))
    db.configure(env.url)
    try:
        out = run_periodic(settings=env.settings, storage=env.storage, now=T0)
    finally:
        db.configure(None)
    assert out["expire"]["expired"] == 1
    assert set(out) == {"watchdog", "expire", "retention"}
