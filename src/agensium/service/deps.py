"""Request dependencies: settings, a DB session, storage, the mailer and the current user.

Routes commit explicitly where they change state; the session is rolled back on any error and
always closed.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from agensium.errors import AgensiumError, ErrorCode
from agensium.service.auth.security import decode_access_token, password_fingerprint
from agensium.service.mail import Mailer
from agensium.service.models import User
from agensium.service.storage import Storage
from agensium.settings import Settings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/login", auto_error=False)


# trivial dependencies are `async def`: FastAPI would otherwise hop to a worker thread for each one
async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    session: Session = request.app.state.session_factory()
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


async def get_storage_dep(request: Request) -> Storage:
    return request.app.state.storage


async def get_mailer(request: Request) -> Mailer:
    return request.app.state.mailer


def _user_from_token(request: Request, token: str | None, session: Session) -> User:
    if not token:
        raise AgensiumError(ErrorCode.AUTH_INVALID_TOKEN, "Not authenticated: send 'Authorization: Bearer <token>'")
    claims = decode_access_token(request.app.state.settings, token)
    user = session.get(User, str(claims["sub"]))
    if user is None or claims.get("pwv") != password_fingerprint(user.password_hash):
        raise AgensiumError(ErrorCode.AUTH_INVALID_TOKEN, "Invalid access token")
    if not user.is_active:
        raise AgensiumError(ErrorCode.AUTH_INACTIVE, "This account is disabled")
    if not user.is_verified:
        raise AgensiumError(ErrorCode.AUTH_NOT_VERIFIED, "Verify your e-mail address first")
    return user


def current_user(request: Request, token: str | None = Depends(oauth2_scheme),
                 session: Session = Depends(get_session)) -> User:
    """An active, verified user from the bearer token (401/403 otherwise)."""
    return _user_from_token(request, token, session)


def require_admin(user: User = Depends(current_user)) -> User:
    if not user.is_admin:
        raise AgensiumError(ErrorCode.AUTH_FORBIDDEN, "This action needs the admin role")
    return user
