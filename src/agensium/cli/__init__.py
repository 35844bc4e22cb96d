"""The `agensium` command: local runs with no server, the server and worker, and admin commands.

Each command group lives in its own module and registers itself on `app` here.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Agensium data-quality service and engine.")

for _module in ("run", "serve", "worker"):
    try:
        importlib.import_module(f"agensium.cli.{_module}").register(app)
    except ModuleNotFoundError as exc:  # a command group not built yet
        if exc.name != f"agensium.cli.{_module}":
            raise
