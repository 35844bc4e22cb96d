"""Schema and persistence on SQLite, PostgreSQL and MariaDB: migrations, indexes, timestamps, CAS."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa


def test_migrations_create_every_table_and_index(backend_url):
    from agensium.service import db

    db.upgrade_database(backend_url)  # idempotent: a second run changes nothing
    insp = sa.inspect(db.get_engine(backend_url))
    tables = set(insp.get_table_names())
    assert {"users", "tasks", "auth_codes", "alembic_version"} <= tables
    index_cols = {tuple(ix["column_names"]) for ix in insp.get_indexes("tasks")}
    for cols in [("user_id", "status"), ("status",), ("created_at",), ("tool_id",)]:
        assert cols in index_cols, cols
    from agensium.service.models import Task

    model_cols = {c.name for c in Task.__table__.columns}
    db_cols = {c["name"] for c in insp.get_columns("tasks")}
    assert model_cols == db_cols  # the migration and the model agree on every field
    with db.get_engine(backend_url).connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _user_and_task(url: str) -> str:
    from agensium.service import db
    from agensium.service.models import Task, User

    with db.session_scope(url) as s:
        u = User(email=f"{datetime.now(UTC).timestamp()}@x.io", password_hash="h")
        s.add(u)
        s.flush()
        t = Task(user_id=u.id, tool_id="profile-my-data", agents=["unified-profiler"], inputs={"primary": {"k": 1}})
        s.add(t)
        s.flush()
        return t.task_id


def test_timestamps_are_utc_aware_with_microseconds(backend_url):
    from agensium.service import db
    from agensium.service.models import Task

    tid = _user_and_task(backend_url)
    moment = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    with db.session_scope(backend_url) as s:
        s.get(Task, tid).heartbeat_at = moment.astimezone(timezone_plus_two())
    with db.session_scope(backend_url) as s:
        t = s.get(Task, tid)
        assert t.heartbeat_at == moment and t.heartbeat_at.tzinfo is not None
        assert t.created_at.tzinfo is not None and t.inputs == {"primary": {"k": 1}}


def timezone_plus_two():  # type: ignore[no-untyped-def]
    from datetime import timezone

    return timezone(timedelta(hours=2))


def test_lifecycle_compare_and_set_has_exactly_one_winner(backend_url):
    from agensium.service import db, lifecycle
    from agensium.service.lifecycle import TaskStatus as S
    from agensium.service.models import Task

    tid = _user_and_task(backend_url)
    with db.session_scope(backend_url) as s:
        assert lifecycle.transition(s, tid, S.UPLOADING)
        assert not lifecycle.transition(s, tid, S.PROCESSING)  # UPLOADING → PROCESSING is not in the table
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def attempt() -> None:
        barrier.wait()
        with db.session_scope(backend_url) as s:
            wins.append(lifecycle.transition(s, tid, S.QUEUED))

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(wins) == [False] * 7 + [True]
    with db.session_scope(backend_url) as s:
        assert s.get(Task, tid).status == "QUEUED"


def test_deleting_a_user_deletes_their_tasks_and_codes(backend_url):
    from agensium.service import db
    from agensium.service.models import Task, User

    tid = _user_and_task(backend_url)
    with db.session_scope(backend_url) as s:
        uid = s.get(Task, tid).user_id
    with db.session_scope(backend_url) as s:
        s.execute(sa.delete(User).where(User.id == uid))
    with db.session_scope(backend_url) as s:
        assert s.get(Task, tid) is None


def test_session_scope_rolls_back_on_error(backend_url):
    import pytest

    from agensium.service import db
    from agensium.service.models import User

    email = f"rb{datetime.now(UTC).timestamp()}@x.io"
    with pytest.raises(RuntimeError), db.session_scope(backend_url) as s:
        s.add(User(email=email, password_hash="h"))
        s.flush()
        raise RuntimeError("boom")
    with db.session_scope(backend_url) as s:
        assert s.scalar(sa.select(User).where(User.email == email)) is None


def test_cli_db_upgrade_from_any_directory(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from agensium.cli import app as cli
    from agensium.service import db

    monkeypatch.chdir(tmp_path)  # Alembic's configuration is built in code, not read from the cwd
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = CliRunner().invoke(cli, ["db", "upgrade", "--url", url])
    assert result.exit_code == 0, result.output
    try:
        assert {"users", "tasks", "auth_codes"} <= set(sa.inspect(db.get_engine(url)).get_table_names())
    finally:
        db.dispose(url)


def test_concurrent_upgrades_do_not_race(backend_url, tmp_path):
    """API replicas that start together all upgrade the schema; exactly one does the work."""
    from agensium.service import db

    if backend_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'race.db'}"
        drop = None
    else:  # a second fresh database on the same server
        import secrets

        name = f"agensium_t_{secrets.token_hex(6)}"
        base, _, _ = backend_url.rpartition("/")
        query = "?charset=utf8mb4" if backend_url.startswith("mysql") else ""
        url = f"{base}/{name}{query}"
        admin_url = ("postgresql+psycopg://postgres@127.0.0.1:5432/postgres" if backend_url.startswith("postgresql")
                     else "mysql+pymysql://root@127.0.0.1:3306/")
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        drop = (admin, name)
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def upgrade() -> None:
        barrier.wait()
        try:
            db.upgrade_database(url)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with db.get_engine(url).connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        db.dispose(url)
        if drop is not None:
            admin, name = drop
            with admin.connect() as conn:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"
                                     + (" WITH (FORCE)" if backend_url.startswith("postgresql") else "")))
            admin.dispose()
