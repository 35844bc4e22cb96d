"""`agensium serve`, `agensium db upgrade`, `agensium users create`.

`serve` in the embedded default needs nothing installed: it starts SeaweedFS (unless
AWS_ENDPOINT_URL is set), upgrades the SQLite schema, creates the bucket with CORS for the UI,
starts the embedded worker, and runs uvicorn; on shutdown it stops the worker, then storage.
"""

from __future__ import annotations

import getpass
import os
import signal
import sys

import typer

db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
users_app = typer.Typer(no_args_is_help=True, help="User accounts.")


def _settings():  # type: ignore[no-untyped-def]
    from agensium.settings import get_settings

    return get_settings()


def ensure_embedded_secret(settings) -> bool:  # type: ignore[no-untyped-def]
    """The embedded default must not sign tokens with the public default key: use a random one kept
    in var/secret_key (created once), exported so child processes agree. Returns True if it set one."""
    import secrets

    from agensium.settings import DEFAULT_SECRET_KEY

    if not settings.embedded or settings.secret_key != DEFAULT_SECRET_KEY:
        return False
    path = settings.var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    os.environ["SECRET_KEY"] = path.read_text().strip()
    return True


def serve(
    host: str | None = typer.Option(None, help="Bind address (AGENSIUM_HOST)"),
    port: int | None = typer.Option(None, help="Port (AGENSIUM_PORT)"),
) -> None:
    """Run the API (and, in the embedded default, storage and a worker)."""
    import uvicorn

    from agensium.errors import AgensiumError
    from agensium.service import db
    from agensium.service.app import create_app
    from agensium.service.seaweed import EmbeddedS3
    from agensium.service.storage import Storage
    from agensium.settings import get_settings

    def _terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    # uvicorn re-raises SIGTERM after its graceful shutdown; turn it into SystemExit so the
    # `finally` below still stops the worker and SeaweedFS
    signal.signal(signal.SIGTERM, _terminate)
    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if ensure_embedded_secret(settings):
        get_settings.cache_clear()
        settings = get_settings()
    s3: EmbeddedS3 | None = None
    worker = None
    try:
        if settings.uses_embedded_s3:
            s3 = EmbeddedS3(settings.var_dir, settings.embedded_s3_port).start()
            # in the environment too, so child processes (the embedded worker) see the same store
            os.environ.update({"AWS_ENDPOINT_URL": s3.endpoint_url, "AWS_ACCESS_KEY_ID": s3.access_key,
                               "AWS_SECRET_ACCESS_KEY": s3.secret_key})
            get_settings.cache_clear()
            settings = get_settings()
        url = settings.effective_database_url
        db.upgrade_database(url)
        ui_origin = settings.public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        origins = sorted({ui_origin.rstrip("/"), f"http://localhost:{port}", f"http://127.0.0.1:{port}",
                          *settings.cors_origins})
        try:
            Storage(settings).ensure_bucket(origins)
        except AgensiumError as exc:
            if settings.embedded:
                raise
            # a production key may not be allowed to create buckets or set CORS: say so and go on
            typer.echo(f"warning: could not prepare bucket {settings.s3_bucket!r}: {exc.message}", err=True)
        if settings.embedded and settings.embedded_worker:
            try:
                from agensium.service.queue.embedded import start_embedded_worker
            except ModuleNotFoundError as exc:
                if exc.name and not "agensium.service.queue.embedded".startswith(exc.name):
                    raise
                typer.echo("embedded worker not available: tasks will stay QUEUED", err=True)
            else:
                worker = start_embedded_worker(settings)
        app = create_app(settings)
        typer.echo(f"Agensium is running at {ui_origin}/  (API docs: {ui_origin}/docs)")
        if settings.embedded and settings.mail_backend == "outbox":
            typer.echo(f"Verification codes are written to {settings.outbox_dir.resolve()}")
        uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
    finally:
        if worker is not None:
            worker.stop()
        if s3 is not None:
            s3.stop()


@db_app.command("upgrade")
def db_upgrade(url: str | None = typer.Option(None, help="Database URL (default: DATABASE_URL or var/)")) -> None:
    """Bring the database schema to the latest revision."""
    from agensium.service import db

    target = url or _settings().effective_database_url
    db.upgrade_database(target)
    typer.echo("database schema is up to date")


@users_app.command("create")
def users_create(
    email: str = typer.Argument(..., help="E-mail address (the login)"),
    password: str | None = typer.Option(None, help="Password (prompted if omitted; or AGENSIUM_NEW_PASSWORD)"),
    admin: bool = typer.Option(False, "--admin", help="Give the admin role"),
    full_name: str | None = typer.Option(None, help="Display name"),
) -> None:
    """Create a verified user (an admin with --admin), or promote an existing one with --admin."""
    from agensium.errors import AgensiumError
    from agensium.service import db
    from agensium.service.auth import security, service

    url = _settings().effective_database_url
    db.upgrade_database(url)
    with db.session_scope(url) as session:
        existing = service.find_user(session, email)
        if existing is not None:
            if admin:
                existing.is_admin = True
                typer.echo(f"{existing.email} is now an admin")
                return
            typer.echo(f"a user with this e-mail already exists: {existing.id}", err=True)
            raise typer.Exit(1)
        password = password or os.environ.get("AGENSIUM_NEW_PASSWORD")
        if not password:
            if not sys.stdin.isatty():
                typer.echo("give --password or AGENSIUM_NEW_PASSWORD", err=True)
                raise typer.Exit(2)
            password = getpass.getpass("Password: ")
        try:
            security.check_password_strength(password, email)
        except AgensiumError as exc:
            typer.echo(exc.message, err=True)
            raise typer.Exit(2) from exc
        user = service.create_user(session, email, password, full_name=full_name, verified=True, admin=admin)
        typer.echo(f"created {'admin ' if admin else ''}user {user.email} ({user.id})")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
