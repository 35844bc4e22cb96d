"""Integration fixtures: one fresh database per backend (SQLite, PostgreSQL, MariaDB) per session,
an app per backend on the shared SeaweedFS, and helpers to get a logged-in user.

Tests that take `backend_url` (directly or through `app_settings`/`client`) run once per backend.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing_service(what: str) -> None:
    """With CI=true a missing PostgreSQL/MariaDB is a failure; locally it is a skip."""
    if IN_CI:
        pytest.fail(f"{what} is not available (CI=true requires it)")
    pytest.skip(f"{what} is not available")


def random_name(prefix: str = "agensium_t_") -> str:
    return f"{prefix}{secrets.token_hex(6)}"

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"
BACKENDS = ["sqlite", "postgresql", "mysql"]
PASSWORD = "Correct-horse-42"


def _create_db(kind: str, tmp: Path) -> tuple[str, Any]:
    if kind == "sqlite":
        return f"sqlite:///{tmp / 'agensium.db'}", None
    name = random_name()
    admin_url, url = ((PG_ADMIN, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}") if kind == "postgresql"
                      else (MY_ADMIN, f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"))
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if kind == "mysql" else "")))
    except Exception as exc:
        missing_service(f"{kind} ({exc.__class__.__name__})")
    return url, (admin, name)


def _drop_db(kind: str, handle: Any) -> None:
    if handle is None:
        return
    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if kind == "postgresql" else "")))
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database on one backend; dropped at the end of the session."""
    from agensium.service import db

    kind = request.param
    url, handle = _create_db(kind, tmp_path_factory.mktemp(f"db-{kind}"))
    try:
        db.upgrade_database(url)
        yield url
    finally:
        db.dispose(url)
        _drop_db(kind, handle)


@pytest.fixture(scope="session")
def redis_queue() -> Iterator[tuple[str, str]]:
    """(broker URL, queue name): a private queue on the real Redis that no worker consumes, so
    `process` really enqueues; its keys are removed at the end."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:
        missing_service(f"Redis ({exc.__class__.__name__})")
    queue = random_name("agensium_api_t_")
    try:
        yield url, queue
    finally:
        for key in client.scan_iter(f"{queue}*"):
            client.delete(key)
        client.close()


@pytest.fixture(scope="session")
def app_settings(backend_url: str, s3_server: Any, redis_queue: tuple[str, str],
                 tmp_path_factory: pytest.TempPathFactory) -> Any:
    from agensium.service.storage import Storage
    from agensium.settings import Settings

    var = tmp_path_factory.mktemp("var")
    settings = Settings(
        var_dir=var, database_url=backend_url, aws_endpoint_url=s3_server.endpoint_url,
        aws_access_key_id=s3_server.access_key, aws_secret_access_key=s3_server.secret_key,
        s3_bucket=random_name("agensium-t-").replace("_", "-"), auth_rate_limit_per_minute=100_000,
        multipart_threshold_bytes=6 * 1024 * 1024, multipart_part_bytes=5 * 1024 * 1024,
        broker_url=redis_queue[0], queue_name=redis_queue[1],
        cors_origins=["http://ui.example"], secret_key=secrets.token_urlsafe(40), _env_file=None,
    )
    Storage(settings).ensure_bucket(["http://ui.example"])
    return settings


@pytest.fixture(scope="session")
def app(app_settings: Any) -> Any:
    from agensium.service.app import create_app

    return create_app(app_settings)


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


CODE_RE = re.compile(r"\b(\d{6})\b")


def latest_code(settings: Any, email: str) -> str:
    from agensium.service.mail import read_outbox

    msgs = [m for m in read_outbox(settings.outbox_dir, email) if CODE_RE.search(m["body"])]
    assert msgs, f"no mail with a code for {email}"
    return CODE_RE.search(msgs[-1]["body"]).group(1)  # type: ignore[union-attr]


@dataclass
class LoggedIn:
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_user(client: TestClient, settings: Any, email: str | None = None) -> LoggedIn:
    """register → verify with the code from the outbox → login."""
    email = email or f"{random_name('u')}@example.com"
    r = client.post("/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Test User"})
    assert r.status_code == 201, r.text
    r = client.post("/auth/verify", json={"email": email, "code": latest_code(settings, email)})
    assert r.status_code == 200, r.text
    r = client.post("/auth/login", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return LoggedIn(email, r.json()["access_token"])


@pytest.fixture(scope="session")
def user(client: TestClient, app_settings: Any) -> LoggedIn:
    """One account per backend shared by tests that do not count their tasks (Argon2 is slow on
    purpose; tests that need a clean account use `make_user`)."""
    return new_user(client, app_settings)


@pytest.fixture
def make_user(client: TestClient, app_settings: Any) -> Any:
    """A function: make_user(email=None) -> LoggedIn (a fresh verified, logged-in account)."""
    return lambda email=None: new_user(client, app_settings, email)


@pytest.fixture
def code_for(app_settings: Any) -> Any:
    """A function: code_for(email) -> the newest code mailed to that address (from the outbox)."""
    return lambda email: latest_code(app_settings, email)
