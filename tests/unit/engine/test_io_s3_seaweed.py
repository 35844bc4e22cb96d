"""s3:// inputs against a real S3 API (SeaweedFS, which checks SigV4 signatures)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from agensium.engine.agent import ROW_ID
from agensium.engine.io import s3
from agensium.engine.io.readers import read_dataset
from agensium.errors import AgensiumError, ErrorCode


@pytest.fixture
def s3_env(s3_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_server.secret_key)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    client = s3.make_client()
    bucket = "engine-io-test"
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou, client.exceptions.BucketAlreadyExists):
        client.create_bucket(Bucket=bucket)
    return client, bucket


def test_read_csv_and_xlsx_from_s3(s3_env: Any, tmp_path: Path) -> None:
    client, bucket = s3_env
    client.put_object(Bucket=bucket, Key="in/people data.csv", Body=b"name;age\nann;30\nbob;41\n")
    ds = read_dataset(f"s3://{bucket}/in/people%20data.csv", tmp_path / "o.parquet")
    assert ds.name == "people data.csv" and ds.read_notes["delimiter"] == ";"
    assert pl.read_parquet(ds.file()).drop(ROW_ID).rows() == [("ann", 30), ("bob", 41)]
    assert not any(p.name.startswith("tmp") for p in tmp_path.iterdir())  # the download is cleaned up


def test_missing_object_and_bad_credentials(s3_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, bucket = s3_env
    with pytest.raises(AgensiumError) as info:
        read_dataset(f"s3://{bucket}/nope.csv", tmp_path / "o.parquet")
    assert info.value.code == ErrorCode.FILES_NOT_FOUND and "nope.csv" in info.value.message
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret")
    with pytest.raises(AgensiumError) as info:
        read_dataset(f"s3://{bucket}/in/people%20data.csv", tmp_path / "o2.parquet")
    assert info.value.code == ErrorCode.STORAGE_ERROR
