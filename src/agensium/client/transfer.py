"""File bytes between the local disk and presigned storage URLs: streamed, chunk by chunk, never whole.

Uploads read the file (or one part's byte range of it) in 1 MiB chunks straight into the request body;
downloads write the response in chunks to `NAME.part` and rename it once the size checks out. Every
transfer is retried on network errors and on the storage's transient answers (408/429/5xx).
"""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from agensium.client.errors import ApiError, from_storage, from_transport
from agensium.errors import ErrorCode

CHUNK = 1 << 20
RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})

UploadProgress = Callable[[str, int, int], None]
"""on_upload(role, bytes_sent, total_bytes): called as chunks go out (bytes of a failed attempt are taken back)."""
DownloadProgress = Callable[[str, int, "int | None"], None]
"""on_download(filename, bytes_received, total_bytes_or_None)."""


@dataclass(frozen=True)
class Retry:
    """How often and how patiently to retry: exponential backoff with jitter, capped."""

    attempts: int = 4
    base_s: float = 0.5
    cap_s: float = 8.0

    def pause(self, attempt: int, retry_after: str | None = None) -> None:
        if retry_after and retry_after.isdigit():
            time.sleep(min(self.cap_s, float(retry_after)))
            return
        time.sleep(min(self.cap_s, self.base_s * 2 ** attempt) * (0.5 + random.random() / 2))


@dataclass
class Meter:
    """Bytes sent for one role, summed over the threads that upload its parts."""

    role: str
    total: int
    callback: UploadProgress | None = None
    sent: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, n: int) -> None:
        with self._lock:
            self.sent += n
            if self.callback is not None:
                self.callback(self.role, self.sent, self.total)


def _chunks(path: Path, offset: int, length: int, meter: Meter, counted: list[int]) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(offset)
        left = length
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                raise ApiError(None, ErrorCode.UNREADABLE_FILE.value,
                               f"{path} got shorter while it was being uploaded", {"path": str(path)})
            left -= len(data)
            counted[0] += len(data)
            meter.add(len(data))
            yield data


def range_md5(path: Path, offset: int, length: int) -> str:
    """MD5 (hex) of a byte range of a file: what S3 gives as the ETag of a part uploaded without encryption."""
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        f.seek(offset)
        left = length
        while left > 0 and (data := f.read(min(CHUNK, left))):
            h.update(data)
            left -= len(data)
    return h.hexdigest()


class Transfers:
    """Presigned-URL transfers on their own HTTP client: no API token is ever sent to the storage."""

    def __init__(self, http: httpx.Client, retry: Retry, concurrency: int) -> None:
        self.http, self.retry, self.concurrency = http, retry, max(1, concurrency)

    def put(self, url: str, path: Path, offset: int, length: int, headers: dict[str, str], meter: Meter) -> str:
        """PUT `length` bytes of `path` from `offset`; returns the ETag."""
        for attempt in range(self.retry.attempts):
            counted = [0]
            last = attempt + 1 == self.retry.attempts
            try:
                resp = self.http.put(url, content=_chunks(path, offset, length, meter, counted),
                                     headers={**headers, "Content-Length": str(length)})
            except httpx.TransportError as exc:
                meter.add(-counted[0])
                if last:
                    raise from_transport(exc, storage=True) from exc
                self.retry.pause(attempt)
                continue
            if resp.is_success:
                return resp.headers.get("ETag", "")
            meter.add(-counted[0])
            if last or resp.status_code not in RETRY_STATUS:
                raise from_storage(resp)
            self.retry.pause(attempt, resp.headers.get("Retry-After"))
        raise AssertionError("unreachable")

    def put_parts(self, path: Path, size: int, part_size: int, urls: dict[int, str], headers: dict[str, str],
                  meter: Meter, renew: Callable[[], dict[int, str]]) -> dict[int, str]:
        """Upload the given parts in parallel; a part refused with 403 (URL expired) gets a fresh URL once."""
        urls = dict(urls)
        lock = threading.Lock()

        def one(n: int) -> str:
            offset = (n - 1) * part_size
            length = min(part_size, size - offset)
            try:
                return self.put(urls[n], path, offset, length, headers, meter)
            except ApiError as exc:
                if exc.status != 403:
                    raise
                with lock:
                    urls.update(renew())
                return self.put(urls[n], path, offset, length, headers, meter)

        etags: dict[int, str] = {}
        with ThreadPoolExecutor(max_workers=min(self.concurrency, max(1, len(urls)))) as pool:
            futures: dict[Future[str], int] = {pool.submit(one, n): n for n in sorted(urls)}
            try:
                for fut in as_completed(futures):
                    etags[futures[fut]] = fut.result()
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
        return etags

    def get(self, url: str, dest: Path, size: int | None, on_download: DownloadProgress | None) -> Path:
        """Stream a presigned GET to `dest` (through `dest.part`, renamed when complete)."""
        tmp = dest.with_name(dest.name + ".part")
        try:
            for attempt in range(self.retry.attempts):
                last = attempt + 1 == self.retry.attempts
                try:
                    received = self._stream_to(url, tmp, dest.name, size, on_download)
                except httpx.TransportError as exc:
                    if last:
                        raise from_transport(exc, storage=True) from exc
                    self.retry.pause(attempt)
                    continue
                except _Transient as exc:
                    if last:
                        raise exc.error from None
                    self.retry.pause(attempt, exc.retry_after)
                    continue
                if size is not None and received != size:
                    raise ApiError(None, ErrorCode.STORAGE_ERROR.value,
                                   f"{dest.name}: received {received} bytes, expected {size}",
                                   {"filename": dest.name, "received": received, "expected": size})
                os.replace(tmp, dest)
                return dest
        finally:
            tmp.unlink(missing_ok=True)
        raise AssertionError("unreachable")

    def _stream_to(self, url: str, tmp: Path, name: str, size: int | None,
                   on_download: DownloadProgress | None) -> int:
        received = 0
        with self.http.stream("GET", url) as resp:
            if not resp.is_success:
                resp.read()
                if resp.status_code in RETRY_STATUS:
                    raise _Transient(from_storage(resp), resp.headers.get("Retry-After"))
                raise from_storage(resp)
            with tmp.open("wb") as f:
                for chunk in resp.iter_bytes():  # as received (64 KiB reads): no re-chunking copies
                    f.write(chunk)
                    received += len(chunk)
                    if on_download is not None:
                        on_download(name, received, size)
        return received


class _Transient(Exception):
    def __init__(self, error: ApiError, retry_after: str | None) -> None:
        super().__init__(error.detail)
        self.error, self.retry_after = error, retry_after
