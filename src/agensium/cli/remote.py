"""Remote commands: `agensium login`, `submit`, `status`, `tasks`, `download`, `report`, `cancel`, `delete`,
`wallet`, `estimate` (and `register`, `verify`, `whoami`, `logout`) against an Agensium server.

The server URL and token come from `agensium login` (stored in ~/.config/agensium/credentials.json, 0600),
overridden by AGENSIUM_URL / AGENSIUM_TOKEN or `--url`. Every failure is one line `error: CODE: message`
on stderr with exit code 1 (130 on Ctrl-C); a task that ends FAILED, CANCELLED or EXPIRED under `--wait`
exits 1 the same way. `--json` prints machine-readable output on stdout; progress bars go to stderr.
"""

from __future__ import annotations

import functools
import itertools
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.exceptions import TyperException

from agensium.cli import remote_view as view
from agensium.cli.run import _fail
from agensium.errors import AgensiumError, ErrorCode

if TYPE_CHECKING:  # the client loads only when a remote command runs
    from agensium.client import Client, Task

EXIT_ERROR, EXIT_INTERRUPTED = 1, 130
URL = typer.Option(None, "--url", help="Server URL (default: AGENSIUM_URL, then the one `agensium login` stored)")
JSON = typer.Option(False, "--json", help="Print machine-readable JSON on stdout")
F = TypeVar("F", bound=Callable[..., Any])


def handled(command: F) -> F:
    """Every failure as one line `error: CODE: message`, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, TyperException):  # the command's own exit, or a usage error
            raise
        except AgensiumError as exc:
            code = getattr(exc, "error_code", exc.code.value)
            hint = " (run `agensium login`)" if code == ErrorCode.AUTH_INVALID_TOKEN else ""
            raise _fail(code, exc.message + hint, EXIT_ERROR) from None
        except TimeoutError as exc:
            raise _fail(ErrorCode.TIMEOUT.value, str(exc), EXIT_ERROR) from None
        except KeyboardInterrupt:
            raise _fail(ErrorCode.CANCELLED.value, "interrupted", EXIT_INTERRUPTED) from None
        except Exception as exc:  # a local I/O error, or an answer of an unexpected shape: still one line
            raise _fail(ErrorCode.INTERNAL_ERROR.value, f"{type(exc).__name__}: {exc}", EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


def _client(url: str | None) -> Client:
    from agensium.client import Client

    return Client.from_config(url)


def _password(from_stdin: bool, confirm: bool = False) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = os.environ.get("AGENSIUM_PASSWORD") or typer.prompt("Password", hide_input=True,
                                                                        confirmation_prompt=confirm)
    if not password:
        raise AgensiumError(ErrorCode.AUTH_INVALID_CREDENTIALS, "An empty password was given")
    return password


# accounts ------------------------------------------------------------------------------------------------
@handled
def login(email: str = typer.Option(..., "--email", help="Your account's e-mail"), url: str | None = URL,
          password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin"),
          as_json: bool = JSON) -> None:
    """Log in and keep the server URL and token for the other commands (password: prompt, --password-stdin
    or AGENSIUM_PASSWORD)."""
    from agensium.client import credentials

    password = _password(password_stdin)
    with _client(url) as client:
        token = client.login(email, password)
        base = client.base_url
    expires = datetime.now(UTC) + timedelta(seconds=token.expires_in)
    path = credentials.save(credentials.Credentials(url=base, token=token.access_token, email=email,
                                                    expires_at=expires))
    if as_json:
        view.emit_json({"url": base, "email": email, "expires_at": expires.isoformat(), "credentials": str(path)})
        return
    view.err.print(f"logged in to {base} as {email} until {expires:%Y-%m-%d %H:%M} UTC; saved in {path}")


@handled
def logout() -> None:
    """Forget the stored token."""
    from agensium.client import credentials

    view.err.print("logged out" if credentials.remove() else "not logged in")


@handled
def register_account(email: str = typer.Option(..., "--email"), name: str | None = typer.Option(None, "--name"),
             url: str | None = URL, password_stdin: bool = typer.Option(False, "--password-stdin")) -> None:
    """Create an account; a verification code is mailed to you (then `agensium verify`)."""
    password = _password(password_stdin, confirm=True)
    with _client(url) as client:
        view.err.print(client.register(email, password, name))


@handled
def verify(email: str = typer.Option(..., "--email"), code: str = typer.Option(..., "--code"),
           url: str | None = URL) -> None:
    """Verify your e-mail address with the mailed code."""
    with _client(url) as client:
        view.err.print(client.verify(email, code))


@handled
def whoami(url: str | None = URL, as_json: bool = JSON) -> None:
    """The logged-in account and its credits."""
    with _client(url) as client:
        me = client.me()
    if as_json:
        view.emit_json(me)
    else:
        view.out.print(f"{me.email} at {client.base_url}: {me.credits} credits" + (" (admin)" if me.is_admin else ""))


# tasks ---------------------------------------------------------------------------------------------------
@handled
def submit(
    tool: str = typer.Argument(..., help="Tool id, e.g. profile-my-data"),
    file: Path = typer.Argument(..., help="The primary data file"),
    baseline: Path | None = typer.Option(None, "--baseline", help="Baseline file (drift detection)"),
    schema: Path | None = typer.Option(None, "--schema", help="Data contract, JSON or YAML (master-my-data)"),
    params: Path | None = typer.Option(None, "--params", help="parameters.json: {agent_id: {param: value}}"),
    agents: str | None = typer.Option(None, "--agents", help="Comma-separated agent ids (default: all)"),
    wait: bool = typer.Option(False, "--wait", help="Wait until the task settles; exit 1 unless it completed"),
    download: Path | None = typer.Option(None, "--download", help="Folder for the outputs (implies --wait)"),
    timeout: float | None = typer.Option(None, "--timeout", help="Give up waiting after this many seconds"),
    resume: str | None = typer.Option(None, "--resume", help="Finish the interrupted upload of this task id"),
    url: str | None = URL, as_json: bool = JSON,
) -> None:
    """Upload files for a tool and start the task; prints the task id (and with --download the files)."""
    selected = [a.strip() for a in agents.split(",") if a.strip()] if agents else None
    with _client(url) as client:
        task_id = _start(client, tool, file, baseline, schema, params, selected, resume, as_json)
        if not (wait or download):
            if as_json:
                view.emit_json(client.task(task_id))
            return
        task = _watch(client, task_id, timeout, as_json)
        written = _download(client, task_id, download, as_json) if download and task.succeeded else []
    if as_json:
        view.emit_json({**task.model_dump(mode="json"), "downloaded": [str(p) for p in written]})
    else:
        view.paths(written)
    _settled_or_fail(task)


def _start(client: Client, tool: str, file: Path, baseline: Path | None, schema: Path | None, params: Path | None,
           agents: list[str] | None, resume: str | None, as_json: bool) -> str:
    """create + upload + process (or resume + process); the task id is printed as soon as it exists."""

    created: list[str] = []

    def announce(task: Task) -> None:
        created.append(task.task_id)
        if not as_json:
            typer.echo(task.task_id)
        view.err.print(f"task {task.task_id} {'resumed' if resume else 'created'}")

    try:
        with view.transfer_bars("uploading", as_json) as bars:
            if resume:
                task = client.task(resume)
                if task.tool_id != tool:
                    raise AgensiumError(ErrorCode.VALIDATION_ERROR,
                                        f"Task {resume} is a {task.tool_id} task, not {tool}")
                announce(task)
                task = client.resume(resume, file, baseline, schema, params, on_upload=bars)
            else:
                task = client.submit(tool, file, baseline, schema, params, agents, on_upload=bars,
                                     on_created=announce)
    except (KeyboardInterrupt, AgensiumError):
        if created:
            view.err.print(f"task {created[0]} did not start; `agensium submit {tool} {file} --resume {created[0]}` "
                           "(same options) finishes its upload and starts it")
        raise
    view.err.print(f"task {task.task_id} {task.status.lower()}")
    return str(task.task_id)


def _watch(client: Client, task_id: str, timeout: float | None, quiet: bool) -> Task:
    try:
        with view.processing_bar(quiet) as bar:
            return client.wait(task_id, timeout=timeout, on_progress=bar)
    except (KeyboardInterrupt, TimeoutError):
        view.err.print(f"task {task_id} goes on on the server: `agensium status {task_id}`, "
                       f"`agensium cancel {task_id}`")
        raise


def _download(client: Client, task_id: str, directory: Path, quiet: bool) -> list[Path]:
    with view.transfer_bars("downloading", quiet) as bars:
        written: list[Path] = client.download(task_id, directory, on_download=bars)
    if not written:
        status = client.task(task_id).status
        raise AgensiumError(ErrorCode.REPORT_NOT_AVAILABLE, f"Task {task_id} has no files to download ({status})",
                            {"task_id": task_id, "status": status})
    return written


def _settled_or_fail(task: Task) -> None:
    if task.succeeded:
        view.err.print(f"task {task.task_id} completed")
        return
    code = task.error_code or task.status
    message = task.error_message or f"the task ended {task.status}"
    raise _fail(code, f"task {task.task_id}: {message}", EXIT_ERROR)


@handled
def status(task_id: str = typer.Argument(...), url: str | None = URL, as_json: bool = JSON) -> None:
    """A task's status, progress and error."""
    with _client(url) as client:
        task = client.task(task_id)
    view.emit_json(task) if as_json else view.task_lines(task)


@handled
def tasks(status: str | None = typer.Option(None, "--status", help="One status or several, comma-separated"),
          tool: str | None = typer.Option(None, "--tool", help="Only this tool's tasks"),
          limit: int = typer.Option(50, "--limit", min=1, help="At most this many (newest first)"),
          url: str | None = URL, as_json: bool = JSON) -> None:
    """Your tasks, newest first."""
    with _client(url) as client:
        found = list(itertools.islice(client.tasks(status=status, tool_id=tool), limit))
    view.emit_json(found) if as_json else view.tasks_table(found)


@handled
def download(task_id: str = typer.Argument(...), directory: Path = typer.Argument(..., help="Folder to write to"),
             url: str | None = URL, as_json: bool = JSON) -> None:
    """Download a task's reports and data files (streamed to disk)."""
    with _client(url) as client:
        written = _download(client, task_id, directory, as_json)
    if as_json:
        view.emit_json([{"filename": p.name, "path": str(p), "size_bytes": p.stat().st_size} for p in written])
    else:
        view.paths(written)


@handled
def report(task_id: str = typer.Argument(...), url: str | None = URL, as_json: bool = JSON) -> None:
    """A completed task's report: a summary, or the whole JSON report with --json."""
    with _client(url) as client:
        body = client.report(task_id)
    view.emit_json(body) if as_json else view.report_summary(body)


@handled
def cancel(task_id: str = typer.Argument(...), url: str | None = URL, as_json: bool = JSON) -> None:
    """Cancel a queued or running task (its held credits are released)."""
    with _client(url) as client:
        task = client.cancel(task_id)
    view.emit_json(task) if as_json else view.out.print(f"{task.task_id}: {task.status}")


@handled
def delete(task_id: str = typer.Argument(...), url: str | None = URL, as_json: bool = JSON) -> None:
    """Delete a task and every file stored for it (cancel a running task first)."""
    with _client(url) as client:
        result = client.delete(task_id)
    view.emit_json(result) if as_json else view.out.print(f"deleted {result.task_id} ({result.files_deleted} files)")


# billing -------------------------------------------------------------------------------------------------
@handled
def wallet(url: str | None = URL, as_json: bool = JSON) -> None:
    """Your credits: balance, credits held by running tasks, latest movements."""
    with _client(url) as client:
        w = client.wallet()
    if as_json:
        view.emit_json(w)
        return
    view.out.print(f"balance: {w.balance}  held: {w.held}")
    for e in w.recent_transactions:
        view.out.print(f"  {e.created_at:%Y-%m-%d %H:%M}  {e.kind:<8} {e.delta:>+8}  {e.reason or ''}")


@handled
def estimate(tool: str = typer.Argument(...), agents: str | None = typer.Option(None, "--agents"),
             url: str | None = URL, as_json: bool = JSON) -> None:
    """What a task would cost, against your balance."""
    selected = [a.strip() for a in agents.split(",") if a.strip()] if agents else None
    with _client(url) as client:
        est = client.estimate(tool, selected)
    if as_json:
        view.emit_json(est)
        return
    for line in est.breakdown:
        view.out.print(f"  {line.agent_id:<28}{line.cost:>6}")
    view.out.print(f"total {est.total_cost} credits; balance {est.balance}; shortfall {est.shortfall}")


COMMANDS: dict[str, Callable[..., Any]] = {
    "login": login, "logout": logout, "register": register_account, "verify": verify, "whoami": whoami,
    "submit": submit, "status": status, "tasks": tasks, "download": download, "report": report,
    "cancel": cancel, "delete": delete, "wallet": wallet, "estimate": estimate,
}


def register(app: typer.Typer) -> None:
    for name, command in COMMANDS.items():
        app.command(name, rich_help_panel="Remote (against a server)")(command)
