"""Users, tasks and one-time auth codes.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

# naive UTC with microseconds on every backend (models.UTCDateTime does the same at runtime)
TS = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(200)),
        sa.Column("is_verified", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "tasks",
        sa.Column("task_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("tool_id", sa.String(64), nullable=False),
        sa.Column("agents", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("current_agent", sa.String(64)),
        sa.Column("progress_detail", sa.JSON()),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("has_parameters", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("queue_job_id", sa.String(64)),
        sa.Column("heartbeat_at", TS),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text()),
        sa.Column("error_agent", sa.String(64)),
        sa.Column("result_summary", sa.JSON()),
        sa.Column("outputs", sa.JSON()),
        sa.Column("credits_held", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("s3_cleaned", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("inputs_deleted_at", TS),
        sa.Column("outputs_deleted_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("upload_started_at", TS),
        sa.Column("processing_started_at", TS),
        sa.Column("completed_at", TS),
        sa.Column("failed_at", TS),
        sa.Column("cancelled_at", TS),
        sa.Column("expired_at", TS),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_tasks_user_status", "tasks", ["user_id", "status"])
    op.create_index("ix_tasks_user_created", "tasks", ["user_id", "created_at"])
    op.create_index("ix_tasks_status", "tasks", ["status"])
    op.create_index("ix_tasks_created_at", "tasks", ["created_at"])
    op.create_index("ix_tasks_tool_id", "tasks", ["tool_id"])
    op.create_index("ix_tasks_status_updated", "tasks", ["status", "updated_at"])
    op.create_table(
        "auth_codes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_auth_codes_user_purpose", "auth_codes", ["user_id", "purpose"])


def downgrade() -> None:
    op.drop_index("ix_auth_codes_user_purpose", table_name="auth_codes")
    op.drop_table("auth_codes")
    for name in ("ix_tasks_status_updated", "ix_tasks_tool_id", "ix_tasks_created_at", "ix_tasks_status",
                 "ix_tasks_user_created", "ix_tasks_user_status"):
        op.drop_index(name, table_name="tasks")
    op.drop_table("tasks")
    op.drop_table("users")
