"""What the remote commands show: Rich progress bars on stderr, tables and JSON on stdout.

Progress goes to stderr so stdout stays clean for scripts (a task id, file paths, or `--json` output).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

if TYPE_CHECKING:  # the client (httpx, pydantic models) loads only when a remote command runs
    from agensium.client import Task

err = Console(stderr=True, soft_wrap=True, highlight=False)  # a path or a message is never cut into lines
# piped output is not cut to 80 columns: a task id or a file path must survive `| grep`
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def emit_json(value: Any) -> None:
    """A pydantic model, a list of them, or plain JSON data, indented on stdout."""
    value = [_plain(v) for v in value] if isinstance(value, Sequence) and not isinstance(value, str) else _plain(value)
    typer.echo(json.dumps(value, indent=2, default=str))


def _bar(quiet: bool, *columns: Any) -> Progress:
    return Progress(TextColumn("[bold]{task.description:<30}"), BarColumn(), *columns, TimeElapsedColumn(),
                    console=err, transient=True, disable=quiet or not err.is_terminal)


class Transfers:
    """One bar per uploaded role or downloaded file, fed by the client's progress callbacks."""

    def __init__(self, progress: Progress, verb: str) -> None:
        self.progress, self.verb = progress, verb
        self.bars: dict[str, TaskID] = {}

    def __call__(self, name: str, done: int, total: int | None) -> None:
        if name not in self.bars:
            self.bars[name] = self.progress.add_task(f"{self.verb} {name}", total=total)
        self.progress.update(self.bars[name], completed=done, total=total)


@contextmanager
def transfer_bars(verb: str, quiet: bool) -> Iterator[Transfers]:
    with _bar(quiet, DownloadColumn(), TransferSpeedColumn()) as progress:
        yield Transfers(progress, verb)


class Processing:
    """The task's progress (0-100) with its stage and current agent."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.bar = progress.add_task("queued", total=100)

    def __call__(self, task: Task) -> None:
        detail = task.progress_detail or {}
        what = task.current_agent or detail.get("current_stage") or task.status.lower()
        done, total = detail.get("agents_completed"), detail.get("agents_total")
        count = f"{done}/{total} " if total else ""
        self.progress.update(self.bar, completed=task.progress, description=f"{count}{what}")


@contextmanager
def processing_bar(quiet: bool) -> Iterator[Processing]:
    with _bar(quiet, TaskProgressColumn()) as progress:
        yield Processing(progress)


def task_lines(task: Task) -> None:
    rows = [("task", task.task_id), ("tool", task.tool_id), ("status", task.status),
            ("progress", f"{task.progress}%"), ("agents", ", ".join(task.agents))]
    if task.current_agent:
        rows.append(("current agent", task.current_agent))
    if task.error_code:
        rows.append(("error", f"{task.error_code}: {task.error_message or ''}"))
    rows += [("created", task.created_at.isoformat()), ("updated", task.updated_at.isoformat())]
    for key, value in rows:
        out.print(f"{key + ':':<15}{escape(str(value))}")


def tasks_table(tasks: list[Task]) -> None:
    table = Table()
    for col in ("Task", "Tool", "Status", "Progress", "Created", "Error"):
        table.add_column(col, justify="right" if col == "Progress" else "left", no_wrap=col == "Task")
    for t in tasks:
        table.add_row(t.task_id, t.tool_id, t.status, f"{t.progress}%", t.created_at.strftime("%Y-%m-%d %H:%M"),
                      escape(t.error_code or ""))
    out.print(table)


def report_summary(report: dict[str, Any]) -> None:
    meta = report.get("metadata", {})
    table = Table(title=f"{escape(str(meta.get('tool_name', '')))}: {meta.get('status', '')}", title_justify="left")
    for col in ("Summary", "Value", "Status"):
        table.add_column(col)
    for item in report.get("executive_summary", []):
        table.add_row(escape(str(item.get("title", ""))), escape(str(item.get("value", ""))),
                      escape(str(item.get("status", ""))))
    out.print(table)
    for agent_id, result in (report.get("agent_results") or {}).items():
        error = result.get("error") or {}
        note = f"  {error.get('code')}: {error.get('message')}" if error else ""
        out.print(f"{agent_id}: {result.get('status')}{escape(note)}")


def paths(written: list[Path]) -> None:
    for p in written:
        typer.echo(str(p))
