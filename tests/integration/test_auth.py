"""Accounts over HTTP on every backend: register → verify → login → me, and every abuse case."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import select

PASSWORD = "Correct-horse-42"


def _email() -> str:
    return f"a{secrets.token_hex(5)}@example.com"


def _outbox_bodies(settings, email):  # type: ignore[no-untyped-def]
    from agensium.service.mail import read_outbox

    return [m["body"] for m in read_outbox(settings.outbox_dir, email)]


def test_full_account_flow_and_me(client, app_settings, code_for):
    email = _email()
    r = client.post("/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Ada"})
    assert r.status_code == 201
    code = code_for(email)
    assert code not in r.text  # the code travels only by mail
    assert client.post("/auth/login", data={"username": email, "password": PASSWORD}).json()["error_code"] \
        == "AUTH_NOT_VERIFIED"
    assert client.post("/auth/verify", json={"email": email, "code": code}).status_code == 200
    r = client.post("/auth/login", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == app_settings.access_token_minutes * 60
    me = client.get("/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    data = me.json()
    assert data["email"] == email and data["full_name"] == "Ada" and data["is_verified"] and not data["is_admin"]
    assert isinstance(data["credits"], int)
    claims = jwt.decode(body["access_token"], app_settings.secret_key, algorithms=["HS256"])
    assert claims["sub"] == data["id"]  # sub is the user id, not the e-mail
    assert claims["exp"] - claims["iat"] == app_settings.access_token_minutes * 60


def test_code_is_single_use_and_stored_hashed(client, app_settings, code_for):
    from agensium.service import db
    from agensium.service.auth.models import AuthCode

    email = _email()
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    code = code_for(email)
    with db.session_scope(app_settings.effective_database_url) as s:
        stored = s.scalars(select(AuthCode.code_hash)).all()
    assert code not in stored and all(len(h) == 64 for h in stored)
    assert client.post("/auth/verify", json={"email": email, "code": code}).status_code == 200
    again = client.post("/auth/verify", json={"email": email, "code": code})
    assert again.status_code == 400 and again.json()["error_code"] == "AUTH_INVALID_CODE"


def test_guessed_codes_are_limited_then_the_code_is_dead(client, app_settings, code_for):
    email = _email()
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    code = code_for(email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(app_settings.code_max_attempts):
        r = client.post("/auth/verify", json={"email": email, "code": wrong})
        assert r.status_code == 400 and r.json()["error_code"] == "AUTH_INVALID_CODE"
    r = client.post("/auth/verify", json={"email": email, "code": code})  # right code, too late
    assert r.status_code == 400 and r.json()["error_code"] == "AUTH_INVALID_CODE"
    client.post("/auth/resend-code", json={"email": email})
    fresh = code_for(email)
    assert client.post("/auth/verify", json={"email": email, "code": fresh}).status_code == 200


def test_expired_code_is_rejected(client, app_settings, code_for):
    from sqlalchemy import update

    from agensium.service import db
    from agensium.service.auth.models import AuthCode
    from agensium.service.models import User

    email = _email()
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    code = code_for(email)
    with db.session_scope(app_settings.effective_database_url) as s:
        uid = s.scalar(select(User.id).where(User.email == email))
        s.execute(update(AuthCode).where(AuthCode.user_id == uid)
                  .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    r = client.post("/auth/verify", json={"email": email, "code": code})
    assert r.json()["error_code"] == "AUTH_INVALID_CODE"


def test_answers_never_reveal_whether_an_email_exists(client, app_settings, make_user):
    known = make_user()
    unknown = _email()
    pairs = [
        (client.post("/auth/register", json={"email": known.email, "password": PASSWORD}),
         client.post("/auth/register", json={"email": unknown, "password": PASSWORD})),
        (client.post("/auth/resend-code", json={"email": known.email}),
         client.post("/auth/resend-code", json={"email": _email()})),
        (client.post("/auth/forgot-password", json={"email": known.email}),
         client.post("/auth/forgot-password", json={"email": _email()})),
        (client.post("/auth/verify", json={"email": known.email, "code": "000000"}),
         client.post("/auth/verify", json={"email": _email(), "code": "000000"})),
        (client.post("/auth/login", data={"username": known.email, "password": "Wrong-pass-1"}),
         client.post("/auth/login", data={"username": _email(), "password": "Wrong-pass-1"})),
    ]
    for a, b in pairs:
        assert a.status_code == b.status_code and a.json() == b.json()
    # the owner of the existing address is told by mail instead
    assert any("already exists" in body for body in _outbox_bodies(app_settings, known.email))
    # and the registration attempt did not change the owner's password
    assert client.post("/auth/login", data={"username": known.email, "password": PASSWORD}).status_code == 200


def test_wrong_password_and_weak_password(client):
    email = _email()
    r = client.post("/auth/register", json={"email": email, "password": "short"})
    assert r.status_code == 400 and r.json()["error_code"] == "AUTH_WEAK_PASSWORD"
    r = client.post("/auth/login", data={"username": email, "password": "whatever-1"})
    assert r.status_code == 401 and r.json()["error_code"] == "AUTH_INVALID_CREDENTIALS"
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.post("/auth/register", json={"email": "not-an-email", "password": PASSWORD})
    assert r.status_code == 422 and r.json()["error_code"] == "VALIDATION_ERROR"


def test_password_reset_flow_invalidates_old_tokens(client, app_settings, make_user, code_for):
    u = make_user()
    assert client.get("/auth/me", headers=u.headers).status_code == 200
    client.post("/auth/forgot-password", json={"email": u.email})
    code = code_for(u.email)
    new_pw = "Another-horse-77"
    r = client.post("/auth/reset-password", json={"email": u.email, "code": code, "new_password": new_pw})
    assert r.status_code == 200
    assert client.get("/auth/me", headers=u.headers).json()["error_code"] == "AUTH_INVALID_TOKEN"
    assert client.post("/auth/login", data={"username": u.email, "password": PASSWORD}).status_code == 401
    assert client.post("/auth/login", data={"username": u.email, "password": new_pw}).status_code == 200
    r = client.post("/auth/reset-password", json={"email": u.email, "code": code, "new_password": "Third-horse-99"})
    assert r.json()["error_code"] == "AUTH_INVALID_CODE"


def test_bad_tokens(client, app_settings, user):
    assert client.get("/auth/me").json()["error_code"] == "AUTH_INVALID_TOKEN"
    assert client.get("/auth/me", headers={"Authorization": "Bearer x.y.z"}).status_code == 401
    claims = jwt.decode(user.token, app_settings.secret_key, algorithms=["HS256"])
    expired = jwt.encode({**claims, "exp": int(datetime.now(UTC).timestamp()) - 5}, app_settings.secret_key,
                         algorithm="HS256")
    r = client.get("/auth/me", headers={"Authorization": f"Bearer {expired}"})
    assert r.status_code == 401 and r.json()["error_code"] == "AUTH_INVALID_TOKEN"
    forged = jwt.encode(claims, "not-the-secret-key-but-long-enough-32", algorithm="HS256")
    assert client.get("/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_rate_limit_on_auth_endpoints(app_settings):
    from fastapi.testclient import TestClient

    from agensium.service.app import create_app

    limited = create_app(app_settings.model_copy(update={"auth_rate_limit_per_minute": 3}))
    with TestClient(limited) as c:
        codes = [c.post("/auth/forgot-password", json={"email": _email()}).status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        r = c.post("/auth/forgot-password", json={"email": _email()})
        assert r.json()["error_code"] == "RATE_LIMITED" and int(r.headers["retry-after"]) >= 1
        # another route has its own bucket
        assert c.post("/auth/resend-code", json={"email": _email()}).status_code == 200


def test_cli_users_create_admin(app_settings, client, monkeypatch, make_user):
    from typer.testing import CliRunner

    from agensium.cli import app as cli
    from agensium.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", app_settings.effective_database_url)
    monkeypatch.setenv("AGENSIUM_VAR_DIR", str(app_settings.var_dir))
    get_settings.cache_clear()
    try:
        email = _email()
        r = CliRunner().invoke(cli, ["users", "create", email, "--password", PASSWORD, "--admin"])
        assert r.exit_code == 0, r.output
    finally:
        get_settings.cache_clear()
    token = client.post("/auth/login", data={"username": email, "password": PASSWORD}).json()["access_token"]
    admin = {"Authorization": f"Bearer {token}"}
    me = client.get("/auth/me", headers=admin).json()
    assert me["is_admin"] is True and me["is_verified"] is True
    if "/admin/users" in client.get("/openapi.json").json()["paths"]:  # billing's admin routes installed
        assert client.get("/admin/users", headers=admin).status_code == 200
        r = client.get("/admin/users", headers=make_user().headers)
        assert r.status_code == 403 and r.json()["error_code"] == "AUTH_FORBIDDEN"
