"""`agensium worker`, `agensium beat` and `agensium credits grant` (production operations).

`worker` is a plain Celery prefork worker on the configured broker and queue; `beat` schedules the
periodic jobs (expiry, retention, watchdog); run exactly one beat per deployment.
"""

from __future__ import annotations

import uuid

import typer

credits_app = typer.Typer(no_args_is_help=True, help="Credits (admin).")


def _settings():  # type: ignore[no-untyped-def]
    from agensium.settings import get_settings

    return get_settings()


def worker(
    concurrency: int = typer.Option(2, min=1, help="Pool processes (tasks run at once on this machine)"),
    pool: str = typer.Option("prefork", help="Celery pool: prefork (production) or solo"),
    loglevel: str | None = typer.Option(None, help="Log level (default: AGENSIUM_LOG_LEVEL)"),
    metrics_port: int | None = typer.Option(None, help="Serve this worker's Prometheus metrics on this port"),
    max_tasks_per_child: int = typer.Option(50, min=1, help="Recycle a pool process after this many tasks"),
) -> None:
    """Run a queue worker (REDIS_URL or AGENSIUM_BROKER_URL; the SQLite broker by default)."""
    from agensium.service import db, metrics
    from agensium.service.queue.celery_app import celery_app

    settings = _settings()
    db.upgrade_database(settings.effective_database_url)
    directory = metrics.enable_multiprocess(metrics.metrics_dir(settings), wipe=True)
    if metrics_port:
        from prometheus_client import CollectorRegistry, start_http_server
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(directory))
        start_http_server(metrics_port, registry=registry)
    celery_app.worker_main([
        "worker", f"--pool={pool}", f"--concurrency={concurrency}", "-Q", settings.queue_name,
        f"--loglevel={(loglevel or settings.log_level).upper()}", f"--max-tasks-per-child={max_tasks_per_child}",
        "--without-gossip", "--without-mingle",
    ])


def beat(
    loglevel: str | None = typer.Option(None, help="Log level (default: AGENSIUM_LOG_LEVEL)"),
) -> None:
    """Run the periodic-job scheduler (one per deployment)."""
    from agensium.service.queue.celery_app import celery_app

    settings = _settings()
    schedule = settings.var_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    celery_app.start(["beat", f"--loglevel={(loglevel or settings.log_level).upper()}", f"--schedule={schedule}"])


@credits_app.command("grant")
def credits_grant(
    email: str = typer.Argument(..., help="The user's e-mail address"),
    amount: int = typer.Argument(..., help="Credits to add (negative to remove, never below zero; put -- before the arguments)"),
    reason: str = typer.Option("admin grant (CLI)", help="Shown in the user's ledger"),
    key: str | None = typer.Option(None, help="Idempotency key: the same key never grants twice"),
) -> None:
    """Grant credits to a user."""
    from sqlalchemy import select

    from agensium.errors import AgensiumError
    from agensium.service import db
    from agensium.service.billing import service as billing
    from agensium.service.models import User

    url = _settings().effective_database_url
    db.upgrade_database(url)
    try:
        with db.session_scope(url) as session:
            user = session.execute(select(User).where(User.email == email.strip().lower())).scalar()
            if user is None:
                typer.echo(f"no user with e-mail {email}", err=True)
                raise typer.Exit(1)
            applied = billing.grant(session, user.id, amount, key=f"cli:{key or uuid.uuid4()}", reason=reason)
            balance = billing.get_balance(session, user.id)
    except AgensiumError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{'granted' if applied else 'already applied'}: {email} now holds {balance} credits")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("beat")(beat)
    app.add_typer(credits_app, name="credits")
