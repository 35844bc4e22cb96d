"""Credit movements: grant, hold at `process`, capture per delivered agent, release of the rest.

Rules this module owns:
- the balance never goes below zero: every debit is one atomic
  `UPDATE wallets SET balance = balance - :n WHERE user_id = :u AND balance >= :n` (no read-then-write);
- every movement writes exactly one ledger row with a UNIQUE idempotency key (`hold:{task}`,
  `capture:{task}:{agent}`, `release:{task}`, `signup:{user}`, …) inside the same transaction as the
  balance change, so a retry either finds the row and does nothing or does the whole movement;
- `Task.credits_held` is what is still held (not yet captured or released); captures and the release
  are compare-and-set on it, so a late capture after a watchdog release charges nothing.
Functions never commit: the caller's transaction makes the movement atomic with its status change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from agensium.engine.registry import get_tool, resolve_agents
from agensium.errors import AgensiumError, ErrorCode
from agensium.service.billing.models import AgentCost, LedgerEntry, LedgerKind, Wallet
from agensium.service.models import Task, User, utcnow


class IdempotencyConflict(RuntimeError):
    """Two transactions applied the same idempotency key at once; the loser must roll back."""


@dataclass(frozen=True)
class Estimate:
    tool_id: str
    agents: list[str]
    breakdown: dict[str, int]
    total: int

    def to_dict(self, balance: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tool_id": self.tool_id,
            "agents": self.agents,
            "breakdown": [{"agent_id": a, "cost": c} for a, c in self.breakdown.items()],
            "total_cost": self.total,
        }
        if balance is not None:
            out |= {"balance": balance, "can_afford": balance >= self.total,
                    "shortfall": max(0, self.total - balance)}
        return out


# costs ------------------------------------------------------------------------------------------
def agent_costs(session: Session) -> dict[str, int]:
    """Current costs: the admin-editable table over the catalog's defaults (new agents cost their default)."""
    from agensium.engine.registry import TOOLS

    costs = {a.id: a.cost for t in TOOLS for a in t.agents}
    costs |= dict(session.execute(select(AgentCost.agent_id, AgentCost.cost)).tuples().all())
    return costs


def set_agent_cost(session: Session, agent_id: str, cost: int, admin_id: str | None = None) -> dict[str, Any]:
    from agensium.engine.registry import TOOLS

    known = {a.id for t in TOOLS for a in t.agents}
    if agent_id not in known:
        raise AgensiumError(ErrorCode.INVALID_AGENT, f"Unknown agent '{agent_id}'", {"agent_id": agent_id})
    if cost < 0:
        raise AgensiumError(ErrorCode.BILLING_INVALID_AMOUNT, "An agent cost cannot be negative", {"cost": cost})
    row = session.get(AgentCost, agent_id)
    if row is None:
        session.add(AgentCost(agent_id=agent_id, cost=cost, updated_by=admin_id))
    else:
        row.cost, row.updated_by = cost, admin_id
    session.flush()
    return {"agent_id": agent_id, "cost": cost}


def estimate(session: Session, tool_id: str, agents: list[str] | None = None) -> Estimate:
    tool = get_tool(tool_id)
    selected = resolve_agents(tool, agents)
    costs = agent_costs(session)
    breakdown = {a: int(costs.get(a, tool.agent(a).cost)) for a in selected}  # type: ignore[union-attr]
    return Estimate(tool_id=tool.id, agents=selected, breakdown=breakdown, total=sum(breakdown.values()))


# wallet -----------------------------------------------------------------------------------------
def get_balance(session: Session, user_id: str) -> int:
    value = session.execute(select(Wallet.balance).where(Wallet.user_id == user_id)).scalar_one_or_none()
    return int(value or 0)


def ensure_wallet(session: Session, user_id: str) -> None:
    """Create an empty wallet if missing; safe against a concurrent creator (savepoint + unique key)."""
    if session.get(Wallet, user_id) is not None:
        return
    try:
        with session.begin_nested():
            session.add(Wallet(user_id=user_id, balance=0))
    except IntegrityError:
        pass  # someone else created it


def _ledger_exists(session: Session, key: str) -> bool:
    return session.execute(
        select(LedgerEntry.id).where(LedgerEntry.idempotency_key == key)
    ).first() is not None


def _write_ledger(session: Session, **values: Any) -> bool:
    """Insert one ledger row in a savepoint; False if its idempotency key already exists."""
    try:
        with session.begin_nested():
            session.add(LedgerEntry(**values))
    except IntegrityError:
        return False
    return True


def _debit(session: Session, user_id: str, amount: int) -> bool:
    result = session.execute(
        update(Wallet)
        .where(Wallet.user_id == user_id, Wallet.balance >= amount)
        .values(balance=Wallet.balance - amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _credit(session: Session, user_id: str, amount: int) -> None:
    ensure_wallet(session, user_id)
    session.execute(
        update(Wallet).where(Wallet.user_id == user_id)
        .values(balance=Wallet.balance + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def grant(session: Session, user_id: str, amount: int, *, key: str, reason: str = "grant",
          admin_id: str | None = None) -> bool:
    """Add credits (or, with a negative amount, remove them without going below zero).

    Returns False when `key` was already applied (nothing changes).
    """
    if amount == 0:
        raise AgensiumError(ErrorCode.BILLING_INVALID_AMOUNT, "The amount must not be zero", {"amount": amount})
    if _ledger_exists(session, key):
        return False
    if amount > 0:
        _credit(session, user_id, amount)
    else:
        ensure_wallet(session, user_id)
        if not _debit(session, user_id, -amount):
            available = get_balance(session, user_id)
            raise AgensiumError(ErrorCode.BILLING_INVALID_AMOUNT, "An adjustment cannot take the balance below zero",
                                {"available": available, "amount": amount})
    kind = LedgerKind.GRANT if amount > 0 else LedgerKind.ADJUSTMENT
    if not _write_ledger(session, user_id=user_id, kind=kind.value, delta=amount, amount=abs(amount),
                         balance_after=get_balance(session, user_id), idempotency_key=key, reason=reason,
                         meta={"admin_id": admin_id} if admin_id else None):
        raise IdempotencyConflict(key)
    return True


def on_user_created(session: Session, user: User) -> None:
    """Signup grant (called by registration): a wallet with `settings.signup_credits`, once per user."""
    from agensium.settings import get_settings

    ensure_wallet(session, user.id)
    credits = get_settings().signup_credits
    if credits > 0:
        grant(session, user.id, credits, key=f"signup:{user.id}", reason="signup grant")


# task holds -------------------------------------------------------------------------------------
def hold_for_task(session: Session, task: Task) -> int:
    """Reserve the whole pipeline's cost for `task`; raises 402-class BILLING_INSUFFICIENT_CREDITS.

    Idempotent per task (`hold:{task_id}`): a second call finds the hold and returns its amount.
    """
    key = f"hold:{task.task_id}"
    existing = session.execute(select(LedgerEntry.amount).where(LedgerEntry.idempotency_key == key)).scalar()
    if existing is not None:
        return int(existing)
    est = estimate(session, task.tool_id, list(task.agents))
    ensure_wallet(session, task.user_id)
    if est.total > 0 and not _debit(session, task.user_id, est.total):
        available = get_balance(session, task.user_id)
        raise AgensiumError(
            ErrorCode.BILLING_INSUFFICIENT_CREDITS,
            f"Insufficient credits: this run needs {est.total}, the wallet holds {available}",
            {"available": available, "required": est.total, "shortfall": est.total - available,
             "tool_id": task.tool_id, "breakdown": est.breakdown},
        )
    if not _write_ledger(session, user_id=task.user_id, kind=LedgerKind.HOLD.value, delta=-est.total,
                         amount=est.total, balance_after=get_balance(session, task.user_id),
                         idempotency_key=key, task_id=task.task_id, tool_id=task.tool_id,
                         reason="hold for the pipeline", meta={"breakdown": est.breakdown}):
        raise IdempotencyConflict(key)
    session.execute(update(Task).where(Task.task_id == task.task_id).values(credits_held=est.total)
                    .execution_options(synchronize_session=False))
    return est.total


def _hold_breakdown(session: Session, task_id: str) -> dict[str, int]:
    meta = session.execute(
        select(LedgerEntry.meta).where(LedgerEntry.idempotency_key == f"hold:{task_id}")
    ).scalar()
    return dict((meta or {}).get("breakdown", {}))


def capture_agent(session: Session, task_id: str, agent_id: str) -> int:
    """Spend the held cost of one delivered agent; 0 if already captured or nothing is held any more."""
    key = f"capture:{task_id}:{agent_id}"
    if _ledger_exists(session, key):
        return 0
    cost = int(_hold_breakdown(session, task_id).get(agent_id, 0))
    if cost <= 0:
        return 0
    row = session.execute(select(Task.user_id, Task.tool_id).where(Task.task_id == task_id)).first()
    if row is None:
        return 0
    won = session.execute(
        update(Task).where(Task.task_id == task_id, Task.credits_held >= cost)
        .values(credits_held=Task.credits_held - cost).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        return 0
    if not _write_ledger(session, user_id=row.user_id, kind=LedgerKind.CAPTURE.value, delta=0, amount=cost,
                         balance_after=get_balance(session, row.user_id), idempotency_key=key,
                         task_id=task_id, tool_id=row.tool_id, agent_id=agent_id,
                         reason=f"agent delivered: {agent_id}"):
        raise IdempotencyConflict(key)
    return cost


def release_rest(session: Session, task_id: str, reason: str = "released") -> int:
    """Give back whatever of the task's hold was not captured (failure, cancel, timeout, skipped agents)."""
    row = session.execute(
        select(Task.user_id, Task.tool_id, Task.credits_held).where(Task.task_id == task_id)
    ).first()
    if row is None or row.credits_held <= 0:
        return 0
    rest = int(row.credits_held)
    won = session.execute(
        update(Task).where(Task.task_id == task_id, Task.credits_held == rest)
        .values(credits_held=0).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not won:
        return 0
    key = f"release:{task_id}"
    if _ledger_exists(session, key):
        return 0
    _credit(session, row.user_id, rest)
    if not _write_ledger(session, user_id=row.user_id, kind=LedgerKind.RELEASE.value, delta=rest, amount=rest,
                         balance_after=get_balance(session, row.user_id), idempotency_key=key, task_id=task_id,
                         tool_id=row.tool_id, reason=reason):
        raise IdempotencyConflict(key)
    return rest


def captured_for_task(session: Session, task_id: str) -> int:
    value = session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        .where(LedgerEntry.task_id == task_id, LedgerEntry.kind == LedgerKind.CAPTURE.value)
    ).scalar_one()
    return int(value)


def transactions(session: Session, user_id: str, *, limit: int = 50, offset: int = 0,
                 kind: str | None = None) -> tuple[list[LedgerEntry], int]:
    where = [LedgerEntry.user_id == user_id]
    if kind:
        where.append(LedgerEntry.kind == kind)
    total = session.execute(select(func.count()).select_from(LedgerEntry).where(*where)).scalar_one()
    rows = session.execute(
        select(LedgerEntry).where(*where)
        .order_by(LedgerEntry.created_at.desc(), LedgerEntry.id.desc()).limit(limit).offset(offset)
    ).scalars().all()
    return list(rows), int(total)


def ledger_sum(session: Session, user_id: str) -> int:
    value = session.execute(
        select(func.coalesce(func.sum(LedgerEntry.delta), 0)).where(LedgerEntry.user_id == user_id)
    ).scalar_one()
    return int(value)
