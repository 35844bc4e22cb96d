"""Password hashing, one-time codes and access tokens.

- Argon2id for passwords (argon2-cffi defaults, with transparent rehash when parameters change).
- Codes: 6+ digits from `secrets`, stored as HMAC-SHA256 with SECRET_KEY, compared in constant time.
- JWT HS256 with `sub` = user id (e-mails can change), a short life, and `pwv`: a fingerprint of the
  password hash so a password reset invalidates tokens issued before it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from agensium.errors import AgensiumError, ErrorCode
from agensium.settings import Settings

_hasher = PasswordHasher()
# verified against when the e-mail is unknown, so a login takes the same time either way
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

CODE_DIGITS = 6
MIN_PASSWORD = 8
MAX_PASSWORD = 256


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_strength(password: str, email: str | None = None) -> None:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        problems.append(f"at most {MAX_PASSWORD} characters")
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        problems.append("letters and digits")
    if email and password.lower() == email.lower():
        problems.append("different from the e-mail address")
    if len(set(password)) < 4:
        problems.append("more varied characters")
    if problems:
        raise AgensiumError(ErrorCode.AUTH_WEAK_PASSWORD, "Password must have " + ", ".join(problems),
                            {"requirements": problems})


def new_code(digits: int = CODE_DIGITS) -> str:
    return f"{secrets.randbelow(10 ** digits):0{digits}d}"


def hash_code(secret_key: str, user_id: str, purpose: str, code: str) -> str:
    """Bound to the user and purpose, so a code for one cannot be replayed for another."""
    msg = f"{user_id}:{purpose}:{code.strip()}".encode()
    return hmac.new(secret_key.encode(), msg, hashlib.sha256).hexdigest()


def codes_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def create_access_token(settings: Settings, user_id: str, password_hash: str,
                        now: datetime | None = None) -> tuple[str, int]:
    now = now or datetime.now(UTC)
    ttl = settings.access_token_minutes * 60
    claims = {"sub": user_id, "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=ttl)).timestamp()),
              "type": "access", "pwv": password_fingerprint(password_hash)}
    return jwt.encode(claims, settings.secret_key, algorithm="HS256"), ttl


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"],
                            options={"require": ["sub", "exp", "iat"]})
    except jwt.ExpiredSignatureError as exc:
        raise AgensiumError(ErrorCode.AUTH_INVALID_TOKEN, "The access token has expired") from exc
    except jwt.PyJWTError as exc:
        raise AgensiumError(ErrorCode.AUTH_INVALID_TOKEN, "Invalid access token") from exc
    if claims.get("type") != "access":
        raise AgensiumError(ErrorCode.AUTH_INVALID_TOKEN, "Invalid access token")
    return claims
