"""Fetch `s3://bucket/key` inputs to a local temp file (streamed, never held in memory).

The client follows the project's S3 rules so it works with AWS, Backblaze B2, MinIO and SeaweedFS:
SigV4, checksums only when required, path-style addressing when a custom endpoint is set.
Endpoint and credentials come from the standard AWS_* environment variables.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from agensium.errors import AgensiumError, ErrorCode


def is_s3_uri(source: object) -> bool:
    return isinstance(source, str) and source.startswith("s3://")


def parse_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    bucket, key = parsed.netloc, unquote(parsed.path.lstrip("/"))
    if parsed.scheme != "s3" or not bucket or not key:
        raise AgensiumError(ErrorCode.FILES_NOT_FOUND, f"not an s3://bucket/key URI: {uri}", {"uri": uri})
    return bucket, key


def make_client() -> Any:
    import boto3.session
    from botocore.config import Config

    endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
    config = Config(
        signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": "path" if endpoint else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
    )
    # a fresh session reads the AWS_* variables now (the default session caches the first credentials it saw)
    session = boto3.session.Session()
    return session.client("s3", endpoint_url=endpoint, region_name=os.environ.get("AWS_REGION") or "us-east-1",
                          config=config)


def download(uri: str, dest_dir: Path, client: Any = None) -> Path:
    """Download the object to `dest_dir/<basename of key>`; errors name the URI."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = parse_s3_uri(uri)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / (PurePosixPath(key).name or "object")
    client = client or make_client()
    try:
        with dest.open("wb") as fh:
            client.download_fileobj(bucket, key, fh)
    except ClientError as exc:
        dest.unlink(missing_ok=True)
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
            raise AgensiumError(ErrorCode.FILES_NOT_FOUND, f"{uri}: object not found", {"uri": uri}) from exc
        raise AgensiumError(ErrorCode.STORAGE_ERROR, f"{uri}: {code or exc}", {"uri": uri}) from exc
    except BotoCoreError as exc:
        dest.unlink(missing_ok=True)
        raise AgensiumError(ErrorCode.STORAGE_ERROR, f"{uri}: {exc}", {"uri": uri}) from exc
    return dest
