"""Through a real uvicorn server: concurrent `process` calls (exactly one wins), and `agensium serve`
as a user runs it (embedded SeaweedFS started and stopped cleanly)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CSV = b"id,name\n1,Ada\n2,Grace\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_url(app: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_process_twice_at_once_exactly_one_wins(live_url, make_user, app_settings):
    u = make_user()
    with httpx.Client(base_url=live_url, headers=u.headers, timeout=60) as c:
        tid = c.post("/tasks", json={"tool_id": "profile-my-data", "agents": ["unified-profiler"]}).json()["task_id"]
        up = c.post(f"/tasks/{tid}/upload-urls", json={"files": {"primary": {
            "filename": "a.csv", "content_type": "text/csv", "size_bytes": len(CSV)}}}).json()["uploads"]["primary"]
        assert httpx.put(up["url"], content=CSV, headers=up["headers"]).status_code == 200
        barrier = threading.Barrier(4)
        results: list[httpx.Response] = []

        def go() -> None:
            with httpx.Client(base_url=live_url, headers=u.headers, timeout=60) as own:
                barrier.wait()
                results.append(own.post(f"/tasks/{tid}/process"))

        threads = [threading.Thread(target=go) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results)
        assert codes == [202, 409, 409, 409], [r.text for r in results]
        assert {r.json()["error_code"] for r in results if r.status_code == 409} == {"TASK_ALREADY_PROCESSING"}
        assert c.get(f"/tasks/{tid}").json()["status"] in ("QUEUED", "PROCESSING", "COMPLETED", "FAILED")
    _assert_one_hold(app_settings, tid)


def _assert_one_hold(settings: Any, task_id: str) -> None:
    """With billing installed, exactly one credit hold was taken for the task."""
    try:
        from agensium.service.billing.models import LedgerEntry
    except ImportError:
        return
    import sqlalchemy as sa

    from agensium.service import db

    with db.session_scope(settings.effective_database_url) as s:
        kinds = s.scalars(sa.select(LedgerEntry.kind).where(LedgerEntry.task_id == task_id)).all()
    assert sum(1 for k in kinds if k.lower().startswith("hold")) == 1


def _full_flow_to_completion(base: str, var: Path) -> None:
    """register → verify (code from the outbox) → login → create → upload → process → COMPLETED →
    report → download → list → delete, with the embedded worker doing the work."""
    import json
    import re

    email, password = "flow@example.com", "Correct-horse-42"
    with httpx.Client(base_url=base, timeout=30) as c:
        assert c.post("/auth/register", json={"email": email, "password": password}).status_code == 201
        mail = json.loads(sorted((var / "outbox").glob("*.json"))[-1].read_text())
        code = re.search(r"\b(\d{6})\b", mail["body"]).group(1)  # type: ignore[union-attr]
        assert c.post("/auth/verify", json={"email": email, "code": code}).status_code == 200
        token = c.post("/auth/login", data={"username": email, "password": password}).json()["access_token"]
        c.headers["Authorization"] = f"Bearer {token}"
        tid = c.post("/tasks", json={"tool_id": "profile-my-data", "agents": ["unified-profiler"]}).json()["task_id"]
        up = c.post(f"/tasks/{tid}/upload-urls", json={"files": {"primary": {
            "filename": "people.csv", "content_type": "text/csv", "size_bytes": len(CSV)}}}).json()["uploads"]["primary"]
        assert httpx.put(up["url"], content=CSV, headers=up["headers"]).status_code == 200
        assert c.post(f"/tasks/{tid}/process").status_code == 202
        deadline = time.monotonic() + 90
        while (task := c.get(f"/tasks/{tid}").json())["status"] not in ("COMPLETED", "FAILED", "CANCELLED"):
            assert time.monotonic() < deadline, task
            time.sleep(0.5)
        assert task["status"] == "COMPLETED" and task["progress"] == 100 and task["downloads_available"], task
        report = c.get(f"/tasks/{tid}/report").json()
        assert "unified-profiler" in json.dumps(report)
        downloads = c.get(f"/tasks/{tid}/downloads").json()["downloads"]
        assert downloads and httpx.get(downloads[0]["url"], timeout=30).status_code == 200
        assert [t["task_id"] for t in c.get("/tasks").json()["tasks"]] == [tid]
        deleted = c.delete(f"/tasks/{tid}").json()
        assert deleted["task_id"] == tid and deleted["files_deleted"] >= 1 + len(downloads)
        assert c.get(f"/tasks/{tid}").status_code == 404


def _agensium() -> list[str]:
    exe = Path(sys.executable).with_name("agensium")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "agensium.cli"]


def test_agensium_serve_embedded_default(tmp_path):
    port, s3_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AGENSIUM_", "AWS_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    env |= {"AGENSIUM_VAR_DIR": str(tmp_path / "var"), "AGENSIUM_PORT": str(port),
            "AGENSIUM_EMBEDDED_S3_PORT": str(s3_port)}
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen([*_agensium(), "serve"], env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        ready = httpx.get(f"{base}/ready", timeout=5).json()
        assert ready["status"] == "ready"
        assert (tmp_path / "var" / "agensium.db").exists()
        assert httpx.get(f"{base}/", follow_redirects=False, timeout=5).status_code in (302, 307)
        # the embedded S3 answers on the chosen port and checks signatures
        assert httpx.get(f"http://127.0.0.1:{s3_port}/", timeout=5).status_code == 403
        weed_pid = int((tmp_path / "var" / "s3" / "weed.pid").read_text())
        _full_flow_to_completion(base, tmp_path / "var")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()
    out = (tmp_path / "serve.log").read_text()
    assert f"running at http://127.0.0.1:{port}/" in out
    for _ in range(50):  # SeaweedFS stopped with the server
        if not Path(f"/proc/{weed_pid}").exists():
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{weed_pid}").exists()
    assert not (tmp_path / "var" / "s3" / "weed.pid").exists()
    # tokens are not signed with the public default key in the embedded default
    secret = tmp_path / "var" / "secret_key"
    assert len(secret.read_text()) >= 32 and (secret.stat().st_mode & 0o077) == 0
