"""The embedded default's worker: the production Celery worker, as a supervised child process.

A child process (not a thread) so agent CPU work never competes with the API for the GIL, and a
crash of the worker cannot take the API down. It uses whatever broker the settings name (the
SQLite-backed `sqla+sqlite://` one by default). The periodic jobs run on a timer thread here in the
parent, because the watchdog must keep working when the worker is the thing that died; the same
thread restarts the child if it exits unexpectedly.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from agensium.settings import Settings

log = logging.getLogger(__name__)


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, so a child process sees exactly the same configuration."""
    env: dict[str, str] = {}
    data = settings.model_dump()
    for name, field in type(settings).model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        if not choices:
            continue
        value = data[name]
        if value is None:
            continue
        if isinstance(value, Path):
            env[str(choices[0])] = str(value.resolve())
        elif isinstance(value, (list, dict)):
            env[str(choices[0])] = json.dumps(value)
        elif isinstance(value, bool):
            env[str(choices[0])] = "true" if value else "false"
        else:
            env[str(choices[0])] = str(value)
    return env


APP_MODULE = "agensium.service.queue.celery_app"


def worker_command(settings: Settings, *, app_module: str = APP_MODULE, pool: str = "solo", concurrency: int = 1,
                   loglevel: str | None = None) -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", app_module, "worker",
        f"--pool={pool}", f"--concurrency={concurrency}", "-Q", settings.queue_name,
        f"--loglevel={(loglevel or settings.log_level).upper()}",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
        f"--hostname=agensium-embedded-{os.getpid()}@%h",
    ]


def declare_queue(app: Any, name: str) -> None:
    """Create the broker's queue before any worker child exists.

    kombu's SQLAlchemy transport creates its tables and queue row on first use with no lock between
    processes: a worker declaring the queue while the API sends its first job lost the race on the
    UNIQUE queue name and died with an IntegrityError (exit 1). Declared here, both only find it.
    """
    with app.connection_for_write() as conn:
        conn.default_channel.queue_declare(queue=name)


class EmbeddedWorker:
    """Handle returned by `start_embedded_worker`: `.stop()` ends the timer, then the child."""

    def __init__(self, settings: Settings, *, run_periodic: bool = True, stop_grace_s: float = 15.0,
                 app_module: str = APP_MODULE) -> None:
        self.settings = settings
        self.app_module = app_module
        self.stop_grace_s = stop_grace_s
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._run_periodic = run_periodic
        self._stopping = threading.Event()
        self._timer: threading.Thread | None = None
        self._log_path = Path(settings.var_dir) / "logs" / "worker.log"
        self._log_file: Any = None

    # child process --------------------------------------------------------------------------------
    def _spawn(self) -> None:
        from agensium.service.metrics import metrics_dir

        env = {**os.environ, **settings_env(self.settings)}
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir(self.settings).resolve())
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        if self._log_file is None:
            self._log_file = self._log_path.open("ab")
        self.process = subprocess.Popen(
            worker_command(self.settings, app_module=self.app_module), env=env, stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.info("embedded worker started (pid %d, log %s)", self.process.pid, self._log_path)

    def start(self) -> EmbeddedWorker:
        from agensium.service import metrics
        from agensium.service.queue.celery_app import configure_celery
        from agensium.service.storage import Storage

        app = configure_celery(self.settings)  # the API process sends to the broker the child consumes
        Path(self.settings.var_dir).mkdir(parents=True, exist_ok=True)  # the default broker file lives there
        declare_queue(app, self.settings.queue_name)
        self._storage = Storage(self.settings)
        metrics.enable_multiprocess(metrics.metrics_dir(self.settings), wipe=True)
        self._spawn()
        self._timer = threading.Thread(target=self._loop, name="agensium-periodic", daemon=True)
        self._timer.start()
        return self

    def _loop(self) -> None:
        from agensium.service.queue.periodic import run_periodic

        interval = self.settings.periodic_interval_seconds
        while not self._stopping.wait(min(interval, 5)):
            try:
                proc = self.process
                if proc is not None and proc.poll() is not None and not self._stopping.is_set():
                    log.error("embedded worker exited with %s; restarting it", proc.returncode)
                    self.restarts += 1
                    self._spawn()
                if self._run_periodic and self._due(interval):
                    run_periodic(settings=self.settings, storage=self._storage)
            except Exception:  # the supervisor must survive anything one round throws
                log.exception("embedded worker supervision round failed")

    _last_periodic = 0.0

    def _due(self, interval: float) -> bool:
        import time

        now = time.monotonic()
        if now - self._last_periodic >= interval:
            self._last_periodic = now
            return True
        return False

    def stop(self) -> None:
        self._stopping.set()
        if self._timer is not None:
            self._timer.join(timeout=30)
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            # a warm shutdown: Celery lets the current job finish within the grace period; a job still
            # running after it is killed, and the watchdog fails (or a redelivery resumes) its task
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_grace_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        from agensium.service import metrics

        if proc is not None:
            metrics.mark_process_dead(proc.pid)
        metrics.disable_multiprocess()


def start_embedded_worker(settings: Settings, **kwargs: Any) -> EmbeddedWorker:
    """Start the worker child and the periodic timer (called by `agensium serve`)."""
    return EmbeddedWorker(settings, **kwargs).start()
