"""The queue end to end through the real API, real Redis, real SeaweedFS and a real celery worker."""

from __future__ import annotations

import json

import pytest
import qtool
from sqlalchemy import select

from agensium.service.billing import service as billing
from agensium.service.billing.models import LedgerEntry
from agensium.service.models import Task

pytestmark = pytest.mark.redis

FULL = sum(qtool.COSTS.values())


def ledger(stack, task_id: str) -> list[tuple[str, int, int, str | None]]:
    with stack.session() as s:
        rows = s.execute(select(LedgerEntry.kind, LedgerEntry.delta, LedgerEntry.amount, LedgerEntry.agent_id)
                         .where(LedgerEntry.task_id == task_id).order_by(LedgerEntry.created_at)).all()
    return [tuple(r) for r in rows]


def balance(stack, user_id: str) -> int:
    with stack.session() as s:
        assert billing.ledger_sum(s, user_id) == billing.get_balance(s, user_id)
        return billing.get_balance(s, user_id)


def test_task_end_to_end_progress_outputs_and_credits(stack) -> None:
    user_id, h = stack.user(1000)
    params = {a: {"steps": 10, "step_seconds": 0.15} for a in qtool.COSTS}
    task_id = stack.upload_task(h, parameters=params)
    r = stack.process(h, task_id)
    assert r.status_code == 202, r.text
    assert balance(stack, user_id) == 1000 - FULL  # the hold is taken at process
    seen: list[dict] = []
    done = stack.wait(h, task_id, lambda t: t["status"] in ("COMPLETED", "FAILED"), 60, seen)
    assert done["status"] == "COMPLETED", done
    assert done["progress"] == 100
    running = [t for t in seen if t["status"] == "PROCESSING"]
    values = [t["progress"] for t in running]
    assert len(set(values)) >= 3 and values == sorted(values), values  # progress moved, never backwards
    assert all(20 <= v <= 95 for v in values)
    agents_seen = {t["current_agent"] for t in running if t.get("current_agent")}
    assert agents_seen <= set(qtool.COSTS) and len(agents_seen) >= 2
    detail = [t["progress_detail"] for t in running if t.get("progress_detail")]
    assert detail and detail[-1]["agents_total"] == 3
    # credits: one hold, one capture per agent, nothing released; the wallet paid exactly the full cost
    assert balance(stack, user_id) == 1000 - FULL
    kinds = sorted(k for k, *_ in ledger(stack, task_id))
    assert kinds == ["CAPTURE", "CAPTURE", "CAPTURE", "HOLD"]
    with stack.session() as s:
        task = s.get(Task, task_id)
        assert task.credits_held == 0
        assert task.result_summary["agents_completed"] == 3
        assert task.result_summary["credits_captured"] == FULL
        published = {o["name"] for o in task.outputs}
    # outputs: what the row says is exactly what is in the bucket, manifest included
    listed = {o["key"].rsplit("/", 1)[1] for o in stack.storage.list(f"users/{user_id}/tasks/{task_id}/outputs/")}
    assert listed == published and "manifest.json" in listed
    with stack.client(h) as c:
        report = c.get(f"/tasks/{task_id}/report").json()
        downloads = c.get(f"/tasks/{task_id}/downloads").json()["downloads"]
    assert report["agent_results"]["slow-b"]["status"] == "success"
    assert report["agent_results"]["slow-b"]["summary"] == {"rows": 3, "nulls": 1}
    manifest_url = next(d["url"] for d in downloads if d["filename"] == "manifest.json")
    import httpx

    manifest = json.loads(httpx.get(manifest_url).content)
    assert {f["name"] for f in manifest["files"]} == published - {"manifest.json"}


def slow(steps: int, step_seconds: float = 0.1) -> dict:
    return {a: {"steps": steps, "step_seconds": step_seconds} for a in qtool.COSTS}


def outputs_in_bucket(stack, user_id: str, task_id: str) -> list[str]:
    return [o["key"] for o in stack.storage.list(f"users/{user_id}/tasks/{task_id}/outputs/")]


def test_cancel_mid_run_stops_the_worker_and_releases_everything(stack) -> None:
    from qstack import finished_counts

    user_id, h = stack.user(1000)
    task_id = stack.upload_task(h, parameters=slow(60))  # ~18 s if nobody stops it
    before = finished_counts(stack).get("cancelled", 0)
    assert stack.process(h, task_id).status_code == 202
    stack.wait(h, task_id, lambda t: t["status"] == "PROCESSING" and t["progress"] > 25, 30)
    with stack.client(h) as c:
        r = c.post(f"/tasks/{task_id}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED", r.text
    assert balance(stack, user_id) == 1000  # released at once
    import time

    deadline = time.monotonic() + 8  # far less than the ~12 s the rest of the run would take
    while finished_counts(stack).get("cancelled", 0) <= before:
        assert time.monotonic() < deadline, "the worker did not stop at its next check"
        time.sleep(0.2)
    t = stack.get(h, task_id)
    assert t["status"] == "CANCELLED"  # never overwritten by the worker
    assert outputs_in_bucket(stack, user_id, task_id) == []
    assert sorted(k for k, *_ in ledger(stack, task_id)) == ["HOLD", "RELEASE"]
    assert balance(stack, user_id) == 1000


def test_sigkill_of_the_whole_worker_then_watchdog(stack) -> None:
    from datetime import UTC, datetime, timedelta

    from agensium.service.queue.job import run_job
    from agensium.service.queue.periodic import watchdog

    user_id, h = stack.user(1000)
    task_id = stack.upload_task(h, parameters=slow(60))
    assert stack.process(h, task_id).status_code == 202
    stack.wait(h, task_id, lambda t: t["status"] == "PROCESSING" and t["progress"] > 40, 30)
    stack.worker.kill_all()
    # a dead worker is not yet "stuck": the watchdog leaves a fresh heartbeat alone
    with stack.session() as s:
        assert watchdog(s, stack.storage, stack.settings)["worker_lost"] == 0
    later = datetime.now(UTC) + timedelta(seconds=stack.settings.heartbeat_timeout_seconds + 2)
    with stack.session() as s:
        stats = watchdog(s, stack.storage, stack.settings, now=later)
    assert stats["worker_lost"] == 1
    t = stack.get(h, task_id)
    assert t["status"] == "FAILED" and t["error_code"] == "WORKER_LOST"
    assert outputs_in_bucket(stack, user_id, task_id) == []  # nothing half-published
    assert balance(stack, user_id) == 1000  # no agent result was published, so nothing is charged
    assert sorted(k for k, *_ in ledger(stack, task_id)) == ["HOLD", "RELEASE"]
    # the broker redelivers the job eventually (visibility timeout): it must do nothing
    assert run_job(task_id, settings=stack.settings, storage=stack.storage) == "skipped"
    assert stack.get(h, task_id)["status"] == "FAILED" and balance(stack, user_id) == 1000


def test_sigkill_of_a_pool_process_resumes_without_double_charge(stack) -> None:
    import os
    import signal

    user_id, h = stack.user(1000)
    task_id = stack.upload_task(h, parameters=slow(8))
    assert stack.process(h, task_id).status_code == 202
    stack.wait(h, task_id, lambda t: t["status"] == "PROCESSING" and t["progress"] > 45, 30)
    for pid in stack.worker.children():  # the pool processes; the main process survives and redelivers
        os.kill(pid, signal.SIGKILL)
    done = stack.final(h, task_id, timeout=60)
    assert done["status"] == "COMPLETED", done
    with stack.session() as s:
        task = s.get(Task, task_id)
        assert task.attempts == 2  # resumed once, after the heartbeat went stale
    kinds = sorted(k for k, *_ in ledger(stack, task_id))
    assert kinds == ["CAPTURE", "CAPTURE", "CAPTURE", "HOLD"]  # one capture per agent, not two
    assert balance(stack, user_id) == 1000 - FULL


def test_redelivered_job_runs_once_and_charges_once(stack) -> None:
    from agensium.service.queue.celery_app import RUN_TASK, celery_app

    user_id, h = stack.user(1000)
    task_id = stack.upload_task(h, parameters=slow(5, 0.05))
    assert stack.process(h, task_id).status_code == 202
    for _ in range(2):  # the same job delivered twice more, as a broker redelivery would
        celery_app.send_task(RUN_TASK, args=[task_id], queue=stack.settings.queue_name)
    done = stack.final(h, task_id)
    assert done["status"] == "COMPLETED"
    import time

    time.sleep(1.5)  # let the duplicates be consumed
    with stack.session() as s:
        task = s.get(Task, task_id)
        assert task.attempts == 1
        first_outputs = task.outputs
    celery_app.send_task(RUN_TASK, args=[task_id], queue=stack.settings.queue_name)
    time.sleep(1.5)
    with stack.session() as s:
        assert s.get(Task, task_id).outputs == first_outputs
    assert sorted(k for k, *_ in ledger(stack, task_id)) == ["CAPTURE", "CAPTURE", "CAPTURE", "HOLD"]
    assert balance(stack, user_id) == 1000 - FULL


def test_twenty_parallel_process_calls_on_a_wallet_for_five(stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    user_id, h = stack.user(5 * FULL)
    tasks = [stack.upload_task(h) for _ in range(20)]
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda t: stack.process(h, t), tasks))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(202) == 5 and codes.count(402) == 15, codes
    refused = [r.json() for r in answers if r.status_code == 402]
    assert all(e["error_code"] == "BILLING_INSUFFICIENT_CREDITS" for e in refused)
    ctx = refused[0]["context"]
    assert ctx["required"] == FULL and ctx["shortfall"] == FULL - ctx["available"] and ctx["available"] < FULL
    accepted = [t for t, r in zip(tasks, answers, strict=True) if r.status_code == 202]
    rejected = [t for t, r in zip(tasks, answers, strict=True) if r.status_code == 402]
    for t in accepted:
        assert stack.final(h, t)["status"] == "COMPLETED"
    for t in rejected:
        got = stack.get(h, t)
        assert got["status"] == "FAILED" and got["error_code"] == "BILLING_INSUFFICIENT_CREDITS"
    assert balance(stack, user_id) == 0
    # after a top-up the same task can be processed again (FAILED -> QUEUED only for this code)
    with stack.session() as s:
        billing.grant(s, user_id, FULL, key=f"topup:{user_id}")
    assert stack.process(h, rejected[0]).status_code == 202
    assert stack.final(h, rejected[0])["status"] == "COMPLETED"
    assert balance(stack, user_id) == 0
    assert stack.process(h, rejected[1]).status_code == 402


def test_ten_tasks_at_once_all_complete(stack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    user_id, h = stack.user(10 * FULL)
    tasks = [stack.upload_task(h, parameters=slow(1, 0.05)) for _ in range(10)]
    with ThreadPoolExecutor(10) as pool:
        assert [r.status_code for r in pool.map(lambda t: stack.process(h, t), tasks)] == [202] * 10
    finals = [stack.final(h, t, timeout=90) for t in tasks]
    assert [f["status"] for f in finals] == ["COMPLETED"] * 10
    assert balance(stack, user_id) == 0


def test_failed_agent_is_not_charged_and_all_failed_is_a_failed_task(stack) -> None:
    user_id, h = stack.user(1000)
    params = slow(2, 0.01)
    params["slow-b"]["fail"] = True
    task_id = stack.upload_task(h, parameters=params)
    assert stack.process(h, task_id).status_code == 202
    done = stack.final(h, task_id)
    assert done["status"] == "COMPLETED"  # a failed analysis agent does not stop the others
    with stack.client(h) as c:
        report = c.get(f"/tasks/{task_id}/report").json()
    assert report["agent_results"]["slow-b"]["status"] == "failed"
    assert balance(stack, user_id) == 1000 - FULL + qtool.COSTS["slow-b"]
    caps = {a for k, _, _, a in ledger(stack, task_id) if k == "CAPTURE"}
    assert caps == {"slow-a", "slow-c"}

    user2, h2 = stack.user(1000)
    params = {a: {"steps": 1, "step_seconds": 0, "fail": True} for a in qtool.COSTS}
    task2 = stack.upload_task(h2, parameters=params)
    assert stack.process(h2, task2).status_code == 202
    done = stack.final(h2, task2)
    assert done["status"] == "FAILED" and done["error_code"] == "AGENT_ERROR"
    assert balance(stack, user2) == 1000
    # the report of what ran is still published for a failed run
    with stack.session() as s:
        names = {o["name"] for o in s.get(Task, task2).outputs}
    assert "manifest.json" in names and any(n.endswith(".json") and n != "manifest.json" for n in names)


def test_claim_rules_for_redeliveries(stack) -> None:
    """In-process: what a delivery does with a task some earlier attempt left PROCESSING."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from agensium.service.queue.job import MAX_ATTEMPTS, run_job

    user_id, h = stack.user(1000)
    now = datetime.now(UTC)
    stale = now - timedelta(seconds=stack.settings.heartbeat_timeout_seconds + 5)

    def left_processing(**values) -> str:
        task_id = stack.upload_task(h)
        with stack.session() as s:
            billing.hold_for_task(s, s.get(Task, task_id))
            row = {"status": "PROCESSING", "processing_started_at": now - timedelta(seconds=30), "attempts": 1}
            s.execute(update(Task).where(Task.task_id == task_id).values(**(row | values)))
        return task_id

    def run(task_id: str) -> str:
        return run_job(task_id, settings=stack.settings, storage=stack.storage)

    fresh = left_processing(heartbeat_at=now)
    assert run(fresh) == "busy"  # its worker may still be alive
    exhausted = left_processing(heartbeat_at=stale, attempts=MAX_ATTEMPTS)
    assert run(exhausted) == "skipped"
    overdue = left_processing(heartbeat_at=stale,
                              processing_started_at=now - timedelta(seconds=stack.settings.task_time_limit_seconds + 1))
    assert run(overdue) == "skipped"
    resumable = left_processing(heartbeat_at=stale)
    with stack.session() as s:  # the dead attempt had already captured one agent
        s.execute(update(Task).where(Task.task_id == resumable).values(credits_held=FULL))
        assert billing.capture_agent(s, resumable, "slow-a") == qtool.COSTS["slow-a"]
    assert run(resumable) == "completed"
    with stack.session() as s:
        assert s.get(Task, resumable).attempts == 2
    caps = sorted(a for k, _, _, a in ledger(stack, resumable) if k == "CAPTURE")
    assert caps == ["slow-a", "slow-b", "slow-c"]
    for t in (fresh, exhausted, overdue):
        assert stack.get(h, t)["status"] == "PROCESSING"  # left to its worker or to the watchdog
    assert balance(stack, user_id) == 1000 - 4 * FULL


def test_cancel_while_queued_then_the_job_does_nothing(stack) -> None:
    user_id, h = stack.user(1000)
    from redis import Redis

    def depth() -> int:  # messages waiting in this session's Redis queue
        return Redis.from_url(stack.settings.redis_url).llen(f"{stack.settings.queue_name}:{stack.settings.queue_name}")

    stack.worker.kill_all()  # nobody consumes: the task stays QUEUED
    task_id = stack.upload_task(h)
    assert stack.process(h, task_id).status_code == 202
    assert stack.get(h, task_id)["status"] == "QUEUED"
    assert depth() == 1
    with stack.client(h) as c:
        wallet = c.get("/billing/wallet").json()
        assert wallet["balance"] == 1000 - FULL and wallet["held"] == FULL
        assert "agensium_queue_depth 1.0" in c.get("/metrics").text
        assert c.post(f"/tasks/{task_id}/cancel").json()["status"] == "CANCELLED"
    assert balance(stack, user_id) == 1000
    stack.worker.ensure_running()  # the message is still in Redis: it is consumed and ignored
    import time

    from agensium.service.models import Task as T

    deadline = time.monotonic() + 15
    while depth():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    time.sleep(1)
    with stack.session() as s:
        row = s.get(T, task_id)
        assert row.status == "CANCELLED" and row.processing_started_at is None and row.attempts == 0
    assert sorted(k for k, *_ in ledger(stack, task_id)) == ["HOLD", "RELEASE"]


class _Storage:
    """The real storage, with a hook before each upload (to fail, or to cancel the task meanwhile)."""

    def __init__(self, real, before_upload) -> None:
        self.real, self.before_upload, self.uploaded = real, before_upload, []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def upload_file(self, path, key, content_type) -> None:
        self.before_upload(key, len(self.uploaded))
        self.real.upload_file(path, key, content_type)
        self.uploaded.append(key)


def _queued_without_message(stack, h, monkeypatch) -> str:
    """A QUEUED task with its credit hold, whose message is not sent (the test runs the job itself)."""
    from agensium.service.models import User
    from agensium.service.queue import submit

    monkeypatch.setattr(submit, "_enqueue", lambda session, task, job_id: None)
    task_id = stack.upload_task(h)
    with stack.session() as s:
        task = s.get(Task, task_id)
        submit.submit_verified_task(s, task, s.get(User, task.user_id))
    return task_id


def test_a_failed_upload_publishes_nothing(stack, monkeypatch) -> None:
    from agensium.errors import AgensiumError, ErrorCode
    from agensium.service.queue.job import run_job

    user_id, h = stack.user(1000)
    task_id = _queued_without_message(stack, h, monkeypatch)

    def fail_third(key: str, n: int) -> None:
        if n == 2:
            raise AgensiumError(ErrorCode.STORAGE_ERROR, "disk full")

    flaky = _Storage(stack.storage, fail_third)
    assert run_job(task_id, settings=stack.settings, storage=flaky) == "failed"
    assert len(flaky.uploaded) == 2
    t = stack.get(h, task_id)
    assert t["status"] == "FAILED" and t["error_code"] == "STORAGE_ERROR" and not t["downloads_available"]
    assert outputs_in_bucket(stack, user_id, task_id) == []  # the two uploaded files were deleted again
    assert balance(stack, user_id) == 1000


def test_a_cancel_during_publishing_wins_and_leaves_no_output(stack, monkeypatch) -> None:
    from sqlalchemy import update

    from agensium.service.queue.job import run_job

    user_id, h = stack.user(1000)
    task_id = _queued_without_message(stack, h, monkeypatch)

    def cancel_before_manifest(key: str, n: int) -> None:
        if key.endswith("/manifest.json"):
            with stack.session() as s:
                s.execute(update(Task).where(Task.task_id == task_id)
                          .values(status="CANCELLED", cancel_requested=True))

    spy = _Storage(stack.storage, cancel_before_manifest)
    assert run_job(task_id, settings=stack.settings, storage=spy) == "skipped"
    assert len(spy.uploaded) >= 3
    with stack.session() as s:
        row = s.get(Task, task_id)
        assert row.status == "CANCELLED" and row.outputs is None and row.credits_held == 0
    assert outputs_in_bucket(stack, user_id, task_id) == []
    assert sorted(k for k, *_ in ledger(stack, task_id)) == ["HOLD", "RELEASE"]
    assert balance(stack, user_id) == 1000


def test_watchdog_resends_a_lost_message(stack, monkeypatch) -> None:
    from datetime import UTC, datetime, timedelta

    from agensium.service.queue.periodic import watchdog

    user_id, h = stack.user(1000)
    task_id = _queued_without_message(stack, h, monkeypatch)  # QUEUED, but no message anywhere
    with stack.session() as s:
        assert watchdog(s, stack.storage, stack.settings)["requeued"] == 0  # not overdue yet
    later = datetime.now(UTC) + timedelta(seconds=stack.settings.task_time_limit_seconds + 1)
    with stack.session() as s:
        assert watchdog(s, stack.storage, stack.settings, now=later)["requeued"] == 1
    with stack.session() as s:
        assert watchdog(s, stack.storage, stack.settings, now=later)["requeued"] == 0  # once per period
    assert stack.final(h, task_id)["status"] == "COMPLETED"
    assert balance(stack, user_id) == 1000 - FULL
