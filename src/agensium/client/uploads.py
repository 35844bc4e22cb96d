"""The upload protocol: upload-urls, then one PUT or a multipart upload per role, then complete; and its
resumption from the parts listing after a crash.

A resumed part is kept only if its size and (when the storage reports an MD5 ETag) its checksum match the
local file's byte range, so resuming with a different file never produces a mixed object.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agensium.client.errors import ApiError
from agensium.client.models import PartsListing, StoredPart, Task, UploadPlan, UploadUrls
from agensium.client.transfer import Meter, UploadProgress, range_md5
from agensium.errors import ErrorCode

if TYPE_CHECKING:
    from agensium.client.api import Client, Parameters

MD5_ETAG = re.compile(r'^"?([0-9a-f]{32})"?$')


def upload(client: Client, task_id: str, files: Mapping[str, Path], parameters: Parameters | None,
           on_upload: UploadProgress | None) -> None:
    with _parameters_file(parameters) as params:
        if not files and params is None:
            return
        body = {"files": {role: {"filename": p.name, "size_bytes": p.stat().st_size} for role, p in files.items()},
                "has_parameters": params is not None}
        answer = UploadUrls.model_validate(client.request("POST", f"/tasks/{task_id}/upload-urls", json=body))
        for role, path in files.items():
            _send(client, task_id, role, path, answer.uploads[role], on_upload)
        if params is not None:
            plan = answer.uploads["parameters"]
            size = params.stat().st_size
            client.transfers.put(str(plan.url), params, 0, size, plan.headers, Meter("parameters", size))


def resume(client: Client, task_id: str, files: Mapping[str, Path], parameters: Parameters | None,
           on_upload: UploadProgress | None) -> None:
    task = client.task(task_id)
    again = {role: path for role, path in files.items() if not _resume_role(client, task, role, path, on_upload)}
    upload(client, task_id, again, parameters, on_upload)


def _send(client: Client, task_id: str, role: str, path: Path, plan: UploadPlan,
          on_upload: UploadProgress | None) -> None:
    size = path.stat().st_size
    meter = Meter(role, size, on_upload)
    if plan.method == "PUT":
        client.transfers.put(str(plan.url), path, 0, size, plan.headers, meter)
        return
    assert plan.upload_id and plan.part_size
    _multipart(client, task_id, role, path, plan.upload_id, plan.part_size,
               {p.part_number: p.url for p in plan.parts}, {}, meter)


def _multipart(client: Client, task_id: str, role: str, path: Path, upload_id: str, part_size: int,
               urls: dict[int, str], done: dict[int, str], meter: Meter) -> None:
    def renew() -> dict[int, str]:
        return {p.part_number: p.url for p in listing(client, task_id, role).missing_parts}

    etags = client.transfers.put_parts(path, path.stat().st_size, part_size, urls, {}, meter, renew)
    parts = [{"part_number": n, "etag": e} for n, e in sorted({**done, **etags}.items())]
    client.request("POST", f"/tasks/{task_id}/uploads/{role}/complete", json={"upload_id": upload_id, "parts": parts})


def listing(client: Client, task_id: str, role: str) -> PartsListing:
    return PartsListing.model_validate(client.request("GET", f"/tasks/{task_id}/uploads/{role}/parts"))


def _resume_role(client: Client, task: Task, role: str, path: Path, on_upload: UploadProgress | None) -> bool:
    """Finish this role's multipart upload from where it stopped; False if it must be sent again whole."""
    try:
        stored = listing(client, task.task_id, role)
    except ApiError as exc:  # no multipart upload in progress (never started, single PUT, or completed)
        if exc.error_code in (ErrorCode.VALIDATION_ERROR, ErrorCode.INVALID_FILE_ROLE):
            return False
        raise
    size = path.stat().st_size
    if (task.inputs.get(role) or {}).get("size_bytes") != size:
        return False
    if not all(_same_bytes(path, size, stored.part_size, p) for p in stored.parts):
        return False
    meter = Meter(role, size, on_upload)
    meter.add(sum(p.size for p in stored.parts))
    _multipart(client, task.task_id, role, path, stored.upload_id, stored.part_size,
               {p.part_number: p.url for p in stored.missing_parts},
               {p.part_number: p.etag for p in stored.parts}, meter)
    return True


def _same_bytes(path: Path, size: int, part_size: int, part: StoredPart) -> bool:
    offset = (part.part_number - 1) * part_size
    if part.size != min(part_size, size - offset):
        return False
    md5 = MD5_ETAG.match(part.etag.lower())
    return md5 is None or md5.group(1) == range_md5(path, offset, part.size)


@contextmanager
def _parameters_file(parameters: Parameters | None) -> Iterator[Path | None]:
    """parameters.json as a file: the caller's own, or the mapping written to a temporary one."""
    if parameters is None or isinstance(parameters, str | Path):
        yield check_parameters(parameters)
        return
    with tempfile.TemporaryDirectory(prefix="agensium-params-") as tmp:
        path = Path(tmp) / "parameters.json"
        path.write_text(json.dumps(_plain(parameters)), encoding="utf-8")
        yield path


def check_parameters(parameters: Parameters | None) -> Path | None:
    """The parameters file's path (None for none or for a mapping); a missing file is FILES_NOT_FOUND."""
    if parameters is None or not isinstance(parameters, str | Path):
        return None
    path = Path(parameters)
    if not path.is_file():
        raise ApiError(None, ErrorCode.FILES_NOT_FOUND.value, f"{path}: no such parameters file",
                       {"path": str(path)})
    return path


def _plain(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in parameters.items()}
