"""Credit movements on SQLite, PostgreSQL and MariaDB: holds, captures, releases, idempotency,
and concurrent holds that must never overdraw a wallet."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from agensium.engine.registry import get_tool
from agensium.errors import AgensiumError, ErrorCode
from agensium.service import db
from agensium.service.billing import service as billing
from agensium.service.billing.models import LedgerEntry, Wallet
from agensium.service.models import Task, User

PROFILE_TOTAL = sum(a.cost for a in get_tool("profile-my-data").agents)


def new_user(url: str, credits: int) -> str:
    with db.session_scope(url) as s:
        user = User(email=f"b{uuid.uuid4().hex[:10]}@example.com", password_hash="x", is_verified=True)
        s.add(user)
        s.flush()
        billing.ensure_wallet(s, user.id)
        if credits:
            billing.grant(s, user.id, credits, key=f"setup:{user.id}")
        return user.id


def new_task(url: str, user_id: str, *, tool_id: str = "profile-my-data", agents: list[str] | None = None,
             status: str = "UPLOADING") -> str:
    with db.session_scope(url) as s:
        task = Task(user_id=user_id, tool_id=tool_id, agents=agents or get_tool(tool_id).agent_ids, status=status,
                    inputs={})
        s.add(task)
        s.flush()
        return task.task_id


def check_books(url: str, user_id: str) -> int:
    with db.session_scope(url) as s:
        bal = billing.get_balance(s, user_id)
        assert bal >= 0
        assert billing.ledger_sum(s, user_id) == bal
        return bal


def test_hold_capture_release_are_exact_and_idempotent(db_url: str) -> None:
    user = new_user(db_url, 1000)
    task_id = new_task(db_url, user)
    with db.session_scope(db_url) as s:
        task = s.get(Task, task_id)
        assert billing.hold_for_task(s, task) == PROFILE_TOTAL
    with db.session_scope(db_url) as s:
        assert billing.hold_for_task(s, s.get(Task, task_id)) == PROFILE_TOTAL  # found, not taken twice
    assert check_books(db_url, user) == 1000 - PROFILE_TOTAL
    with db.session_scope(db_url) as s:
        assert billing.capture_agent(s, task_id, "unified-profiler") == 30
        assert billing.capture_agent(s, task_id, "unified-profiler") == 0
        assert billing.capture_agent(s, task_id, "not-an-agent-of-the-hold") == 0
    with db.session_scope(db_url) as s:
        assert s.get(Task, task_id).credits_held == PROFILE_TOTAL - 30
        assert billing.release_rest(s, task_id) == PROFILE_TOTAL - 30
        assert billing.release_rest(s, task_id) == 0
        assert billing.capture_agent(s, task_id, "score-risk") == 0  # nothing held any more
        assert billing.captured_for_task(s, task_id) == 30
    assert check_books(db_url, user) == 1000 - 30
    with db.session_scope(db_url) as s:
        kinds = sorted(s.execute(select(LedgerEntry.kind).where(LedgerEntry.task_id == task_id)).scalars())
    assert kinds == ["CAPTURE", "HOLD", "RELEASE"]


def test_insufficient_credits_changes_nothing(db_url: str) -> None:
    user = new_user(db_url, PROFILE_TOTAL - 1)
    task_id = new_task(db_url, user)
    with db.session_scope(db_url) as s, pytest.raises(AgensiumError) as err:
        billing.hold_for_task(s, s.get(Task, task_id))
    assert err.value.code == ErrorCode.BILLING_INSUFFICIENT_CREDITS
    assert err.value.context["available"] == PROFILE_TOTAL - 1
    assert err.value.context["required"] == PROFILE_TOTAL and err.value.context["shortfall"] == 1
    assert check_books(db_url, user) == PROFILE_TOTAL - 1


def test_balance_cannot_go_negative_even_bypassing_the_service(db_url: str) -> None:
    user = new_user(db_url, 10)
    with db.session_scope(db_url) as s, pytest.raises(AgensiumError) as err:
        billing.grant(s, user, -11, key="too-much")
    assert err.value.code == ErrorCode.BILLING_INVALID_AMOUNT
    # the CHECK constraint holds the line (MariaDB reports it as an OperationalError)
    with pytest.raises((IntegrityError, OperationalError)), db.session_scope(db_url) as s:
        s.execute(update(Wallet).where(Wallet.user_id == user).values(balance=-1))
    with db.session_scope(db_url) as s:
        assert billing.grant(s, user, -10, key="adjust-1") is True
        assert billing.grant(s, user, -10, key="adjust-1") is False  # same key: applied once
    assert check_books(db_url, user) == 0


def test_signup_grant_happens_once(db_url: str) -> None:
    from agensium.settings import get_settings

    user = new_user(db_url, 0)
    with db.session_scope(db_url) as s:
        u = s.get(User, user)
        billing.on_user_created(s, u)
        billing.on_user_created(s, u)
    assert check_books(db_url, user) == get_settings().signup_credits >= PROFILE_TOTAL


def test_admin_cost_change_applies_to_new_holds_not_running_ones(db_url: str) -> None:
    user = new_user(db_url, 1000)
    old = new_task(db_url, user, agents=["unified-profiler"])
    with db.session_scope(db_url) as s:
        billing.hold_for_task(s, s.get(Task, old))
        billing.set_agent_cost(s, "unified-profiler", 7)
        assert billing.estimate(s, "profile-my-data", ["unified-profiler"]).total == 7
    with db.session_scope(db_url) as s:
        assert billing.capture_agent(s, old, "unified-profiler") == 30  # the price when it was held
        with pytest.raises(AgensiumError) as err:
            billing.set_agent_cost(s, "no-such-agent", 1)
        assert err.value.code == ErrorCode.INVALID_AGENT
        billing.set_agent_cost(s, "unified-profiler", 30)
    assert check_books(db_url, user) == 970


def test_twenty_concurrent_submits_on_a_wallet_for_five(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from agensium.service.queue import submit

    monkeypatch.setattr(submit, "_enqueue", lambda session, task, job_id: None)  # no broker in this test
    user = new_user(db_url, 5 * PROFILE_TOTAL)
    tasks = [new_task(db_url, user) for _ in range(20)]
    barrier = threading.Barrier(20, timeout=30)

    def go(task_id: str) -> str:
        barrier.wait()  # start together (sessions opened after: the pool has fewer connections than threads)
        with db.session_factory(db_url)() as s:
            task, owner = s.get(Task, task_id), s.get(User, user)
            try:
                submit.submit_verified_task(s, task, owner)
                return "queued"
            except AgensiumError as exc:
                return exc.code.value

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(go, tasks))
    assert results.count("queued") == 5, results
    assert results.count("BILLING_INSUFFICIENT_CREDITS") == 15
    assert check_books(db_url, user) == 0
    with db.session_scope(db_url) as s:
        statuses = sorted(s.execute(select(Task.status).where(Task.user_id == user)).scalars())
        holds = s.execute(select(LedgerEntry).where(LedgerEntry.user_id == user,
                                                    LedgerEntry.kind == "HOLD")).scalars().all()
    assert statuses == ["FAILED"] * 15 + ["QUEUED"] * 5
    assert len(holds) == 5


def test_the_same_task_submitted_concurrently_is_held_once(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from agensium.service.queue import submit

    monkeypatch.setattr(submit, "_enqueue", lambda session, task, job_id: None)
    user = new_user(db_url, 1000)
    task_id = new_task(db_url, user)
    barrier = threading.Barrier(8, timeout=30)

    def go(_: int) -> str:
        barrier.wait()
        with db.session_factory(db_url)() as s:
            task, owner = s.get(Task, task_id), s.get(User, user)
            try:
                submit.submit_verified_task(s, task, owner)
                return "queued"
            except AgensiumError as exc:
                return exc.code.value

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(go, range(8)))
    assert results.count("queued") == 1 and results.count("TASK_ALREADY_PROCESSING") == 7, results
    assert check_books(db_url, user) == 1000 - PROFILE_TOTAL
