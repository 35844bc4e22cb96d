"""One-time codes for e-mail verification and password reset (stored hashed, never in clear)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from agensium.service.models import Base, UTCDateTime, new_id, utcnow


class AuthCode(Base):
    __tablename__ = "auth_codes"
    __table_args__ = (Index("ix_auth_codes_user_purpose", "user_id", "purpose"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    """'verify' or 'reset'."""
    code_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    """HMAC-SHA256 of the code with SECRET_KEY, hex."""
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
