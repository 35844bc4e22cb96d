"""One stack for every client and remote-CLI test of the session: `agensium serve` + `agensium worker` on the
session's SeaweedFS (see remote_stack.py), and one verified account."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from remote_stack import Stack, WorkerProcess, new_account, stack_env

from e2e.real_server import run_server, serve_available


@pytest.fixture(scope="session")
def stack(s3_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not serve_available():
        pytest.fail("`agensium serve` is not available")
    var = tmp_path_factory.mktemp("client-var")
    env = stack_env(s3_server, var)
    with run_server(var, extra_env=env) as server:
        worker_env = {k: v for k, v in os.environ.items()
                      if not k.startswith(("AGENSIUM_", "AWS_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))} | env
        worker = WorkerProcess(worker_env, var / "worker.log").start()
        try:
            yield Stack(server=server, worker=worker, env=env)
        finally:
            worker.stop()


@pytest.fixture(scope="session")
def account(stack: Stack) -> tuple[str, str]:
    """(email, token) of a verified account shared by the tests that do not count its tasks."""
    return new_account(stack)


@pytest.fixture
def api(stack: Stack, account: tuple[str, str]) -> Iterator[Any]:
    from agensium.client import Client

    with Client(stack.url, account[1]) as client:
        yield client
