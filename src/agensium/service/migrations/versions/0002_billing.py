"""Credits: wallets, the ledger (idempotency key UNIQUE) and agent costs seeded from the catalog.

Revision ID: 0002_billing
Revises: 0001_initial
Create Date: 2026-11-23
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_billing"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "wallets",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("balance", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_wallets_balance_nonneg"),
    )
    op.create_table(
        "ledger",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("balance_after", sa.Integer()),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("task_id", sa.String(36)),
        sa.Column("tool_id", sa.String(64)),
        sa.Column("agent_id", sa.String(64)),
        sa.Column("reason", sa.Text()),
        sa.Column("meta", sa.JSON()),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("idempotency_key", name="uq_ledger_idempotency_key"),
    )
    op.create_index("ix_ledger_user_created", "ledger", ["user_id", "created_at"])
    op.create_index("ix_ledger_task", "ledger", ["task_id"])
    costs = op.create_table(
        "agent_costs",
        sa.Column("agent_id", sa.String(64), primary_key=True),
        sa.Column("cost", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(36)),
        sa.Column("updated_at", TS, nullable=False),
    )
    from agensium.engine.registry import TOOLS

    now = datetime.now(UTC).replace(tzinfo=None)
    seen: dict[str, int] = {}
    for tool in TOOLS:
        for agent in tool.agents:
            seen.setdefault(agent.id, agent.cost)
    op.bulk_insert(costs, [{"agent_id": a, "cost": c, "updated_at": now} for a, c in seen.items()])


def downgrade() -> None:
    op.drop_table("agent_costs")
    op.drop_index("ix_ledger_task", table_name="ledger")
    op.drop_index("ix_ledger_user_created", table_name="ledger")
    op.drop_table("ledger")
    op.drop_table("wallets")
