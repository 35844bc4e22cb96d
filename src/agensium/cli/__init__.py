"""The `agensium` command: local runs with no server, the server and worker, and admin commands.

Each command group lives in its own module and registers itself on `app` here.
"""

from __future__ import annotations

import importlib
import os
import sys

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Agensium data-quality service and engine.")

for _module in ("run", "serve", "worker", "remote"):
    try:
        importlib.import_module(f"agensium.cli.{_module}").register(app)
    except ModuleNotFoundError as exc:  # a command group not built yet
        if exc.name != f"agensium.cli.{_module}":
            raise


def main() -> None:
    """The console entry point. After `agensium run` the process ends without the interpreter's teardown
    (unloading SciPy and Polars and freeing the run's memory takes about 0.15 s): by then every output
    file is written and closed, so only the streams need flushing."""
    from agensium.cli import run as run_module

    try:
        app()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    if run_module.skip_teardown:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
