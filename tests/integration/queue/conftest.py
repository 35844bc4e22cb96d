"""Fixtures for the queue tests: Redis, SeaweedFS, a SQLite database, the API under uvicorn, and a
`celery worker` subprocess on a queue (and Redis key prefix) unique to this test session. Helpers live
in `qstack.py` (a unique module name, so they never clash with another conftest).

With CI=true a missing Redis (or PostgreSQL/MariaDB) is a failure, not a skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from qstack import REDIS, Stack, Worker, build_stack, need, redis_up

from agensium.service import db


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from agensium.service.seaweed import EmbeddedS3

    with EmbeddedS3(tmp_path_factory.mktemp("s3var")) as server:
        yield server


@pytest.fixture(scope="session")
def redis_stack(tmp_path_factory: pytest.TempPathFactory, s3: Any) -> Iterator[Stack]:
    """API + SQLite + SeaweedFS + Redis + a prefork celery worker, shared by the session."""
    need(redis_up(), "Redis at 127.0.0.1:6379")
    base = tmp_path_factory.mktemp("redis-stack")
    stack, stop_api = build_stack(base, s3, redis=True)
    stack.worker = Worker(stack.settings, base / "worker.log").start()
    try:
        yield stack
    finally:
        stack.worker.stop()
        stop_api()
        import redis

        r = redis.Redis.from_url(REDIS)
        keys = list(r.scan_iter(match=f"{stack.settings.queue_name}*", count=1000))
        if keys:
            r.delete(*keys)
        db.dispose(stack.url)


@pytest.fixture
def stack(redis_stack: Stack) -> Stack:
    """The shared stack with its worker running (a test may have killed it) and this process's
    global configuration (DB, storage, Celery) pointing at it."""
    from agensium.service.queue.celery_app import configure_celery
    from agensium.service.storage import configure_storage

    assert redis_stack.worker is not None
    redis_stack.worker.ensure_running()
    db.configure(redis_stack.url)
    configure_storage(redis_stack.settings)
    configure_celery(redis_stack.settings)
    return redis_stack


# databases ---------------------------------------------------------------------------------------
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MY_ADMIN = "mysql+pymysql://root@127.0.0.1:3306/"


def _server_up(url: str) -> bool:
    from sqlalchemy import create_engine, text

    try:
        with create_engine(url, connect_args={"connect_timeout": 2}).connect() as c:
            c.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


@pytest.fixture(scope="session", params=["sqlite", "postgresql", "mariadb"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database on each backend (random name; dropped at the end)."""
    from sqlalchemy import create_engine, text

    name = f"agensium_t_{uuid.uuid4().hex[:12]}"
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'q.db'}"
        admin = None
    else:
        admin = PG_ADMIN if kind == "postgresql" else MY_ADMIN
        need(_server_up(admin), kind)
        with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as c:
            c.execute(text(f"CREATE DATABASE {name}"))
        url = (f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}" if kind == "postgresql"
               else f"mysql+pymysql://root@127.0.0.1:3306/{name}")
    db.upgrade_database(url)
    try:
        yield url
    finally:
        db.dispose(url)
        if admin is not None:
            with create_engine(admin, isolation_level="AUTOCOMMIT").connect() as c:
                force = " WITH (FORCE)" if kind == "postgresql" else ""
                c.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
