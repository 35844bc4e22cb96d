"""Account rules: registration, verification codes, login, password reset.

Answers never reveal whether an e-mail is registered: registering an existing address answers like
a new one and mails the owner instead; resend/forgot answer the same for unknown addresses; a wrong
or dead code is always the same AUTH_INVALID_CODE.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from agensium.errors import AgensiumError, ErrorCode
from agensium.service.auth import security
from agensium.service.auth.models import AuthCode
from agensium.service.mail import Mailer
from agensium.service.models import User
from agensium.settings import Settings

log = logging.getLogger(__name__)

VERIFY, RESET = "verify", "reset"
INVALID_CODE = "The code is invalid or expired, or was tried too many times; request a new code"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))  # stored normalised


def _issue_code(session: Session, settings: Settings, user: User, purpose: str) -> str:
    """A fresh code; earlier codes of the same purpose die with it."""
    session.execute(delete(AuthCode).where(AuthCode.user_id == user.id, AuthCode.purpose == purpose))
    code = security.new_code()
    session.add(AuthCode(
        user_id=user.id, purpose=purpose, code_hash=security.hash_code(settings.secret_key, user.id, purpose, code),
        expires_at=datetime.now(UTC) + timedelta(minutes=settings.code_ttl_minutes),
    ))
    return code


def _mail_code(mailer: Mailer, settings: Settings, user: User, purpose: str, code: str) -> None:
    ttl = settings.code_ttl_minutes
    if purpose == VERIFY:
        subject, what = "Your Agensium verification code", "verify your e-mail address"
    else:
        subject, what = "Your Agensium password reset code", "reset your password"
    mailer.send(user.email, subject,
                f"Use this code to {what}: {code}\n\nIt expires in {ttl} minutes and works once.\n"
                "If you did not ask for it, ignore this message.")


def on_user_created(session: Session, user: User) -> None:
    """Billing's signup grant, when that module is installed."""
    try:
        from agensium.service.billing.service import on_user_created as grant
    except ImportError:
        return
    grant(session, user)


def create_user(session: Session, email: str, password: str, *, full_name: str | None = None,
                verified: bool = False, admin: bool = False) -> User:
    user = User(email=normalise_email(email), password_hash=security.hash_password(password),
                full_name=full_name, is_verified=verified, is_admin=admin)
    session.add(user)
    session.flush()
    on_user_created(session, user)
    return user


def register(session: Session, settings: Settings, mailer: Mailer, email: str, password: str,
             full_name: str | None) -> None:
    email = normalise_email(email)
    security.check_password_strength(password, email)
    existing = find_user(session, email)
    if existing is not None:
        # same answer (and comparable work) as a new registration; only the owner learns of it
        security.hash_password(password)
        if existing.is_verified:
            mailer.send(existing.email, "Someone tried to register with your e-mail",
                        "An Agensium account already exists for this address. If this was you, log in or "
                        "reset your password. If not, you can ignore this message.")
        else:
            code = _issue_code(session, settings, existing, VERIFY)
            session.commit()
            _mail_code(mailer, settings, existing, VERIFY, code)
        return
    user = create_user(session, email, password, full_name=full_name)
    code = _issue_code(session, settings, user, VERIFY)
    session.commit()
    _mail_code(mailer, settings, user, VERIFY, code)


def _consume_code(session: Session, settings: Settings, user: User | None, purpose: str, code: str) -> None:
    """Check a code: one attempt is spent atomically before comparing; a spent-out code is dead."""
    if user is None:
        security.codes_equal(security.hash_code(settings.secret_key, "-", purpose, code), "0" * 64)
        raise AgensiumError(ErrorCode.AUTH_INVALID_CODE, INVALID_CODE)
    row = session.scalar(select(AuthCode).where(AuthCode.user_id == user.id, AuthCode.purpose == purpose,
                                                AuthCode.used_at.is_(None)))
    now = datetime.now(UTC)
    if row is None or row.expires_at <= now:
        raise AgensiumError(ErrorCode.AUTH_INVALID_CODE, INVALID_CODE)
    spent = session.execute(
        update(AuthCode).where(AuthCode.id == row.id, AuthCode.attempts < settings.code_max_attempts,
                               AuthCode.used_at.is_(None))
        .values(attempts=AuthCode.attempts + 1).execution_options(synchronize_session=False)
    ).rowcount
    session.commit()  # the attempt counts even if the request fails below
    candidate = security.hash_code(settings.secret_key, user.id, purpose, code)
    if spent != 1 or not security.codes_equal(candidate, row.code_hash):
        raise AgensiumError(ErrorCode.AUTH_INVALID_CODE, INVALID_CODE)
    used = session.execute(
        update(AuthCode).where(AuthCode.id == row.id, AuthCode.used_at.is_(None)).values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if used != 1:  # a concurrent request used it first
        raise AgensiumError(ErrorCode.AUTH_INVALID_CODE, INVALID_CODE)


def verify(session: Session, settings: Settings, email: str, code: str) -> None:
    user = find_user(session, email)
    _consume_code(session, settings, user, VERIFY, code)
    assert user is not None
    user.is_verified = True
    session.commit()


def resend_code(session: Session, settings: Settings, mailer: Mailer, email: str) -> None:
    user = find_user(session, email)
    if user is None or user.is_verified:
        return
    code = _issue_code(session, settings, user, VERIFY)
    session.commit()
    _mail_code(mailer, settings, user, VERIFY, code)


def forgot_password(session: Session, settings: Settings, mailer: Mailer, email: str) -> None:
    user = find_user(session, email)
    if user is None or not user.is_active:
        return
    code = _issue_code(session, settings, user, RESET)
    session.commit()
    _mail_code(mailer, settings, user, RESET, code)


def reset_password(session: Session, settings: Settings, email: str, code: str, new_password: str) -> None:
    security.check_password_strength(new_password, email)
    user = find_user(session, email)
    _consume_code(session, settings, user, RESET, code)
    assert user is not None
    user.password_hash = security.hash_password(new_password)
    user.is_verified = True  # receiving the code proves the address
    session.commit()


def login(session: Session, settings: Settings, email: str, password: str) -> tuple[str, int]:
    user = find_user(session, email)
    ok = security.verify_password(user.password_hash if user else None, password)
    if user is None or not ok:
        raise AgensiumError(ErrorCode.AUTH_INVALID_CREDENTIALS, "Incorrect e-mail or password")
    if not user.is_active:
        raise AgensiumError(ErrorCode.AUTH_INACTIVE, "This account is disabled")
    if not user.is_verified:
        raise AgensiumError(ErrorCode.AUTH_NOT_VERIFIED,
                            "Verify your e-mail address first (POST /auth/resend-code sends a new code)")
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
        session.commit()
    return security.create_access_token(settings, user.id, user.password_hash)


def credits_of(session: Session, user_id: str) -> int:
    try:
        from agensium.service.billing.service import get_balance
    except ImportError:
        return 0
    return int(get_balance(session, user_id))
