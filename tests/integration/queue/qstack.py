"""Helpers for the queue tests: settings, the API under uvicorn, a celery worker subprocess, a client."""



from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import qtool

from agensium.service import db
from agensium.service.auth import security
from agensium.service.auth import service as auth_service
from agensium.service.billing import service as billing
from agensium.service.queue.embedded import settings_env
from agensium.settings import Settings

HERE = Path(__file__).resolve().parent
REDIS = "redis://127.0.0.1:6379/0"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(ok: bool, what: str) -> None:
    if not ok:
        if CI:
            pytest.fail(f"{what} is required when CI=true")
        pytest.skip(f"{what} is not available")


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except Exception:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_settings(base: Path, s3: Any, *, tag: str, redis: bool = True, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        mode="embedded", var_dir=base / "var", database_url=f"sqlite:///{base / 'agensium.db'}",
        aws_endpoint_url=s3.endpoint_url, aws_access_key_id=s3.access_key, aws_secret_access_key=s3.secret_key,
        s3_bucket=f"q-{tag}", redis_url=REDIS if redis else None, queue_name=f"agq-{tag}",
        heartbeat_seconds=1, heartbeat_timeout_seconds=5, periodic_interval_seconds=3600,
        auth_rate_limit_per_minute=100_000, log_level="WARNING", secret_key="queue-tests-" + "k" * 40,
    )
    values.update(overrides)
    return Settings(**values)


class Worker:
    """A real `celery worker` subprocess (prefork) with the test's settings in its environment."""

    def __init__(self, settings: Settings, log_path: Path, concurrency: int = 2) -> None:
        self.settings, self.log_path, self.concurrency = settings, log_path, concurrency
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        env = {**os.environ, **settings_env(self.settings),
               "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "qtool", "worker", "--pool=prefork",
             f"--concurrency={self.concurrency}", "-Q", self.settings.queue_name, "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", f"--hostname=t-{uuid.uuid4().hex[:6]}@%h"],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=str(HERE),
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # ready once the pool children exist
            if self.proc.poll() is not None:
                raise RuntimeError("worker exited:\n" + self.log_path.read_text()[-3000:])
            if "ready." in self.log_path.read_bytes()[offset:].decode(errors="replace"):
                return self
            time.sleep(0.2)
        raise RuntimeError("worker did not start:\n" + self.log_path.read_text()[-3000:])

    def children(self) -> list[int]:
        assert self.proc is not None
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def kill_all(self) -> None:
        """SIGKILL the whole worker (main process and pool) at once."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def ensure_running(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.start()

    def stop(self) -> None:
        """Cold shutdown (SIGQUIT): the test session is over, nothing needs to finish."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGQUIT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None


@dataclass
class Stack:
    settings: Settings
    base_url: str
    storage: Any
    worker: Worker | None = None
    users: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.settings.effective_database_url

    def session(self) -> Any:
        return db.session_scope(self.url)

    def user(self, credits: int, *, admin: bool = False) -> tuple[str, dict[str, str]]:
        """A verified user whose wallet holds exactly `credits`; returns (user_id, auth headers)."""
        with self.session() as s:
            user = auth_service.create_user(s, f"u{uuid.uuid4().hex[:10]}@example.com", "Correct-horse-9!",
                                            verified=True, admin=admin)
            s.flush()
            delta = credits - billing.get_balance(s, user.id)
            if delta:
                billing.grant(s, user.id, delta, key=f"test-setup:{user.id}")
            token, _ = security.create_access_token(self.settings, user.id, user.password_hash)
            return user.id, {"Authorization": f"Bearer {token}"}

    def client(self, headers: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=headers or {}, timeout=30)

    def upload_task(self, headers: dict[str, str], *, csv: bytes = b"a,b\n1,x\n2,\n3,z\n",
                    agents: list[str] | None = None, parameters: dict[str, Any] | None = None,
                    tool_id: str = qtool.TOOL_ID, files: dict[str, bytes] | None = None) -> str:
        """Create a task and PUT its files (role -> CSV bytes) to the presigned URLs, like a client."""
        files = files or {"primary": csv}
        with self.client(headers) as c:
            r = c.post("/tasks", json={"tool_id": tool_id, "agents": agents})
            assert r.status_code == 201, r.text
            task_id = r.json()["task_id"]
            body = {"files": {role: {"filename": f"{role}.csv", "content_type": "text/csv", "size_bytes": len(data)}
                              for role, data in files.items()},
                    "has_parameters": parameters is not None}
            r = c.post(f"/tasks/{task_id}/upload-urls", json=body)
            assert r.status_code == 200, r.text
            ups = r.json()["uploads"]
            for role, data in files.items():
                put = httpx.put(ups[role]["url"], content=data, headers=ups[role]["headers"])
                assert put.status_code == 200, put.text
            if parameters is not None:
                raw = json.dumps(parameters).encode()
                put = httpx.put(ups["parameters"]["url"], content=raw, headers=ups["parameters"]["headers"])
                assert put.status_code == 200, put.text
            return task_id

    def process(self, headers: dict[str, str], task_id: str) -> httpx.Response:
        with self.client(headers) as c:
            return c.post(f"/tasks/{task_id}/process")

    def get(self, headers: dict[str, str], task_id: str) -> dict[str, Any]:
        with self.client(headers) as c:
            r = c.get(f"/tasks/{task_id}")
            assert r.status_code == 200, r.text
            return r.json()

    def wait(self, headers: dict[str, str], task_id: str, until: Callable[[dict[str, Any]], bool],
             timeout: float = 60, seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            t = self.get(headers, task_id)
            if seen is not None:
                seen.append(t)
            if until(t):
                return t
            if time.monotonic() > deadline:
                raise AssertionError(f"task {task_id} never matched; last state: {t}")
            time.sleep(0.1)

    def final(self, headers: dict[str, str], task_id: str, timeout: float = 60) -> dict[str, Any]:
        return self.wait(headers, task_id, lambda t: t["status"] in ("COMPLETED", "FAILED", "CANCELLED"),
                         timeout)


def serve(settings: Settings) -> tuple[str, Callable[[], None]]:
    """The real API under uvicorn in a thread, on a free port."""
    import uvicorn

    from agensium.service.app import create_app

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("API did not start")
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


def build_stack(base: Path, s3: Any, *, redis: bool, **overrides: Any) -> tuple[Stack, Callable[[], None]]:
    tag = uuid.uuid4().hex[:10]
    settings = make_settings(base, s3, tag=tag, redis=redis, **overrides)
    db.upgrade_database(settings.effective_database_url)
    from agensium.service.storage import Storage

    storage = Storage(settings)
    storage.ensure_bucket()
    url, stop = serve(settings)
    return Stack(settings=settings, base_url=url, storage=storage), stop


def finished_counts(stack: Stack) -> dict[str, float]:
    """agensium_tasks_finished_total by status, summed over the worker processes' metric files."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    path = Path(stack.settings.var_dir) / "metrics"
    if not path.is_dir():
        return {}
    reg = CollectorRegistry()
    MultiProcessCollector(reg, path=str(path))
    out: dict[str, float] = {}
    for metric in reg.collect():
        if metric.name == "agensium_tasks_finished":
            for sample in metric.samples:
                if sample.name.endswith("_total") and sample.labels.get("tool_id") == qtool.TOOL_ID:
                    out[sample.labels["status"]] = out.get(sample.labels["status"], 0) + sample.value
    return out


def csv_rows(n: int) -> bytes:
    buf = io.StringIO()
    buf.write("id,name,score\n")
    for i in range(n):
        buf.write(f"{i},n{i % 97},{(i * 37) % 1000}\n")
    return buf.getvalue().encode()


@contextlib.contextmanager
def timer() -> Iterator[Callable[[], float]]:
    t0 = time.perf_counter()
    yield lambda: time.perf_counter() - t0


