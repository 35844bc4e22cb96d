"""Database engine, sessions and schema upgrades (SQLite, PostgreSQL, MySQL/MariaDB).

One engine per URL per process. The default URL comes from the settings, or from `configure()`
(the app factory calls it) so that code outside a request (`session_scope()`) talks to the same
database as the API.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_default_url: str | None = None

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def configure(url: str | None) -> None:
    """Set the URL used when none is given (the app factory and `agensium serve` call this)."""
    global _default_url
    _default_url = url


def default_url() -> str:
    if _default_url:
        return _default_url
    from agensium.settings import get_settings

    return get_settings().effective_database_url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the one writer
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # pool_pre_ping: survive database restarts and MySQL's idle-connection timeout
    return create_engine(url, pool_pre_ping=True, pool_recycle=1800, pool_size=10, max_overflow=20)


def get_engine(url: str | None = None) -> Engine:
    url = url or default_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = _make_engine(url)
            _factories[url] = sessionmaker(engine, expire_on_commit=False)
        return engine


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    url = url or default_url()
    get_engine(url)
    return _factories[url]


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dispose(url: str | None = None) -> None:
    """Close pooled connections (tests drop their databases afterwards)."""
    with _lock:
        urls = [url] if url else list(_engines)
        for u in urls:
            engine = _engines.pop(u, None)
            _factories.pop(u, None)
            if engine is not None:
                engine.dispose()


def alembic_config(url: str) -> Any:
    """The Alembic configuration, built in code so `agensium db upgrade` works from any directory."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    cfg.attributes["database_url"] = url
    return cfg


@contextmanager
def _migration_lock(url: str) -> Iterator[None]:
    """One migrator at a time, so API replicas starting together cannot race on the DDL.

    Taken on its own connection and released only after the migration transaction committed, so
    the next migrator sees the finished schema.
    """
    engine = get_engine(url)
    name = engine.dialect.name
    if name == "sqlite":
        path = url.split("///", 1)[-1]
        if not path or path == ":memory:":
            yield
            return
        import fcntl

        with Path(path + ".migrate.lock").open("w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            yield
        return
    lock_sql, unlock_sql = {
        "postgresql": ("SELECT pg_advisory_lock(727274501)", "SELECT pg_advisory_unlock(727274501)"),
        "mysql": ("SELECT GET_LOCK('agensium_migrations', 300)", "SELECT RELEASE_LOCK('agensium_migrations')"),
        "mariadb": ("SELECT GET_LOCK('agensium_migrations', 300)", "SELECT RELEASE_LOCK('agensium_migrations')"),
    }.get(name, (None, None))
    if lock_sql is None:
        yield
        return
    with engine.connect() as lock_conn:
        lock_conn.exec_driver_sql(lock_sql)
        lock_conn.commit()
        try:
            yield
        finally:
            lock_conn.exec_driver_sql(unlock_sql)
            lock_conn.commit()


def upgrade_database(url: str | None = None, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent; safe to run at every start, from many processes)."""
    from alembic import command

    url = url or default_url()
    cfg = alembic_config(url)
    with _migration_lock(url), get_engine(url).begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
