"""Billing endpoints: wallet, ledger, cost estimate; admin grants, agent costs and the user list.

Admin routes need the admin role (the earlier version let any verified user grant themselves
credits). A grant may carry the client's own idempotency key, so a retried request grants once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from agensium.errors import AgensiumError, ErrorCode
from agensium.service.billing import service as billing
from agensium.service.billing.models import LedgerEntry, LedgerKind, Wallet
from agensium.service.deps import current_user, get_session, require_admin
from agensium.service.lifecycle import TaskStatus
from agensium.service.models import Task, User

router = APIRouter(tags=["billing"])


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EstimateIn(_In):
    tool_id: str = Field(min_length=1, max_length=64)
    agents: list[str] | None = Field(None, max_length=50)


class GrantIn(_In):
    user_id: str | None = Field(None, max_length=36)
    email: str | None = Field(None, max_length=320)
    amount: int = Field(description="Credits to add; a negative amount removes credits (never below zero)")
    reason: str | None = Field(None, max_length=500)
    idempotency_key: str | None = Field(None, min_length=1, max_length=120,
                                        description="Send the same key again and nothing is granted twice")

    @model_validator(mode="after")
    def _one_target(self) -> GrantIn:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of user_id or email")
        return self


class AgentCostIn(_In):
    cost: int = Field(ge=0, le=1_000_000)


def _entry_out(e: LedgerEntry) -> dict[str, Any]:
    return {"id": e.id, "kind": e.kind, "delta": e.delta, "amount": e.amount, "balance_after": e.balance_after,
            "task_id": e.task_id, "tool_id": e.tool_id, "agent_id": e.agent_id, "reason": e.reason,
            "created_at": e.created_at.isoformat()}


def _held(session: Session, user_id: str) -> int:
    value = session.execute(
        select(func.coalesce(func.sum(Task.credits_held), 0))
        .where(Task.user_id == user_id, Task.status.in_((TaskStatus.QUEUED.value, TaskStatus.PROCESSING.value)))
    ).scalar_one()
    return int(value)


@router.get("/billing/wallet")
def wallet(user: User = Depends(current_user), session: Session = Depends(get_session)) -> dict[str, Any]:
    """Balance (spendable now), credits held by queued/running tasks, and the latest movements."""
    recent, _ = billing.transactions(session, user.id, limit=10)
    return {"user_id": user.id, "balance": billing.get_balance(session, user.id),
            "held": _held(session, user.id), "recent_transactions": [_entry_out(e) for e in recent]}


@router.get("/billing/transactions")
def transactions(
    limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0),
    kind: LedgerKind | None = Query(None, description="Only movements of this kind"),
    user: User = Depends(current_user), session: Session = Depends(get_session),
) -> dict[str, Any]:
    rows, total = billing.transactions(session, user.id, limit=limit, offset=offset,
                                       kind=kind.value if kind else None)
    return {"transactions": [_entry_out(e) for e in rows],
            "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": offset + len(rows) < total}}


@router.post("/billing/estimate")
def estimate(body: EstimateIn, user: User = Depends(current_user),
             session: Session = Depends(get_session)) -> dict[str, Any]:
    est = billing.estimate(session, body.tool_id, body.agents)
    return est.to_dict(balance=billing.get_balance(session, user.id))


@router.get("/billing/agent-costs")
def list_agent_costs(session: Session = Depends(get_session)) -> dict[str, Any]:
    costs = billing.agent_costs(session)
    return {"agent_costs": [{"agent_id": a, "cost": c} for a, c in sorted(costs.items())]}


# admin ------------------------------------------------------------------------------------------
def _target_user(session: Session, body: GrantIn) -> User:
    if body.user_id is not None:
        user = session.get(User, body.user_id)
    else:
        user = session.execute(select(User).where(User.email == (body.email or "").strip().lower())).scalar()
    if user is None:
        raise AgensiumError(ErrorCode.NOT_FOUND, "No such user", {"user_id": body.user_id, "email": body.email})
    return user


@router.post("/admin/credits/grant", tags=["admin"])
def admin_grant(body: GrantIn, admin: User = Depends(require_admin),
                session: Session = Depends(get_session)) -> dict[str, Any]:
    target = _target_user(session, body)
    key = f"admin:{body.idempotency_key}" if body.idempotency_key else f"admin:{uuid.uuid4()}"
    try:
        applied = billing.grant(session, target.id, body.amount, key=key, reason=body.reason or "admin grant",
                                admin_id=admin.id)
        session.commit()
    except billing.IdempotencyConflict:  # the same key applied concurrently: that one counts
        session.rollback()
        applied = False
    return {"user_id": target.id, "amount": body.amount, "applied": applied,
            "balance": billing.get_balance(session, target.id)}


@router.put("/admin/agent-costs/{agent_id}", tags=["admin"])
def admin_set_cost(agent_id: str, body: AgentCostIn, admin: User = Depends(require_admin),
                   session: Session = Depends(get_session)) -> dict[str, Any]:
    out = billing.set_agent_cost(session, agent_id, body.cost, admin.id)
    session.commit()
    return out


@router.get("/admin/users", tags=["admin"])
def admin_users(
    limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0),
    q: str | None = Query(None, max_length=320, description="Part of an e-mail or name"),
    _admin: User = Depends(require_admin), session: Session = Depends(get_session),
) -> dict[str, Any]:
    where = []
    if q:
        like = f"%{q.strip().lower()}%"
        where.append(or_(func.lower(User.email).like(like), func.lower(User.full_name).like(like)))
    total = session.execute(select(func.count()).select_from(User).where(*where)).scalar_one()
    rows = session.execute(
        select(User, Wallet.balance).outerjoin(Wallet, Wallet.user_id == User.id).where(*where)
        .order_by(User.created_at.desc(), User.id).limit(limit).offset(offset)
    ).all()

    def iso(d: datetime | None) -> str | None:
        return d.isoformat() if d else None

    users = [{"id": u.id, "email": u.email, "full_name": u.full_name, "is_admin": u.is_admin,
              "is_verified": u.is_verified, "is_active": u.is_active, "created_at": iso(u.created_at),
              "balance": int(balance or 0)} for u, balance in rows]
    return {"users": users,
            "pagination": {"total": int(total), "limit": limit, "offset": offset,
                           "has_more": offset + len(users) < int(total)}}
