"""Wallets, the credit ledger and agent costs.

The wallet balance is what a user can still spend; a hold moves credits out of it at `process`,
captures record what each delivered agent consumed (no balance change), and a release gives the
rest back. Every movement is one ledger row whose `idempotency_key` is UNIQUE, so a redelivered job
or a retried request can never move credits twice, and `SUM(delta)` over a user's rows always
equals the wallet balance.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from agensium.service.models import Base, UTCDateTime, new_id, utcnow


class LedgerKind(StrEnum):
    GRANT = "GRANT"  # signup or admin grant (delta > 0)
    ADJUSTMENT = "ADJUSTMENT"  # admin correction (delta < 0, never below zero)
    HOLD = "HOLD"  # reserved for a task at process (delta < 0)
    CAPTURE = "CAPTURE"  # an agent delivered: the held credits are spent (delta 0, amount > 0)
    RELEASE = "RELEASE"  # the uncaptured rest of a hold goes back (delta > 0)


class Wallet(Base):
    __tablename__ = "wallets"
    __table_args__ = (CheckConstraint("balance >= 0", name="ck_wallets_balance_nonneg"),)

    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class LedgerEntry(Base):
    __tablename__ = "ledger"
    __table_args__ = (
        Index("ix_ledger_user_created", "user_id", "created_at"),
        Index("ix_ledger_task", "task_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)
    """Signed change of the wallet balance."""
    amount: Mapped[int] = mapped_column(Integer, nullable=False)
    """Credits concerned (positive); differs from |delta| only for CAPTURE (spent from the hold)."""
    balance_after: Mapped[int | None] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    tool_id: Mapped[str | None] = mapped_column(String(64))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    meta: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class AgentCost(Base):
    __tablename__ = "agent_costs"

    agent_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cost: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_by: Mapped[str | None] = mapped_column(String(36))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
