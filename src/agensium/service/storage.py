"""The S3 module: object keys, presigned URLs (single and multipart), reads, lists and deletes.

The same code talks to SeaweedFS (embedded default), AWS S3, Backblaze B2 and MinIO. B2 and
SeaweedFS want SigV4 and no unrequested checksums; every presigned PUT binds its Content-Type, so
a client cannot store a different kind of file than it declared.
"""

from __future__ import annotations

import contextlib
import math
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from agensium.errors import AgensiumError, ErrorCode
from agensium.settings import Settings, get_settings

MAX_PARTS = 10_000
MIN_PART = 5 * 1024 * 1024  # S3 minimum for every part but the last
DELETE_BATCH = 1000  # S3 DeleteObjects limit


def _expiry(seconds: int) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


def _content_disposition(name: str) -> str:
    """attachment with an ASCII fallback and the UTF-8 name (RFC 6266/5987)."""
    from urllib.parse import quote

    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in name) or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


class Storage:
    """A bucket on an S3 API, with Agensium's key layout."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        s = self.settings
        self.bucket = s.s3_bucket
        self._config = Config(
            signature_version="s3v4",
            s3={"addressing_style": s.s3_addressing_style},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=32,
        )
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """One boto3 client, created once and shared by every thread (clients are thread-safe;
        creating one costs tens of milliseconds of CPU, too much per request or per thread)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    s = self.settings
                    self._client = boto3.session.Session().client(
                        "s3", endpoint_url=s.aws_endpoint_url, region_name=s.aws_region,
                        aws_access_key_id=s.aws_access_key_id, aws_secret_access_key=s.aws_secret_access_key,
                        config=self._config,
                    )
        return self._client

    # keys --------------------------------------------------------------------------------------
    @staticmethod
    def task_prefix(user_id: str, task_id: str) -> str:
        return f"users/{user_id}/tasks/{task_id}/"

    def input_key(self, user_id: str, task_id: str, role: str, ext: str) -> str:
        return f"{self.task_prefix(user_id, task_id)}inputs/{role}.{ext}"

    def output_key(self, user_id: str, task_id: str, name: str) -> str:
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise ValueError(f"output name must be a plain file name: {name!r}")
        return f"{self.task_prefix(user_id, task_id)}outputs/{name}"

    # presigning --------------------------------------------------------------------------------
    def presign_put(self, key: str, content_type: str, expires_s: int | None = None,
                    content_length: int | None = None) -> dict[str, Any]:
        """A PUT URL bound to this key and Content-Type, and to an exact size when given.

        Any other Content-Type (or body length) fails the signature check: 403 from the store.
        """
        expires_s = expires_s or self.settings.upload_url_seconds
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key, "ContentType": content_type}
        if content_length is not None:
            params["ContentLength"] = content_length
        url = self.client.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_s, HttpMethod="PUT")
        return {"url": url, "method": "PUT", "headers": {"Content-Type": content_type},
                "expires_at": _expiry(expires_s)}

    def multipart_plan(self, key: str, content_type: str, size: int, part_size: int | None = None,
                       expires_s: int | None = None) -> dict[str, Any]:
        """Start a multipart upload and presign one URL per part, so a browser can upload and resume."""
        expires_s = expires_s or self.settings.upload_url_seconds
        part_size = max(part_size or self.settings.multipart_part_bytes, MIN_PART)
        part_size = max(part_size, math.ceil(size / MAX_PARTS))
        count = max(1, math.ceil(size / part_size))
        upload_id = self._call("create_multipart_upload", Bucket=self.bucket, Key=key,
                               ContentType=content_type)["UploadId"]
        return {
            "method": "MULTIPART", "upload_id": upload_id, "key": key, "part_size": part_size,
            "part_count": count, "expires_at": _expiry(expires_s),
            "parts": self.presign_parts(key, upload_id, range(1, count + 1), expires_s),
        }

    def presign_parts(self, key: str, upload_id: str, numbers: Any, expires_s: int | None = None) -> list[dict]:
        expires_s = expires_s or self.settings.upload_url_seconds
        return [
            {"part_number": n, "method": "PUT", "url": self.client.generate_presigned_url(
                "upload_part", Params={"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": n},
                ExpiresIn=expires_s, HttpMethod="PUT")}
            for n in numbers
        ]

    def list_parts(self, key: str, upload_id: str) -> list[dict[str, Any]]:
        parts: list[dict[str, Any]] = []
        marker = 0
        while True:
            resp = self._call("list_parts", Bucket=self.bucket, Key=key, UploadId=upload_id,
                              PartNumberMarker=marker, MaxParts=1000)
            parts += [{"part_number": p["PartNumber"], "etag": p["ETag"], "size": p["Size"]}
                      for p in resp.get("Parts", [])]
            if not resp.get("IsTruncated"):
                return parts
            marker = resp["NextPartNumberMarker"]

    def complete_multipart(self, key: str, upload_id: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        ordered = sorted(parts, key=lambda p: int(p["part_number"]))
        self._call("complete_multipart_upload", Bucket=self.bucket, Key=key, UploadId=upload_id,
                   MultipartUpload={"Parts": [{"PartNumber": int(p["part_number"]), "ETag": str(p["etag"])}
                                              for p in ordered]})
        return self.head(key) or {}

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(ClientError):  # already completed or aborted
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def abort_multipart_under(self, prefix: str) -> int:
        """Abort unfinished multipart uploads under a prefix (they hold storage until aborted)."""
        try:
            uploads = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix).get("Uploads", [])
        except ClientError:
            return 0
        for u in uploads:
            self.abort_multipart(u["Key"], u["UploadId"])
        return len(uploads)

    def presign_get(self, key: str, download_name: str | None = None, expires_s: int | None = None) -> str:
        expires_s = expires_s or self.settings.download_url_seconds
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if download_name:
            params["ResponseContentDisposition"] = _content_disposition(download_name)
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)

    # objects -----------------------------------------------------------------------------------
    def head(self, key: str) -> dict[str, Any] | None:
        try:
            r = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._error("head_object", exc) from exc
        except BotoCoreError as exc:
            raise self._error("head_object", exc) from exc
        return {"size": int(r["ContentLength"]), "content_type": r.get("ContentType"), "etag": r.get("ETag"),
                "last_modified": r.get("LastModified")}

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes [start, end] inclusive (S3 Range semantics); shorter if the object is shorter."""
        r = self._call("get_object", Bucket=self.bucket, Key=key, Range=f"bytes={start}-{end}")
        return r["Body"].read()

    def read_bytes(self, key: str, max_bytes: int) -> bytes:
        return self.read_range(key, 0, max_bytes - 1)

    def download_file(self, key: str, path: Path | str) -> None:
        """Stream to disk in chunks (never the whole object in memory)."""
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client.download_file(self.bucket, key, str(path), Config=TransferConfig(use_threads=False))
        except (ClientError, BotoCoreError) as exc:
            raise self._error("download_file", exc) from exc

    def upload_file(self, path: Path | str, key: str, content_type: str) -> None:
        try:
            self.client.upload_file(str(path), self.bucket, key, ExtraArgs={"ContentType": content_type},
                                    Config=TransferConfig(multipart_threshold=64 * 1024 * 1024,
                                                          multipart_chunksize=16 * 1024 * 1024))
        except (ClientError, BotoCoreError) as exc:
            raise self._error("upload_file", exc) from exc

    def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        self._call("put_object", Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def list(self, prefix: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                out += [{"key": o["Key"], "size": int(o["Size"]), "last_modified": o.get("LastModified")}
                        for o in page.get("Contents", [])]
        except (ClientError, BotoCoreError) as exc:
            raise self._error("list_objects_v2", exc) from exc
        return out

    def delete_keys(self, keys: list[str]) -> int:
        deleted = 0
        for i in range(0, len(keys), DELETE_BATCH):
            batch = keys[i:i + DELETE_BATCH]
            resp = self._call("delete_objects", Bucket=self.bucket,
                              Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            errors = resp.get("Errors", [])
            if errors:
                raise AgensiumError(ErrorCode.STORAGE_ERROR, f"Could not delete {len(errors)} object(s)",
                                    {"keys": [e.get("Key") for e in errors[:10]]})
            deleted += len(batch)
        return deleted

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix` in batches of 1000; returns how many were deleted."""
        if not prefix.endswith("/"):
            raise ValueError("delete_prefix needs a folder prefix ending in '/'")
        self.abort_multipart_under(prefix)
        return self.delete_keys([o["key"] for o in self.list(prefix)])

    # bucket ------------------------------------------------------------------------------------
    def ensure_bucket(self, cors_origins: list[str] | None = None) -> None:
        """Create the bucket if needed and allow browser uploads from the UI origin(s)."""
        c = self.client
        try:
            c.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise self._error("head_bucket", exc) from exc
            self._call("create_bucket", Bucket=self.bucket)
        except BotoCoreError as exc:
            raise self._error("head_bucket", exc) from exc
        if cors_origins:
            self._call("put_bucket_cors", Bucket=self.bucket, CORSConfiguration={"CORSRules": [{
                "AllowedOrigins": list(cors_origins), "AllowedMethods": ["GET", "PUT", "POST", "HEAD"],
                "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000,
            }]})

    def ping(self) -> bool:
        self._call("head_bucket", Bucket=self.bucket)
        return True

    # helpers -----------------------------------------------------------------------------------
    def _call(self, op: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, op)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self._error(op, exc) from exc

    def _error(self, op: str, exc: Exception) -> AgensiumError:
        code = exc.response.get("Error", {}).get("Code") if isinstance(exc, ClientError) else type(exc).__name__
        return AgensiumError(ErrorCode.STORAGE_ERROR, f"Object storage error during {op}: {code}",
                             {"operation": op, "s3_code": code})


_default: Storage | None = None
_default_lock = threading.Lock()


def configure_storage(settings: Settings) -> Storage:
    """Make `get_storage()` answer a Storage for these settings (the app factory and `serve` call it)."""
    global _default
    with _default_lock:
        _default = Storage(settings)
        return _default


def get_storage() -> Storage:
    global _default
    with _default_lock:
        if _default is None:
            _default = Storage(get_settings())
        return _default
