"""`Client`: the Agensium API from Python, synchronous, on httpx.

    with Client("http://127.0.0.1:8000") as c:
        c.login("ada@example.com", password)
        task = c.submit("profile-my-data", primary="sales.csv", baseline="last_month.csv")
        task = c.wait(task.task_id, on_progress=lambda t: print(t.status, t.progress))
        paths = c.download(task.task_id, "out/")

File bytes go straight between the disk and the storage through presigned URLs (`transfer.Transfers`);
the API only ever sees JSON. Every failure is an `ApiError` (an `AgensiumError`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

from agensium.client import uploads
from agensium.client.errors import ApiError, from_api, from_transport
from agensium.client.models import (
    DeleteResult,
    Download,
    Estimate,
    Task,
    Token,
    User,
    Wallet,
    model_list,
)
from agensium.client.transfer import DownloadProgress, Retry, Transfers, UploadProgress
from agensium.errors import ErrorCode

PathLike = str | Path
Parameters = Mapping[str, Any] | PathLike
PAGE = 100


class Client:
    """A session with one Agensium server. Thread-safe for independent calls; close it (or use `with`)."""

    def __init__(self, base_url: str, token: str | None = None, *, timeout: float = 30.0,
                 upload_concurrency: int = 4, retry: Retry | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retry = retry or Retry()
        limits = httpx.Limits(max_connections=upload_concurrency + 4, max_keepalive_connections=upload_concurrency + 4)
        # connection failures (nothing was sent) are retried by the transport for every method
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout,
                                  transport=httpx.HTTPTransport(retries=2, limits=limits))
        self._storage = httpx.Client(timeout=httpx.Timeout(timeout, read=max(timeout, 120.0)),
                                     transport=httpx.HTTPTransport(retries=2, limits=limits))
        self.transfers = Transfers(self._storage, self.retry, upload_concurrency)

    @classmethod
    def from_config(cls, url: str | None = None, **kwargs: Any) -> Client:
        """URL and token as `agensium login` stored them, overridden by AGENSIUM_URL / AGENSIUM_TOKEN."""
        from agensium.client.credentials import resolve

        base_url, token = resolve(url)
        return cls(base_url, token, **kwargs)

    # plumbing ------------------------------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()
        self._storage.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call; the decoded JSON answer. GETs are retried on 429/502/503/504 and network errors."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        attempts = self.retry.attempts if method == "GET" else 1
        for attempt in range(attempts):
            last = attempt + 1 == attempts
            try:
                resp = self._http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:
                if last:
                    raise from_transport(exc) from exc
                self.retry.pause(attempt)
                continue
            if resp.is_success:
                return resp.json()
            if last or resp.status_code not in (429, 502, 503, 504):
                raise from_api(resp)
            self.retry.pause(attempt, resp.headers.get("Retry-After"))
        raise AssertionError("unreachable")

    # accounts --------------------------------------------------------------------------------------------
    def register(self, email: str, password: str, full_name: str | None = None) -> str:
        """Create an account; the server mails a verification code. Returns the server's message."""
        body = {"email": email, "password": password, "full_name": full_name}
        return str(self.request("POST", "/auth/register", json=body)["message"])

    def verify(self, email: str, code: str) -> str:
        return str(self.request("POST", "/auth/verify", json={"email": email, "code": code})["message"])

    def login(self, email: str, password: str) -> Token:
        """Log in; the client keeps the access token for the calls that follow."""
        token = Token.model_validate(self.request("POST", "/auth/login",
                                                  data={"username": email, "password": password}))
        self.token = token.access_token
        return token

    def me(self) -> User:
        return User.model_validate(self.request("GET", "/auth/me"))

    # tasks ---------------------------------------------------------------------------------------------------
    def create_task(self, tool_id: str, agents: list[str] | None = None) -> Task:
        return Task.model_validate(self.request("POST", "/tasks", json={"tool_id": tool_id, "agents": agents}))

    def upload(self, task_id: str, files: Mapping[str, PathLike], parameters: Parameters | None = None,
               on_upload: UploadProgress | None = None) -> None:
        """Upload files by role (`primary`, `baseline`, `schema`) and optionally parameters.json."""
        uploads.upload(self, task_id, _paths(files), parameters, on_upload)

    def resume_upload(self, task_id: str, files: Mapping[str, PathLike], parameters: Parameters | None = None,
                      on_upload: UploadProgress | None = None) -> None:
        """Finish an interrupted upload: the parts the storage already holds (and that match the local file)
        are kept, the missing ones are sent; a role with no multipart upload in progress is sent again."""
        uploads.resume(self, task_id, _paths(files), parameters, on_upload)

    def process(self, task_id: str) -> Task:
        """Verify the inputs, hold the credits and queue the task (202)."""
        return Task.model_validate(self.request("POST", f"/tasks/{task_id}/process"))

    def submit(self, tool_id: str, primary: PathLike, baseline: PathLike | None = None,
               schema: PathLike | None = None, parameters: Parameters | None = None,
               agents: list[str] | None = None, on_upload: UploadProgress | None = None,
               on_created: Callable[[Task], None] | None = None) -> Task:
        """create → upload-urls → PUT (single or multipart) → process. `on_created(task)` hears the new
        task's id before any byte is sent; an error after that carries `context["task_id"]`, so the upload can
        be finished with `resume()`."""
        files = _paths(_roles(primary, baseline, schema))
        uploads.check_parameters(parameters)
        task = self.create_task(tool_id, agents)
        if on_created is not None:
            on_created(task)
        try:
            self.upload(task.task_id, files, parameters, on_upload)
            return self.process(task.task_id)
        except ApiError as exc:
            exc.context.setdefault("task_id", task.task_id)
            raise

    def resume(self, task_id: str, primary: PathLike, baseline: PathLike | None = None,
               schema: PathLike | None = None, parameters: Parameters | None = None,
               on_upload: UploadProgress | None = None) -> Task:
        """`submit` for a task whose upload was interrupted: resume the upload, then process."""
        self.resume_upload(task_id, _roles(primary, baseline, schema), parameters, on_upload)
        return self.process(task_id)

    def task(self, task_id: str) -> Task:
        return Task.model_validate(self.request("GET", f"/tasks/{task_id}"))

    def tasks(self, status: str | list[str] | None = None, tool_id: str | None = None,
              sort: str = "-created_at") -> Iterator[Task]:
        """Every matching task, fetched a page of 100 at a time as the iteration goes."""
        params: dict[str, Any] = {"sort": sort, "limit": PAGE}
        if status:
            params["status"] = status if isinstance(status, str) else ",".join(status)
        if tool_id:
            params["tool_id"] = tool_id
        offset = 0
        while True:
            page = self.request("GET", "/tasks", params={**params, "offset": offset})
            yield from (Task.model_validate(t) for t in page["tasks"])
            offset += len(page["tasks"])
            if not page["pagination"]["has_more"] or not page["tasks"]:
                return

    def wait(self, task_id: str, timeout: float | None = None, on_progress: Callable[[Task], None] | None = None,
             interval: float = 0.25, max_interval: float = 5.0) -> Task:
        """Poll until the task settles (COMPLETED, FAILED, CANCELLED, EXPIRED or UPLOAD_FAILED).

        The poll interval doubles while nothing changes, up to `max_interval`, and drops back when the task
        moves. `on_progress(task)` is called for the first answer and every change of status, progress or
        detail. Raises TimeoutError after `timeout` seconds; the task itself goes on.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        seen: tuple[Any, ...] | None = None
        pause = interval
        while True:
            task = self.task(task_id)
            state = (task.status, task.progress, task.current_agent, json.dumps(task.progress_detail, sort_keys=True))
            if state != seen:
                seen, pause = state, interval
                if on_progress is not None:
                    on_progress(task)
            else:
                pause = min(max_interval, pause * 2)
            if task.settled:
                return task
            if deadline is not None and time.monotonic() + pause > deadline:
                raise TimeoutError(f"task {task_id} is still {task.status} after {timeout} s")
            time.sleep(pause)

    def report(self, task_id: str) -> dict[str, Any]:
        """The task's JSON report (REPORT_NOT_AVAILABLE until it completed)."""
        return dict(self.request("GET", f"/tasks/{task_id}/report"))

    def downloads(self, task_id: str) -> list[Download]:
        """The task's output files with presigned GET URLs (empty until it has outputs)."""
        return model_list(Download, self.request("GET", f"/tasks/{task_id}/downloads")["downloads"])

    def download(self, task_id: str, directory: PathLike, on_download: DownloadProgress | None = None) -> list[Path]:
        """Stream every output file into `directory` (created if needed); returns the paths written."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for d in self.downloads(task_id):
            name = Path(d.filename).name
            if name in ("", ".", "..") or name != d.filename:
                raise ApiError(None, ErrorCode.VALIDATION_ERROR.value, f"Refusing odd file name {d.filename!r}",
                               {"filename": d.filename})
            written.append(self.transfers.get(d.url, target / name, d.size_bytes, on_download))
        return written

    def cancel(self, task_id: str) -> Task:
        return Task.model_validate(self.request("POST", f"/tasks/{task_id}/cancel"))

    def delete(self, task_id: str) -> DeleteResult:
        """Delete the task and every file under it (refused while queued or processing: cancel first)."""
        return DeleteResult.model_validate(self.request("DELETE", f"/tasks/{task_id}"))

    # billing -------------------------------------------------------------------------------------------
    def wallet(self) -> Wallet:
        return Wallet.model_validate(self.request("GET", "/billing/wallet"))

    def estimate(self, tool_id: str, agents: list[str] | None = None) -> Estimate:
        """What a task on these agents (default: the whole pipeline) would cost, against the balance."""
        return Estimate.model_validate(self.request("POST", "/billing/estimate",
                                                    json={"tool_id": tool_id, "agents": agents}))


def _roles(primary: PathLike, baseline: PathLike | None, schema: PathLike | None) -> dict[str, PathLike]:
    files = {"primary": primary, "baseline": baseline, "schema": schema}
    return {role: path for role, path in files.items() if path is not None}


def _paths(files: Mapping[str, PathLike]) -> dict[str, Path]:
    """Check every local file before any request, so a typo never leaves a half-made task behind."""
    paths = {role: Path(p) for role, p in files.items()}
    for role, path in paths.items():
        if not path.is_file():
            raise ApiError(None, ErrorCode.FILES_NOT_FOUND.value, f"{path}: no such file ({role})",
                           {"role": role, "path": str(path)})
    return paths
