"""The S3 module against real SeaweedFS (signatures and expiry really checked); no database needed."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
import pytest

CSV = b"a,b\n1,2\n3,4\n"


@pytest.fixture(scope="module")
def storage(s3_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from agensium.service.storage import Storage
    from agensium.settings import Settings

    settings = Settings(var_dir=tmp_path_factory.mktemp("var"), aws_endpoint_url=s3_server.endpoint_url,
                        aws_access_key_id=s3_server.access_key, aws_secret_access_key=s3_server.secret_key,
                        s3_bucket=f"agensium-st-{secrets.token_hex(4)}", _env_file=None)
    st = Storage(settings)
    st.ensure_bucket(["http://ui.example"])
    st.ensure_bucket(["http://ui.example"])  # idempotent
    return st


def _put(p: dict[str, Any], data: bytes, **headers: str) -> int:
    return httpx.put(p["url"], content=data, headers={**p["headers"], **headers}, timeout=30).status_code


def test_keys_follow_the_layout(storage):
    assert storage.task_prefix("u1", "t1") == "users/u1/tasks/t1/"
    assert storage.input_key("u1", "t1", "primary", "csv") == "users/u1/tasks/t1/inputs/primary.csv"
    assert storage.output_key("u1", "t1", "report.json") == "users/u1/tasks/t1/outputs/report.json"
    for bad in ("../x", "a/b", ""):
        with pytest.raises(ValueError):
            storage.output_key("u1", "t1", bad)


def test_presigned_put_rejects_tampering_wrong_type_size_key_and_expiry(storage):
    key = f"t/{secrets.token_hex(4)}/primary.csv"
    p = storage.presign_put(key, "text/csv", 900, content_length=len(CSV))
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in p["url"]  # SigV4
    assert _put(p, CSV, **{"Content-Type": "application/octet-stream"}) == 403
    assert _put(p, CSV + b"5,6\n") == 403
    head, sig = p["url"].rsplit("X-Amz-Signature=", 1)
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert _put({**p, "url": f"{head}X-Amz-Signature={flipped}"}, CSV) == 403
    assert _put({**p, "url": p["url"].replace("primary.csv", "other.csv")}, CSV) == 403
    short = storage.presign_put(key, "text/csv", 1, content_length=len(CSV))
    time.sleep(2.1)
    assert _put(short, CSV) == 403
    assert storage.head(key) is None
    assert _put(p, CSV) == 200
    assert storage.head(key)["size"] == len(CSV)
    assert storage.head(key)["content_type"] == "text/csv"


def test_presigned_get_names_the_download_and_range_reads(storage):
    key = f"t/{secrets.token_hex(4)}/outputs/x.csv"
    storage.put_bytes(key, CSV, "text/csv")
    r = httpx.get(storage.presign_get(key, "Q3 sales.csv", 3600), timeout=30)
    assert r.status_code == 200 and r.content == CSV
    assert r.headers["content-disposition"].startswith('attachment; filename="Q3 sales.csv"')
    assert storage.read_range(key, 0, 2) == CSV[:3]
    assert storage.read_range(key, 0, 10_000) == CSV
    url = storage.presign_get(key, None, 3600)
    assert httpx.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), timeout=30).status_code == 403


def test_upload_download_streaming_and_list(storage, tmp_path):
    src = tmp_path / "in.bin"
    src.write_bytes(secrets.token_bytes(300_000))
    key = f"t/{secrets.token_hex(4)}/blob.bin"
    storage.upload_file(src, key, "application/octet-stream")
    storage.download_file(key, tmp_path / "out" / "blob.bin")
    assert (tmp_path / "out" / "blob.bin").read_bytes() == src.read_bytes()
    listed = storage.list(key.rsplit("/", 1)[0] + "/")
    assert [(o["key"], o["size"]) for o in listed] == [(key, 300_000)]


def test_delete_prefix_in_batches(storage, monkeypatch):
    from agensium.service import storage as storage_mod

    monkeypatch.setattr(storage_mod, "DELETE_BATCH", 7)  # 25 objects → 4 DeleteObjects calls
    calls = []
    real = storage._call

    def spy(op, **kw):  # type: ignore[no-untyped-def]
        if op == "delete_objects":
            calls.append(len(kw["Delete"]["Objects"]))
        return real(op, **kw)

    monkeypatch.setattr(storage, "_call", spy)
    prefix = f"users/u/tasks/{secrets.token_hex(4)}/"
    keep = f"users/u/tasks/{secrets.token_hex(4)}/keep.txt"
    for i in range(25):
        storage.put_bytes(f"{prefix}f{i:02d}.txt", b"x", "text/plain")
    storage.put_bytes(keep, b"x", "text/plain")
    assert storage.delete_prefix(prefix) == 25
    assert calls == [7, 7, 7, 4]
    assert storage.list(prefix) == [] and storage.head(keep) is not None
    with pytest.raises(ValueError):
        storage.delete_prefix("users/u/tasks/abc")  # not a folder prefix: never a partial-name match


def test_multipart_plan_complete_and_abort(storage):
    key = f"t/{secrets.token_hex(4)}/big.csv"
    size = 5 * 1024 * 1024 + 100
    plan = storage.multipart_plan(key, "text/csv", size, part_size=5 * 1024 * 1024)
    assert plan["part_count"] == 2 and [p["part_number"] for p in plan["parts"]] == [1, 2]
    data = b"x" * size
    etags = []
    for p in plan["parts"]:
        n = p["part_number"]
        chunk = data[(n - 1) * plan["part_size"]: n * plan["part_size"]]
        r = httpx.put(p["url"], content=chunk, timeout=60)
        assert r.status_code == 200
        etags.append({"part_number": n, "etag": r.headers["etag"]})
    assert [p["part_number"] for p in storage.list_parts(key, plan["upload_id"])] == [1, 2]
    head = storage.complete_multipart(key, plan["upload_id"], etags)
    assert head["size"] == size and head["content_type"] == "text/csv"
    # an unfinished upload is aborted by delete_prefix (it would otherwise hold storage)
    other = storage.multipart_plan(f"t/{key.split('/')[1]}/b2.csv", "text/csv", 10, part_size=5 * 1024 * 1024)
    storage.delete_prefix(f"t/{key.split('/')[1]}/")
    assert storage.head(key) is None
    with pytest.raises(Exception):  # noqa: B017 - the upload id no longer exists
        storage.list_parts(other["key"], other["upload_id"])


def test_bucket_cors_allows_the_ui_origin(storage):
    p = storage.presign_put(f"t/{secrets.token_hex(4)}/c.csv", "text/csv", 900)
    r = httpx.request("OPTIONS", p["url"], headers={"Origin": "http://ui.example",
                                                    "Access-Control-Request-Method": "PUT",
                                                    "Access-Control-Request-Headers": "content-type"}, timeout=30)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://ui.example"
    assert "ETag" in r.headers.get("access-control-expose-headers", "")


def test_errors_are_storage_errors_and_ping(storage, s3_server):
    from agensium.errors import AgensiumError, ErrorCode
    from agensium.service.storage import Storage

    assert storage.ping() is True
    wrong = Storage(storage.settings.model_copy(update={"aws_secret_access_key": "wrong-secret"}))
    with pytest.raises(AgensiumError) as exc:
        wrong.read_range("t/none", 0, 1)
    assert exc.value.code == ErrorCode.STORAGE_ERROR
