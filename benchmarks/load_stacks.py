"""The two stacks `bench_load.py` drives, and the RSS sampler that watches their processes.

- `embedded(var)`: `make run`'s server, `agensium serve` in the embedded default (SQLite, SeaweedFS, one
  embedded worker), started by `bench_api.start_server`.
- `production(var, ...)`: the README's "Production" recipe on one machine: a fresh PostgreSQL database with
  a random name, Redis on a private queue (and key prefix), SeaweedFS as the S3 API, `agensium db upgrade`,
  the API under `uvicorn --factory ... --workers 4`, and N `agensium worker` processes.

Every process is started in its own session (process group). Leaving either context stops them all
(SIGTERM to the group, SIGKILL after a grace period), then `sweep(var)` kills any process that still
carries the temp var/ dir in its command line or environment, so nothing survives an error or Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import redis
from bench_api import free_port, start_server
from sqlalchemy import create_engine, make_url, text

BIN = Path(sys.executable).parent
# service settings a developer's shell may hold; each stack sets its own
SERVICE_ENV = ("AGENSIUM_", "AWS_", "S3_BUCKET", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "SMTP_",
               "PROMETHEUS_MULTIPROC_DIR")
GROUPS = ("api", "workers", "storage")


@dataclass
class Stack:
    name: str
    description: str
    url: str
    var: Path
    api_pid: int
    storage_pid: int
    worker_roots: Callable[[], list[int]]

    def groups(self) -> dict[str, list[psutil.Process]]:
        """The stack's processes now, by part: storage, workers (with pool children), API (the rest of its tree)."""
        storage = _tree(self.storage_pid)
        workers = [p for pid in self.worker_roots() for p in _tree(pid)]
        taken = {p.pid for p in storage + workers}
        return {"api": [p for p in _tree(self.api_pid) if p.pid not in taken], "workers": workers, "storage": storage}


def clean_environ() -> None:
    """Drop service settings inherited from the shell, so each stack runs on exactly what it sets."""
    for key in [k for k in os.environ if k.startswith(SERVICE_ENV)]:
        del os.environ[key]


@contextlib.contextmanager
def embedded(var: Path) -> Iterator[Stack]:
    """`agensium serve` as `make run` starts it, on free ports with its var/ in `var`."""
    proc: subprocess.Popen[bytes] | None = None
    try:
        proc, url = start_server(var)
        serve = proc.pid

        def worker_roots() -> list[int]:
            return [p.pid for p in _children(serve) if "celery" in " ".join(_cmdline(p))]

        storage = int((var / "s3" / "weed.pid").read_text().strip())
        yield Stack("embedded", "agensium serve: SQLite, embedded SeaweedFS, 1 embedded worker (solo pool)",
                    url, var, serve, storage, worker_roots)
    finally:
        with _shielded():
            if proc is not None:
                stop_group(proc)
            sweep(var)


@dataclass
class Production:
    """What `production()` needs besides the var dir."""
    pg_admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379/0"
    api_workers: int = 4       # the README's `uvicorn --workers 4`
    workers: int = 2           # `agensium worker` processes, each with its default pool (prefork, concurrency 2)


@contextlib.contextmanager
def production(var: Path, cfg: Production) -> Iterator[Stack]:
    """API (uvicorn, N workers) + Redis + `agensium worker` x N + PostgreSQL + SeaweedFS, all torn down after."""
    from agensium.service.seaweed import EmbeddedS3

    name = f"agensium_load_{secrets.token_hex(6)}"
    admin = create_engine(cfg.pg_admin_url, isolation_level="AUTOCOMMIT")
    s3 = EmbeddedS3(var)
    procs: list[subprocess.Popen[bytes]] = []
    created = False
    try:
        _sql(admin, f"CREATE DATABASE {name}")
        created = True
        s3.start()
        url = f"http://127.0.0.1:{free_port()}"
        env = _production_env(var, url, name, s3, cfg)
        _prepare(env, url)
        procs.append(spawn([str(BIN / "uvicorn"), "--factory", "agensium.service.app:create_app",
                                "--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1],
                                "--workers", str(cfg.api_workers), "--log-level", "warning"], env, var / "api.log"))
        procs += [spawn([str(BIN / "agensium"), "worker", "--loglevel", "INFO"], env, var / f"worker-{i}.log")
                      for i in range(cfg.workers)]
        wait_healthy(url, procs[0], var / "api.log")
        for i, worker in enumerate(procs[1:]):
            wait_log(var / f"worker-{i}.log", b"ready.", worker)
        api, workers = procs[0].pid, [p.pid for p in procs[1:]]
        yield Stack("production", f"uvicorn --workers {cfg.api_workers}, PostgreSQL, Redis, {cfg.workers} x "
                    "agensium worker (prefork, concurrency 2), SeaweedFS", url, var, api,
                    s3.process.pid if s3.process else 0, lambda: workers)
    finally:
        with _shielded():
            for proc in procs:
                stop_group(proc)
            s3.stop()
            sweep(var)
            if created:
                _sql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.dispose()
            _drop_redis_keys(cfg.redis_url, name)


def _production_env(var: Path, url: str, name: str, s3: object, cfg: Production) -> dict[str, str]:
    settings = {
        "AGENSIUM_MODE": "production", "SECRET_KEY": secrets.token_urlsafe(48), "AGENSIUM_VAR_DIR": str(var),
        "DATABASE_URL": make_url(cfg.pg_admin_url).set(database=name).render_as_string(hide_password=False),
        "REDIS_URL": cfg.redis_url, "AGENSIUM_QUEUE_NAME": name, "AGENSIUM_PUBLIC_URL": url,
        "AWS_ENDPOINT_URL": s3.endpoint_url, "AWS_ACCESS_KEY_ID": s3.access_key,  # type: ignore[attr-defined]
        "AWS_SECRET_ACCESS_KEY": s3.secret_key,  # type: ignore[attr-defined]
        "AGENSIUM_LOG_LEVEL": "WARNING", "AGENSIUM_AUTH_RATE_LIMIT_PER_MINUTE": "100000",
    }
    return {**os.environ, **settings}


def _prepare(env: dict[str, str], url: str) -> None:
    """README "Production" steps 3 and 4: the schema once, then the bucket with CORS for the UI origin."""
    from agensium.service.storage import Storage
    from agensium.settings import Settings

    subprocess.run([str(BIN / "agensium"), "db", "upgrade"], env=env, check=True, capture_output=True)
    Storage(Settings(**{k: v for k, v in env.items() if k.startswith(SERVICE_ENV)})).ensure_bucket([url])


def spawn(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=env["AGENSIUM_VAR_DIR"])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"the API did not start:\n{log.read_text(errors='replace')[-3000:]}")


def wait_log(log: Path, marker: bytes, proc: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while marker not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{log.name}: no {marker!r}:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)


def stop_group(proc: subprocess.Popen[bytes], grace: float = 30) -> None:
    """SIGTERM to the process's group, SIGKILL after `grace`; then its descendants that left the group."""
    family = _children(proc.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # the leader if it hung, and anything it left in its group
    proc.wait(timeout=10)
    _, alive = psutil.wait_procs(family, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()


def leftovers(marker: Path) -> list[psutil.Process]:
    """Processes (other than this one) whose command line or AGENSIUM_VAR_DIR mentions `marker`."""
    needle, found = str(marker), []
    for p in psutil.process_iter():
        if p.pid == os.getpid():
            continue
        with contextlib.suppress(psutil.Error):
            if needle in " ".join(p.cmdline()) or p.environ().get("AGENSIUM_VAR_DIR", "").startswith(needle):
                found.append(p)
    return found


def sweep(var: Path) -> None:
    """The safety net: kill whatever of ours still runs on `var` (e.g. a server that never became healthy)."""
    procs = leftovers(var)
    for p in procs:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(procs, timeout=10)


@contextlib.contextmanager
def _shielded() -> Iterator[None]:
    """Let a second Ctrl-C (or a SIGTERM) not cut the clean-up short."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _sql(engine: object, statement: str) -> None:
    with engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text(statement))


def _drop_redis_keys(url: str, queue: str) -> None:
    """The stack's queue keys (all under the `{queue}:` prefix the Celery app sets)."""
    with contextlib.suppress(redis.RedisError), redis.Redis.from_url(url) as r:
        keys = list(r.scan_iter(match=f"{queue}:*", count=1000))
        if keys:
            r.delete(*keys)


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def _children(pid: int) -> list[psutil.Process]:
    return _tree(pid)[1:]


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


class RssSampler:
    """Samples each part of a stack every `every` seconds in a thread: the sum of its processes' RSS and its
    largest single process, at start and at peak. Sums count pages shared by forked children once per
    process (an upper bound)."""

    def __init__(self, stack: Stack, every: float = 0.1) -> None:
        self.stack, self.every = stack, every
        self.start: dict[str, float] = {}
        self.start_largest: dict[str, float] = {}
        self.peak: dict[str, float] = dict.fromkeys(GROUPS, 0.0)
        self.largest: dict[str, float] = dict.fromkeys(GROUPS, 0.0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[dict[str, float], dict[str, float]]:
        """(sum, largest process) by part, in MB, now; the peaks follow."""
        totals, largest = {}, {}
        for group, procs in self.stack.groups().items():
            sizes = []
            for p in procs:
                with contextlib.suppress(psutil.Error):
                    sizes.append(p.memory_info().rss / 2**20)
            totals[group], largest[group] = sum(sizes), max(sizes, default=0.0)
            self.peak[group] = max(self.peak[group], totals[group])
            self.largest[group] = max(self.largest[group], largest[group])
        return totals, largest

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.start, self.start_largest = self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
