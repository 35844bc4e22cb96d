"""`agensium run TOOL FILE` runs a tool locally (no server, no database) and `agensium tools` lists the catalog.

Bad input ends with exit code 2 and one line `error: CODE: message` on stderr, never a traceback;
a run whose data-changing agent failed writes its reports and exits 1; Ctrl-C cancels cooperatively
(exit 130); an internal error is one line too (exit 1). Tracebacks go to `<out>/run.log` (or stderr
with --verbose).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from agensium.errors import AgensiumError, ErrorCode

EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 1, 2, 130

skip_teardown = False
"""Set once a run has ended and its outputs are closed: `agensium.cli.main` may then end the process at once."""


def _fail(code: str, message: str, exit_code: int = EXIT_BAD_INPUT) -> typer.Exit:
    first_line = " ".join(message.split())
    typer.echo(f"error: {code}: {first_line}", err=True)
    return typer.Exit(exit_code)


def _load_params(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AgensiumError(ErrorCode.FILES_NOT_FOUND, f"{path.name}: parameters file not found") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS, f"{path.name} is not valid JSON: {exc}") from exc


def _inputs(file: str, baseline: str | None, schema: str | None) -> dict[str, Path | str]:
    def one(v: str) -> Path | str:
        return v if v.startswith("s3://") else Path(v)

    inputs: dict[str, Path | str] = {"primary": one(file)}
    if baseline:
        inputs["baseline"] = one(baseline)
    if schema:
        inputs["schema"] = one(schema)
    return inputs


def _logging(out: Path, verbose: bool) -> logging.Handler:
    handler: logging.Handler
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
    else:
        out.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(out / "run.log", encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("agensium")
    logger.addHandler(handler)
    logger.propagate = False
    return handler


def run(
    tool: str = typer.Argument(..., help="Tool id, e.g. profile-my-data (see `agensium tools`)"),
    file: str = typer.Argument(..., help="The primary data file (CSV, Excel, JSON, Parquet; a path or s3:// URI)"),
    baseline: str | None = typer.Option(None, "--baseline", help="Baseline file (drift detection)"),
    schema: str | None = typer.Option(None, "--schema", help="Data contract, JSON or YAML (master-my-data)"),
    params: Path | None = typer.Option(None, "--params", help="parameters.json: {agent_id: {param: value}}"),
    agents: str | None = typer.Option(None, "--agents", help="Comma-separated agent ids (default: all)"),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default: ./<file>_<tool>_out)"),
    parquet: bool = typer.Option(False, "--parquet", help="Also write the output data as Parquet"),
    sheet: str | None = typer.Option(None, "--sheet", help="Excel sheet name or 0-based index"),
    header_row: int | None = typer.Option(None, "--header-row", min=1, max=10_000,
                                          help="Row holding the column names, 1-based (default: found; title and "
                                          "blank rows above it are skipped)"),
    formats: str = typer.Option("json,xlsx,html", "--formats", help="Report formats"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log agent errors to stderr"),
) -> None:
    """Run a tool on local files and write its reports and data."""
    global skip_teardown
    from agensium.engine.io.layout import ReadOptions
    from agensium.engine.pipeline import RunRequest, run_tool
    from agensium.engine.registry import get_tool

    out_dir = out or Path.cwd() / f"{Path(file.rsplit('/', 1)[-1]).stem}_{tool}_out"
    console = Console(stderr=True)
    cancel = {"requested": False}
    handler = _logging(out_dir, verbose)
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(_sig: int, _frame: object) -> None:
        if cancel["requested"]:
            raise KeyboardInterrupt
        cancel["requested"] = True
        console.print("[yellow]cancelling after the current step… (Ctrl-C again to abort)[/]")

    try:
        spec = get_tool(tool)
        selected = [a.strip() for a in agents.split(",") if a.strip()] if agents else None
        if selected is None and not baseline:
            selected = [a.id for a in spec.agents if "baseline" not in a.needs]
            skipped = [a.id for a in spec.agents if "baseline" in a.needs]
            if skipped:
                console.print(f"[dim]no --baseline: skipping {', '.join(skipped)}[/]")
        request = RunRequest(
            tool_id=tool, inputs=_inputs(file, baseline, schema), out_dir=out_dir, agents=selected,
            parameters=_load_params(params), write_parquet=parquet,
            read=ReadOptions(sheet=sheet, header_row=header_row),
            formats=tuple(f.strip() for f in formats.split(",") if f.strip()),
        )
        signal.signal(signal.SIGINT, on_sigint)
        with Progress(TextColumn("[bold]{task.description:<28}"), BarColumn(), TaskProgressColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as bar:
            task = bar.add_task("reading input", total=None)

            def on_progress(agent_id: str, index: int, total: int, fraction: float) -> None:
                name = spec.agent(agent_id).name if spec.agent(agent_id) else agent_id
                bar.update(task, description=f"{index + 1}/{total} {name}", total=total, completed=index + fraction)

            outcome = run_tool(request, on_progress=on_progress, is_cancelled=lambda: cancel["requested"])
            if outcome.status == "completed":
                bar.update(task, description="done", completed=bar.tasks[0].total or 1)
    except AgensiumError as exc:
        raise _fail(exc.code.value, exc.message) from None
    except KeyboardInterrupt:
        raise _fail(ErrorCode.CANCELLED.value, "aborted", EXIT_CANCELLED) from None
    except Exception as exc:  # a bug of ours: one line for the user, the traceback in the run's log
        logging.getLogger("agensium.cli").error("the run failed", exc_info=True)
        where = "above" if verbose else str(out_dir / "run.log")
        raise _fail(ErrorCode.INTERNAL_ERROR.value, f"{type(exc).__name__}: {exc} (traceback: {where})",
                    EXIT_FAILED) from None
    finally:
        signal.signal(signal.SIGINT, previous)
        logging.getLogger("agensium").removeHandler(handler)
        handler.close()
        skip_teardown = True

    _print_summary(outcome)
    if outcome.status == "cancelled":
        raise _fail(ErrorCode.CANCELLED.value, "the run was cancelled; no outputs were written", EXIT_CANCELLED)
    if outcome.status == "failed":
        err = outcome.error
        raise _fail(err.code if err else ErrorCode.AGENT_ERROR.value,
                    f"{outcome.failed_agent}: {err.message if err else 'failed'}", EXIT_FAILED)


def _print_summary(outcome: Any) -> None:
    console = Console()
    table = Table(title=f"{escape(outcome.report['metadata']['tool_name'])}: {outcome.status}")
    for col in ("Agent", "Status", "Time", "Score", "Note"):
        table.add_column(col, justify="right" if col in ("Time", "Score") else "left")
    colors = {"success": "green", "failed": "red", "skipped": "yellow", "cancelled": "yellow"}
    for r in outcome.results:
        note = f"{r.error.code}: {r.error.message}" if r.error else ""
        table.add_row(r.agent_id, f"[{colors.get(r.status, 'white')}]{r.status}[/]", f"{r.duration_ms / 1000:.2f}s",
                      "" if r.score is None else f"{r.score:.1f}", escape(note[:80]))
    console.print(table)
    from agensium.engine.report.cells import input_lines

    for key, line in input_lines(outcome.report["metadata"].get("inputs")):
        console.print(f"[dim]{escape(key)}: {escape(line)}[/]", highlight=False, soft_wrap=True)
    summary = outcome.report.get("summary", {})
    console.print(f"alerts: {summary.get('total_alerts', 0)}  issues: {summary.get('total_issues', 0)}  "
                  f"row-level issues: {outcome.report.get('issue_summary', {}).get('total_issues', 0)}")
    for o in outcome.outputs:
        console.print(f"  {o.kind:<11} {o.path}", highlight=False, markup=False, soft_wrap=True)


def tools(as_json: bool = typer.Option(False, "--json", help="Print the catalog as JSON")) -> None:
    """List the tools, their agents (in pipeline order) and costs."""
    from agensium.engine.registry import TOOLS, catalog_entry

    if as_json:
        typer.echo(json.dumps([catalog_entry(t) for t in TOOLS], indent=2, default=str))
        return
    console = Console()
    for t in TOOLS:
        table = Table(title=f"{t.id}: {t.name}", title_justify="left")
        for col in ("#", "Agent", "Cost", "Changes data", "Needs"):
            table.add_column(col)
        for i, a in enumerate(t.agents, start=1):
            table.add_row(str(i), a.id, str(a.cost), "yes" if a.changes_data else "", ", ".join(a.needs))
        console.print(table)
        files = ", ".join(f"{f.role}{'' if f.required else ' (optional)'}" for f in t.files)
        console.print(f"  files: {files}; total cost {sum(a.cost for a in t.agents)} credits\n")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("tools")(tools)
