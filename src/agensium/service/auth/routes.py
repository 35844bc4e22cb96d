"""HTTP endpoints of the auth domain (`/auth/...`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from agensium.service.auth import service
from agensium.service.auth.ratelimit import enforce
from agensium.service.auth.schemas import (
    EmailIn,
    MessageOut,
    RegisterIn,
    ResetIn,
    TokenOut,
    UserOut,
    VerifyIn,
)
from agensium.service.deps import current_user, get_mailer, get_session, get_settings_dep
from agensium.service.mail import Mailer
from agensium.service.models import User
from agensium.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])
limited = [Depends(enforce)]

SENT = "If the address can receive mail, a message with a code is on its way"


@router.post("/register", status_code=201, response_model=MessageOut, dependencies=limited)
def register(body: RegisterIn, session: Session = Depends(get_session),
             settings: Settings = Depends(get_settings_dep), mailer: Mailer = Depends(get_mailer)) -> MessageOut:
    """Create an account; a verification code is mailed (never returned)."""
    service.register(session, settings, mailer, body.email, body.password, body.full_name)
    return MessageOut(message=f"Registered. {SENT}; verify with POST /auth/verify.")


@router.post("/verify", response_model=MessageOut, dependencies=limited)
def verify(body: VerifyIn, session: Session = Depends(get_session),
           settings: Settings = Depends(get_settings_dep)) -> MessageOut:
    service.verify(session, settings, body.email, body.code)
    return MessageOut(message="E-mail verified; you can log in.")


@router.post("/resend-code", response_model=MessageOut, dependencies=limited)
def resend_code(body: EmailIn, session: Session = Depends(get_session),
                settings: Settings = Depends(get_settings_dep), mailer: Mailer = Depends(get_mailer)) -> MessageOut:
    service.resend_code(session, settings, mailer, body.email)
    return MessageOut(message=SENT)


@router.post("/forgot-password", response_model=MessageOut, dependencies=limited)
def forgot_password(body: EmailIn, session: Session = Depends(get_session),
                    settings: Settings = Depends(get_settings_dep),
                    mailer: Mailer = Depends(get_mailer)) -> MessageOut:
    service.forgot_password(session, settings, mailer, body.email)
    return MessageOut(message=SENT)


@router.post("/reset-password", response_model=MessageOut, dependencies=limited)
def reset_password(body: ResetIn, session: Session = Depends(get_session),
                   settings: Settings = Depends(get_settings_dep)) -> MessageOut:
    service.reset_password(session, settings, body.email, body.code, body.new_password)
    return MessageOut(message="Password changed; log in with the new password.")


@router.post("/login", response_model=TokenOut, dependencies=limited)
def login(form: OAuth2PasswordRequestForm = Depends(), session: Session = Depends(get_session),
          settings: Settings = Depends(get_settings_dep)) -> TokenOut:
    """OAuth2 password form: `username` is the e-mail."""
    token, ttl = service.login(session, settings, form.username, form.password)
    return TokenOut(access_token=token, expires_in=ttl)


@router.get("/me", response_model=UserOut)
def me(user: User = Depends(current_user), session: Session = Depends(get_session)) -> UserOut:
    return UserOut(id=user.id, email=user.email, full_name=user.full_name, is_verified=user.is_verified,
                   is_admin=user.is_admin, created_at=user.created_at, credits=service.credits_of(session, user.id))
