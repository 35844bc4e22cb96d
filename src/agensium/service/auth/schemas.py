"""Request and response bodies of the auth endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    email: EmailStr
    password: str = Field(min_length=1, max_length=256)
    full_name: str | None = Field(None, max_length=200)


class VerifyIn(_In):
    email: EmailStr
    code: str = Field(min_length=1, max_length=32)


class EmailIn(_In):
    email: EmailStr


class ResetIn(_In):
    email: EmailStr
    code: str = Field(min_length=1, max_length=32)
    new_password: str = Field(min_length=1, max_length=256)


class MessageOut(BaseModel):
    message: str


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserOut(BaseModel):
    id: str
    email: str
    full_name: str | None
    is_verified: bool
    is_admin: bool
    created_at: datetime
    credits: int
