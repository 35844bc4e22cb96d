"""Start `agensium serve` as a person would (embedded SeaweedFS, SQLite, embedded worker) on free ports."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from .conftest import free_port

CODE_RE = re.compile(r"\b(\d{6,10})\b")


@dataclass
class RealServer:
    url: str
    var_dir: Path
    log: Path

    def newest_code(self, email: str, after: float = 0.0, timeout: float = 15.0) -> str:
        """The verification code in the newest outbox message to `email`."""
        outbox = self.var_dir / "outbox"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = sorted((p for p in outbox.rglob("*") if p.is_file() and p.stat().st_mtime >= after),
                           key=lambda p: p.stat().st_mtime, reverse=True) if outbox.exists() else []
            for f in files:
                text = f.read_text(errors="replace")
                try:  # the outbox writes one JSON message per file: {to, subject, body, sent_at}
                    msg = json.loads(text)
                    to, body = str(msg.get("to", "")), str(msg.get("body", ""))
                except ValueError:
                    to, body = text, text
                if email.lower() in to.lower() and (m := CODE_RE.search(body)):
                    return m.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no mail with a code to {email} in {outbox}")

    def log_tail(self, n: int = 60) -> str:
        """The end of the server's log and of any worker logs, for failure messages."""
        parts = []
        for path in [self.log, *sorted((self.var_dir / "logs").glob("*.log"))]:
            try:
                lines = path.read_text(errors="replace").splitlines()[-n:]
            except OSError:
                continue
            parts.append(f"--- {path.name} ---\n" + "\n".join(lines))
        return "\n".join(parts)


def agensium_command() -> list[str]:
    exe = Path(sys.executable).with_name("agensium")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "agensium.cli"]


def serve_available() -> bool:
    r = subprocess.run([*agensium_command(), "serve", "--help"], capture_output=True, timeout=60)
    return r.returncode == 0


@contextlib.contextmanager
def run_server(var_dir: Path, extra_env: dict[str, str] | None = None, start_timeout: float = 90) -> Iterator[RealServer]:
    port, s3_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENSIUM_", "AWS_", "DATABASE_URL", "REDIS_URL"))}
    env.update({"AGENSIUM_VAR_DIR": str(var_dir), "AGENSIUM_PORT": str(port),
                "AGENSIUM_EMBEDDED_S3_PORT": str(s3_port), "AGENSIUM_HOST": "127.0.0.1", **(extra_env or {})})
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / "server.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen([*agensium_command(), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=var_dir, start_new_session=True)
    server = RealServer(url=url, var_dir=var_dir, log=log)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"agensium serve exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"agensium serve did not answer /health in {start_timeout}s:\n{server.log_tail()}")
            time.sleep(0.3)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        # anything the server started and left behind (e.g. storage) goes too: in its process group,
        # or (if it started its own session) found by the unique var dir on its command line
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        for pid in _pids_using(var_dir):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def _pids_using(var_dir: Path) -> list[int]:
    """Processes whose command line names this test's own temporary var dir."""
    needle = str(var_dir).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids
