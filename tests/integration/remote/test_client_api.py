"""`agensium.client.Client` end to end against the real stack: accounts, single-PUT and multipart uploads,
a crash and resume of a multipart upload, waiting with progress, report, streamed downloads, cancel, delete,
wallet, estimate and errors.

Each result is checked against something computed here, not by the service: the profile's row count and
exact column sum against the generated CSV, downloaded files against the worker's manifest checksums, the
object assembled from resumed parts against the local file byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from remote_stack import PART, PASSWORD, Stack, manifest_checks, new_account, profiled, write_csv

from agensium.client import ApiError, Client, Task
from agensium.client.transfer import Meter
from agensium.engine.registry import get_tool
from agensium.errors import AgensiumError, ErrorCode

PROFILE = "profile-my-data"
FAST = ["unified-profiler"]
BIG_ROWS = 900_000  # about 16 MB: four parts of 5 MiB


def storage_requests(client: Client) -> list[tuple[str, str | None]]:
    """(method, partNumber or None) of every request the client sends to the storage, as it goes."""
    seen: list[tuple[str, str | None]] = []
    client._storage.event_hooks["request"].append(lambda r: seen.append((r.method, r.url.params.get("partNumber"))))
    return seen


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("big") / "big.csv"
    truth = write_csv(path, BIG_ROWS)
    assert 3 * PART < path.stat().st_size <= 4 * PART
    return path, truth


def stored_input_url(stack: Stack, api: Client, task_id: str) -> str:
    """A presigned GET, signed by the test itself, of the task's stored primary input."""
    from agensium.service.storage import Storage
    from agensium.settings import Settings

    env = stack.env
    storage = Storage(Settings(aws_endpoint_url=env["AWS_ENDPOINT_URL"], aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                               aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"], s3_bucket=env["S3_BUCKET"],
                               _env_file=None))
    return storage.presign_get(storage.input_key(api.me().id, task_id, "primary", "csv"))


def stored_input(stack: Stack, api: Client, task_id: str, dest: Path) -> Path:
    return api.transfers.get(stored_input_url(stack, api, task_id), dest, None, None)


# accounts --------------------------------------------------------------------------------------------------
def test_register_verify_login_and_auth_errors(stack: Stack) -> None:
    email = f"acct-{time.time_ns()}@example.com"
    with Client(stack.url) as c:
        started = time.time() - 1
        assert "Registered" in c.register(email, PASSWORD)
        with pytest.raises(ApiError) as unverified:
            c.login(email, PASSWORD)
        assert (unverified.value.status, unverified.value.error_code) == (403, "AUTH_NOT_VERIFIED")
        code = stack.server.newest_code(email, after=started)
        with pytest.raises(ApiError) as wrong_code:
            c.verify(email, "000000" if code != "000000" else "111111")
        assert wrong_code.value.error_code == "AUTH_INVALID_CODE"
        c.verify(email, code)
        with pytest.raises(ApiError) as bad:
            c.login(email, "not-the-password")
        assert isinstance(bad.value, AgensiumError) and bad.value.code == ErrorCode.AUTH_INVALID_CREDENTIALS
        assert (bad.value.status, bad.value.error_code) == (401, "AUTH_INVALID_CREDENTIALS")
        assert c.token is None
        token = c.login(email, PASSWORD)
        assert c.token == token.access_token and token.expires_in > 0
        me = c.me()
        assert me.email == email and me.is_verified and me.credits == c.wallet().balance > 0
    # the same token once expired (signed with the server's key, so only the expiry is wrong)
    claims = jwt.decode(token.access_token, stack.secret_key, algorithms=["HS256"])
    claims["exp"] = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    expired_token = jwt.encode(claims, stack.secret_key, algorithm="HS256")
    with Client(stack.url, expired_token) as expired, pytest.raises(ApiError) as exc:
        expired.wallet()
    assert (exc.value.status, exc.value.error_code) == (401, "AUTH_INVALID_TOKEN")
    assert "expired" in exc.value.detail


# submit, wait, report, download ------------------------------------------------------------------------------
def test_small_file_single_put_wait_report_download(api: Client, tmp_path: Path) -> None:
    data = tmp_path / "people.csv"
    truth = write_csv(data, 500)
    sent = storage_requests(api)
    uploaded: list[tuple[str, int, int]] = []
    task = api.submit(PROFILE, primary=data, agents=FAST, on_upload=lambda *a: uploaded.append(a),
                      parameters={"unified-profiler": {"null_alert_threshold": 12.5}})
    assert task.status == "QUEUED" and task.agents == FAST and task.has_parameters
    assert sent == [("PUT", None), ("PUT", None)]  # the file and parameters.json, one PUT each, no parts
    assert uploaded[-1] == ("primary", data.stat().st_size, data.stat().st_size)

    seen: list[Task] = []
    done = api.wait(task.task_id, timeout=300, on_progress=seen.append)
    assert done.status == "COMPLETED" and done.progress == 100, done
    assert seen[-1].status == "COMPLETED" and seen[0].task_id == task.task_id
    assert [t.progress for t in seen] == sorted(t.progress for t in seen)
    order = ["QUEUED", "PROCESSING", "COMPLETED"]
    assert [order.index(t.status) for t in seen] == sorted(order.index(t.status) for t in seen)

    report = api.report(task.task_id)
    assert report["metadata"]["task_id"] == task.task_id
    assert profiled(report) == truth
    assert report["agent_results"]["unified-profiler"]["parameters"]["null_alert_threshold"] == 12.5

    out = tmp_path / "out"
    received: dict[str, int] = {}
    written = api.download(task.task_id, out, on_download=lambda name, got, _total: received.update({name: got}))
    listed = {d.filename: d.size_bytes for d in api.downloads(task.task_id)}
    assert sorted(p.name for p in written) == sorted(listed) and "manifest.json" in listed
    assert all(p.stat().st_size == listed[p.name] > 0 for p in written)
    assert received == {p.name: p.stat().st_size for p in written}
    for name, (size, digest) in manifest_checks(out).items():
        assert (out / name).stat().st_size == size and sha256(out / name) == digest
    assert json.loads((out / "profile_my_data_report.json").read_text()) == report
    assert not list(out.glob("*.part"))


def test_multipart_upload_streams_from_disk(stack: Stack, account: tuple[str, str], big_csv: Any,
                                            tmp_path: Path) -> None:
    path, truth = big_csv
    size = path.stat().st_size
    with Client(stack.url, account[1], upload_concurrency=2) as api:
        sent = storage_requests(api)
        tracemalloc.start()
        try:
            task = api.submit(PROFILE, primary=path, agents=FAST)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # two parts in flight, 1 MiB chunks each: far below one part (5 MiB), let alone the file
        assert peak < PART, f"peak {peak} bytes while uploading {size}"
        assert sorted(sent) == [("PUT", str(n)) for n in range(1, 5)]
        url = stored_input_url(stack, api, task.task_id)
        tracemalloc.start()
        try:
            copy = api.transfers.get(url, tmp_path / "stored.csv", size, None)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 1024 * 1024, f"peak {peak} bytes while downloading {size}"
        assert sha256(copy) == sha256(path)
        done = api.wait(task.task_id, timeout=300)
        assert done.status == "COMPLETED", done
        assert profiled(api.report(task.task_id)) == truth


def _start_multipart(api: Client, task_id: str, path: Path, parts: list[int]) -> int:
    """What a client does before it crashes: ask for a multipart plan and PUT only some parts."""
    size = path.stat().st_size
    plan = api.request("POST", f"/tasks/{task_id}/upload-urls", json={"files": {"primary": {
        "filename": path.name, "size_bytes": size}}})["uploads"]["primary"]
    assert plan["method"] == "MULTIPART"
    urls = {p["part_number"]: p["url"] for p in plan["parts"]}
    for n in parts:
        offset = (n - 1) * plan["part_size"]
        api.transfers.put(urls[n], path, offset, min(plan["part_size"], size - offset), {}, Meter("primary", size))
    return int(plan["part_count"])


def test_crash_and_resume_of_a_multipart_upload(stack: Stack, account: tuple[str, str], big_csv: Any,
                                                tmp_path: Path) -> None:
    path, truth = big_csv
    with Client(stack.url, account[1]) as first:
        task = first.create_task(PROFILE, FAST)
        count = _start_multipart(first, task.task_id, path, parts=[1, 3])
    # the process died here: a new client knows only the task id and the file
    with Client(stack.url, account[1]) as api:
        sent = storage_requests(api)
        progress: list[int] = []
        resumed = api.resume(task.task_id, primary=path, on_upload=lambda _r, s, _t: progress.append(s))
        assert resumed.status == "QUEUED"
        assert sorted(sent) == [("PUT", str(n)) for n in range(1, count + 1) if n not in (1, 3)]
        assert progress[0] > 2 * PART - 1 and progress[-1] == path.stat().st_size  # counted from the kept parts
        assert sha256(stored_input(stack, api, task.task_id, tmp_path / "stored.csv")) == sha256(path)
        assert api.wait(task.task_id, timeout=300).status == "COMPLETED"
        assert profiled(api.report(task.task_id)) == truth


def test_resume_with_a_different_file_starts_over(stack: Stack, api: Client, big_csv: Any, tmp_path: Path) -> None:
    """A stored part that does not match the local file (same size, other bytes) is never reused."""
    path, truth = big_csv
    other = tmp_path / "other.csv"
    other.write_bytes(path.read_bytes().replace(b"\n1,name1,37\n", b"\n1,name1,38\n", 1))  # one byte in part 1
    assert other.stat().st_size == path.stat().st_size and sha256(other) != sha256(path)
    task = api.create_task(PROFILE, FAST)
    count = _start_multipart(api, task.task_id, path, parts=[1])
    sent = storage_requests(api)
    api.resume_upload(task.task_id, {"primary": other})
    assert sorted(sent) == [("PUT", str(n)) for n in range(1, count + 1)]
    assert sha256(stored_input(stack, api, task.task_id, tmp_path / "stored.csv")) == sha256(other)
    api.process(task.task_id)
    assert api.wait(task.task_id, timeout=300).status == "COMPLETED"
    assert profiled(api.report(task.task_id)) == {**truth, "score_sum": truth["score_sum"] + 1}


# listing, cancel, delete, billing ----------------------------------------------------------------------------
def test_tasks_iterates_every_page(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from agensium.client import api as api_module

    _, token = new_account(stack)  # an account of its own: its tasks are exactly the ones made here
    with Client(stack.url, token) as c:
        made = [c.create_task(PROFILE, FAST).task_id for _ in range(5)]
        c.create_task("clean-my-data")
        monkeypatch.setattr(api_module, "PAGE", 2)
        assert [t.task_id for t in c.tasks(tool_id=PROFILE)] == made[::-1]  # newest first, over three pages
        assert len(list(c.tasks(status=["CREATED", "QUEUED"]))) == 6
        assert list(c.tasks(status="COMPLETED")) == []


def test_cancel_delete_wallet_and_estimate(stack: Stack, api: Client, tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    write_csv(data, 50)
    costs = {a.id: a.cost for a in get_tool(PROFILE).agents}
    before = api.wallet()
    estimate = api.estimate(PROFILE, [*FAST, "readiness-rater"])
    assert estimate.total_cost == costs["unified-profiler"] + costs["readiness-rater"]
    assert (estimate.balance, estimate.can_afford, estimate.shortfall) == (before.balance, True, 0)
    assert api.estimate(PROFILE).total_cost == sum(costs.values())
    with stack.worker_stopped():
        task = api.submit(PROFILE, primary=data, agents=FAST)
        assert task.status == "QUEUED"
        held = api.wallet()
        assert (held.balance, held.held) == (before.balance - costs["unified-profiler"], costs["unified-profiler"])
        with pytest.raises(ApiError) as busy:
            api.delete(task.task_id)
        assert (busy.value.status, busy.value.error_code) == (409, "TASK_ALREADY_PROCESSING")
        assert api.cancel(task.task_id).status == "CANCELLED"
        assert api.wait(task.task_id, timeout=60).status == "CANCELLED"
    after = api.wallet()
    assert (after.balance, after.held) == (before.balance, 0)
    assert after.recent_transactions[0].kind == "RELEASE" and after.recent_transactions[0].task_id == task.task_id
    assert api.delete(task.task_id).files_deleted >= 1
    with pytest.raises(ApiError) as gone:
        api.task(task.task_id)
    assert gone.value.error_code == "TASK_NOT_FOUND"


# errors ------------------------------------------------------------------------------------------------------
def test_errors_carry_status_code_and_context(stack: Stack, api: Client, tmp_path: Path) -> None:
    with pytest.raises(ApiError) as missing:
        api.task("no-such-task")
    e = missing.value
    assert (e.status, e.error_code, e.code, e.context) == (404, "TASK_NOT_FOUND", ErrorCode.TASK_NOT_FOUND,
                                                            {"task_id": "no-such-task"})
    assert e.to_dict() == {"detail": e.detail, "error_code": "TASK_NOT_FOUND", "context": {"task_id": "no-such-task"}}
    mine = api.create_task(PROFILE, FAST)
    _, other_token = new_account(stack)
    with Client(stack.url, other_token) as other, pytest.raises(ApiError) as foreign:
        other.task(mine.task_id)
    assert foreign.value.error_code == "TASK_NOT_FOUND"  # another user's task is just as missing
    with pytest.raises(ApiError) as tool:
        api.create_task("no-such-tool")
    assert (tool.value.status, tool.value.error_code) == (400, "INVALID_TOOL_ID")
    with pytest.raises(ApiError) as not_ready:
        api.report(mine.task_id)
    assert not_ready.value.error_code == "REPORT_NOT_AVAILABLE"

    count = len(list(api.tasks()))
    with pytest.raises(ApiError) as no_file:
        api.submit(PROFILE, primary=tmp_path / "nope.csv")
    assert (no_file.value.status, no_file.value.error_code) == (None, "FILES_NOT_FOUND")
    assert len(list(api.tasks())) == count  # checked before any task was made
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ApiError) as blank:
        api.submit(PROFILE, primary=empty)
    assert blank.value.error_code == "FILE_EMPTY" and blank.value.context["task_id"]

    from e2e.conftest import free_port

    with Client(f"http://127.0.0.1:{free_port()}", timeout=2) as nowhere, pytest.raises(ApiError) as down:
        nowhere.wallet()
    assert (down.value.status, down.value.error_code) == (None, "SERVICE_UNAVAILABLE")
