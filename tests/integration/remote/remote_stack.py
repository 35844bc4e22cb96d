"""The stack the client tests drive: `agensium serve` (API) on the session's SeaweedFS, and a separate
`agensium worker` process that a test can stop (so a task stays QUEUED) and start again.

Production's shape: API and worker are different processes sharing the database, broker and bucket. Here
the database and the broker are SQLite files under the stack's var dir, as in `make run`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from e2e.real_server import RealServer, agensium_command

PASSWORD = "Correct-horse-42"
PART = 5 * 1024 * 1024  # the S3 minimum part size
THRESHOLD = 1024 * 1024  # files above 1 MiB go up in parts


def stack_env(s3: Any, var_dir: Path) -> dict[str, str]:
    """Settings for both processes (the server's ports are added by `run_server`)."""
    return {
        "AWS_ENDPOINT_URL": s3.endpoint_url, "AWS_ACCESS_KEY_ID": s3.access_key,
        "AWS_SECRET_ACCESS_KEY": s3.secret_key, "S3_BUCKET": f"client-{uuid.uuid4().hex[:10]}",
        "SECRET_KEY": f"client-tests-{uuid.uuid4().hex}{uuid.uuid4().hex}", "AGENSIUM_EMBEDDED_WORKER": "false",
        "AGENSIUM_MULTIPART_THRESHOLD_BYTES": str(THRESHOLD), "AGENSIUM_MULTIPART_PART_BYTES": str(PART),
        "AGENSIUM_AUTH_RATE_LIMIT_PER_MINUTE": "100000", "AGENSIUM_VAR_DIR": str(var_dir),
    }


class WorkerProcess:
    """`agensium worker` (solo pool) with the stack's settings; `stop()` and `start()` between tests."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> WorkerProcess:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([*agensium_command(), "worker", "--pool", "solo", "--concurrency", "1"],
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                         cwd=self.env["AGENSIUM_VAR_DIR"])
        deadline = time.monotonic() + timeout
        while b"ready." not in self.log.read_bytes()[offset:]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("agensium worker did not start:\n" + self.log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything it left in its group
        self.proc = None


@dataclass
class Stack:
    server: RealServer
    worker: WorkerProcess
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def secret_key(self) -> str:
        return self.env["SECRET_KEY"]

    @contextlib.contextmanager
    def worker_stopped(self) -> Any:
        """Nothing consumes the queue inside the block: a processed task stays QUEUED."""
        self.worker.stop()
        try:
            yield
        finally:
            self.worker.start()


def new_account(stack: Stack) -> tuple[str, str]:
    """register → verify (code from the outbox) → (email, token)."""
    from agensium.client import Client

    email = f"client-{uuid.uuid4().hex[:10]}@example.com"
    with Client(stack.url) as c:
        started = time.time() - 1
        c.register(email, PASSWORD, "Client Test")
        c.verify(email, stack.server.newest_code(email, after=started))
        return email, c.login(email, PASSWORD).access_token


def write_csv(path: Path, rows: int) -> dict[str, int]:
    """A CSV of `rows` rows; returns what a profile of it must find (rows, sum of `score`)."""
    total = 0
    with path.open("w", encoding="utf-8") as f:
        f.write("id,name,score\n")
        for i in range(rows):
            score = (i * 37) % 1000
            total += score
            f.write(f"{i},name{i % 97},{score}\n")
    return {"rows": rows, "score_sum": total}


def profiled(report: dict[str, Any]) -> dict[str, int]:
    """(rows, exact sum of `score`) as unified-profiler found them."""
    columns = {c["name"]: c for c in report["agent_results"]["unified-profiler"]["data"]["columns"]}
    return {"rows": report["metadata"]["inputs"]["primary"]["rows"],
            "score_sum": int(columns["score"]["numeric"]["sum"])}


def manifest_checks(directory: Path) -> dict[str, tuple[int, str]]:
    """name -> (size, sha256) as the worker recorded them in manifest.json."""
    manifest = json.loads((directory / "manifest.json").read_text())
    return {f["name"]: (f["size_bytes"], f["sha256"]) for f in manifest["files"]}
