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
    from conftest import finished_counts

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
    task_id = stack.upload_task(h, parameters=slow(15))
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
    tasks = [stack.upload_task(h, parameters=slow(3, 0.05)) for _ in range(10)]
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
