"""The client's pieces that need no Agensium server: retries of part uploads against a real local HTTP server
that fails on purpose, the credentials file and its overrides, and how answers become `ApiError`s."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from agensium.client import ApiError, credentials
from agensium.client.errors import describe, from_api, from_storage
from agensium.client.models import SETTLED
from agensium.client.transfer import Meter, Retry, Transfers


class Flaky(BaseHTTPRequestHandler):
    """PUT /{name}: answers the scripted statuses in turn (then 200 with an ETag); GET streams a body."""

    script: dict[str, list[int]] = {}
    received: dict[str, list[bytes]] = {}
    body = b""

    def do_PUT(self) -> None:
        data = self.rfile.read(int(self.headers["Content-Length"]))
        path = self.path.split("?", 1)[0]
        self.received.setdefault(path, []).append(data)
        status = (self.script.get(path) or [200]).pop(0)
        self.send_response(status)
        if status == 200:
            self.send_header("ETag", f'"etag-{path.strip("/")}"')
        payload = b"" if status == 200 else b"<Error><Code>SlowDown</Code><Message>try later</Message></Error>"
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    Flaky.script, Flaky.received = {}, {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def transfers() -> Iterator[Transfers]:
    with httpx.Client(timeout=10) as http:
        yield Transfers(http, Retry(attempts=3, base_s=0.01, cap_s=0.02), concurrency=3)


def test_a_part_is_retried_and_its_failed_bytes_are_not_counted(flaky: str, transfers: Transfers,
                                                                tmp_path: Path) -> None:
    data = tmp_path / "f.bin"
    data.write_bytes(os.urandom(3000))
    Flaky.script = {"/p1": [503, 500]}
    progress: list[int] = []
    meter = Meter("primary", 3000, lambda _role, sent, _total: progress.append(sent))
    assert transfers.put(f"{flaky}/p1", data, 1000, 1000, {}, meter) == '"etag-p1"'
    assert Flaky.received["/p1"] == [data.read_bytes()[1000:2000]] * 3  # the same byte range each time
    assert meter.sent == 1000 and progress[-1] == 1000 and min(progress) >= 0


def test_a_part_fails_after_its_attempts_with_the_storage_code(flaky: str, transfers: Transfers,
                                                               tmp_path: Path) -> None:
    data = tmp_path / "f.bin"
    data.write_bytes(b"x" * 10)
    Flaky.script = {"/p1": [503, 503, 503]}
    with pytest.raises(ApiError) as exc:
        transfers.put(f"{flaky}/p1?X-Amz-Signature=secret", data, 0, 10, {}, Meter("primary", 10))
    e = exc.value
    assert (e.status, e.error_code, e.context["s3_code"]) == (503, "STORAGE_ERROR", "SlowDown")
    assert "secret" not in e.detail and "try later" in e.detail
    assert len(Flaky.received["/p1"]) == 3


def test_parts_go_in_parallel_and_an_expired_url_is_renewed_once(flaky: str, transfers: Transfers,
                                                                 tmp_path: Path) -> None:
    data = tmp_path / "f.bin"
    data.write_bytes(os.urandom(2500))
    Flaky.script = {"/old2": [403]}
    renewed: list[int] = []

    def renew() -> dict[int, str]:
        renewed.append(1)
        return {2: f"{flaky}/new2"}

    urls = {1: f"{flaky}/p1", 2: f"{flaky}/old2", 3: f"{flaky}/p3"}
    meter = Meter("primary", 2500)
    etags = transfers.put_parts(data, 2500, 1000, urls, {}, meter, renew)
    assert etags == {1: '"etag-p1"', 2: '"etag-new2"', 3: '"etag-p3"'}
    assert renewed == [1] and meter.sent == 2500
    raw = data.read_bytes()
    assert Flaky.received["/new2"] == [raw[1000:2000]] and Flaky.received["/p3"] == [raw[2000:]]


def test_downloads_stream_to_a_part_file_then_rename(flaky: str, transfers: Transfers, tmp_path: Path) -> None:
    Flaky.body = os.urandom(200_000)
    seen: list[int] = []
    path = transfers.get(f"{flaky}/x", tmp_path / "x.bin", len(Flaky.body), lambda _n, got, _t: seen.append(got))
    assert path.read_bytes() == Flaky.body and seen[-1] == len(Flaky.body)
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]
    with pytest.raises(ApiError) as short:  # a size that does not match leaves nothing behind
        transfers.get(f"{flaky}/x", tmp_path / "y.bin", len(Flaky.body) + 1, None)
    assert short.value.error_code == "STORAGE_ERROR"
    assert [p.name for p in tmp_path.iterdir()] == ["x.bin"]


# credentials ---------------------------------------------------------------------------------------------
@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("AGENSIUM_URL", "AGENSIUM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def test_credentials_file_is_private_from_the_first_byte(config: Path) -> None:
    old = os.umask(0)
    try:
        path = credentials.save(credentials.Credentials(url="http://a.example:8000", token="t1", email="a@x.io"))
    finally:
        os.umask(old)
    assert path == config / "cfg" / "agensium" / "credentials.json"
    assert (path.stat().st_mode & 0o777, path.parent.stat().st_mode & 0o777) == (0o600, 0o700)
    assert json.loads(path.read_text())["token"] == "t1"
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]  # no temporary file left


def test_a_stored_token_only_goes_to_its_own_server(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials.save(credentials.Credentials(url="http://a.example:8000/", token="t1"))
    assert credentials.resolve() == ("http://a.example:8000", "t1")
    assert credentials.resolve("http://a.example:8000/") == ("http://a.example:8000", "t1")
    monkeypatch.setenv("AGENSIUM_URL", "http://elsewhere.example")
    assert credentials.resolve() == ("http://elsewhere.example", None)
    monkeypatch.setenv("AGENSIUM_TOKEN", "t2")
    assert credentials.resolve() == ("http://elsewhere.example", "t2")


def test_relative_xdg_config_home_is_ignored_and_a_corrupt_file_is_an_error(config: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/dir")
    assert credentials.path() == config / "home" / ".config" / "agensium" / "credentials.json"
    assert credentials.resolve() == (credentials.DEFAULT_URL, None)
    credentials.path().parent.mkdir(parents=True)
    credentials.path().write_text("{not json")
    with pytest.raises(ApiError) as exc:
        credentials.resolve()
    assert exc.value.error_code == "VALIDATION_ERROR" and "agensium login" in exc.value.detail


# answers as errors ----------------------------------------------------------------------------------------
def _response(status: int, body: bytes, url: str = "http://h/tasks/x?X-Amz-Signature=abc") -> httpx.Response:
    return httpx.Response(status, content=body, request=httpx.Request("GET", url))


def test_answers_become_api_errors() -> None:
    ours = from_api(_response(409, b'{"detail": "busy", "error_code": "TASK_ALREADY_PROCESSING", "context": {"a": 1}}'))
    assert (ours.status, ours.error_code, ours.detail, ours.context) == (409, "TASK_ALREADY_PROCESSING", "busy", {"a": 1})
    newer = from_api(_response(400, b'{"detail": "?", "error_code": "A_CODE_FROM_A_NEWER_SERVER"}'))
    assert newer.error_code == "A_CODE_FROM_A_NEWER_SERVER" and newer.code.value == "INTERNAL_ERROR"
    assert newer.to_dict()["error_code"] == "A_CODE_FROM_A_NEWER_SERVER"
    proxy = from_api(_response(502, b"<html>Bad gateway</html>"))
    assert (proxy.error_code, proxy.request) == ("SERVICE_UNAVAILABLE", "GET http://h/tasks/x")
    s3 = from_storage(_response(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>"))
    assert (s3.error_code, s3.context["s3_code"]) == ("STORAGE_ERROR", "AccessDenied")
    assert "abc" not in s3.detail and "expired" in s3.detail
    assert describe(httpx.Request("PUT", "http://s3/b/k?partNumber=1&X-Amz-Signature=abc")) == "PUT http://s3/b/k"


def test_settled_is_the_lifecycles_terminal_set_plus_upload_failed() -> None:
    from agensium.service.lifecycle import TERMINAL, TaskStatus

    assert {str(s) for s in TERMINAL | {TaskStatus.UPLOAD_FAILED}} == SETTLED
