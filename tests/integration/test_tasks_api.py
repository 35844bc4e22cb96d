"""The task API over HTTP on every backend, against real SeaweedFS: the full flow and bad inputs.

Uploads go to the presigned URLs with a plain HTTP client (httpx), as a browser would.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

CSV = b"id,name,amount\n1,Ada,10.5\n2,Grace,20\n3,Linus,7.25\n"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"x" * 200


def create(client, user, tool="profile-my-data", agents=None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"tool_id": tool}
    if agents is not None:
        body["agents"] = agents
    r = client.post("/tasks", json=body, headers=user.headers)
    assert r.status_code == 201, r.text
    return r.json()


def urls(client, user, task_id, files, has_parameters=False):  # type: ignore[no-untyped-def]
    return client.post(f"/tasks/{task_id}/upload-urls", headers=user.headers,
                       json={"files": files, "has_parameters": has_parameters})


def put(upload: dict[str, Any], data: bytes, **headers: str) -> httpx.Response:
    return httpx.put(upload["url"], content=data, headers={**upload["headers"], **headers}, timeout=30)


def upload_csv(client, user, task_id, data=CSV, role="primary", name="data.csv"):  # type: ignore[no-untyped-def]
    r = urls(client, user, task_id, {role: {"filename": name, "content_type": "text/csv", "size_bytes": len(data)}})
    assert r.status_code == 200, r.text
    assert put(r.json()["uploads"][role], data).status_code == 200
    return r.json()


def err(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error_code"] == code and set(body) == {"detail", "error_code", "context"}
    return body


def test_full_flow(client, app_settings, make_user):
    user = make_user()
    task = create(client, user, agents=["unified-profiler"])
    assert task["status"] == "CREATED" and task["progress"] == 0 and task["agents"] == ["unified-profiler"]
    r = urls(client, user, task["task_id"], {"primary": {"filename": "sales.csv", "content_type": "text/csv",
                                                         "size_bytes": len(CSV)}}, has_parameters=True)
    assert r.status_code == 200, r.text
    body = r.json()
    up = body["uploads"]["primary"]
    assert up["method"] == "PUT" and up["key"].endswith(f"/tasks/{task['task_id']}/inputs/primary.csv")
    assert body["expires_in_seconds"] == app_settings.upload_url_seconds and "parameters" in body["uploads"]
    assert put(up, CSV).status_code == 200
    params = json.dumps({"unified-profiler": {}}).encode()
    assert put(body["uploads"]["parameters"], params).status_code == 200
    got = client.get(f"/tasks/{task['task_id']}", headers=user.headers).json()
    assert got["status"] == "UPLOADING" and got["progress"] == 10 and got["upload_started_at"]
    assert got["inputs"]["primary"] == {"filename": "sales.csv", "content_type": "text/csv",
                                        "size_bytes": len(CSV), "ext": "csv"}

    r = client.post(f"/tasks/{task['task_id']}/process", headers=user.headers)
    assert r.status_code == 202, r.text
    assert r.json()["status"] in ("QUEUED", "PROCESSING", "COMPLETED") and r.json()["progress"] >= 15
    status = client.get(f"/tasks/{task['task_id']}", headers=user.headers).json()
    for key in ("progress_detail", "current_agent", "downloads_available", "error_code", "error_message",
                "created_at", "processing_started_at", "completed_at", "updated_at"):
        assert key in status
    listed = client.get("/tasks", headers=user.headers).json()
    assert [t["task_id"] for t in listed["tasks"]] == [task["task_id"]]
    assert listed["pagination"] == {"total": 1, "limit": 20, "offset": 0, "has_more": False}


def _force_status(settings, task_id, **values):  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from agensium.service import db
    from agensium.service.models import Task

    with db.session_scope(settings.effective_database_url) as s:
        s.execute(update(Task).where(Task.task_id == task_id).values(**values))


def test_delete_removes_every_object(client, app_settings, user):
    from agensium.service.storage import Storage

    storage = Storage(app_settings)
    task = create(client, user)
    upload_csv(client, user, task["task_id"])
    prefix = storage.task_prefix(_user_id(client, user), task["task_id"])
    storage.put_bytes(prefix + "outputs/report.json", b"{}", "application/json")
    assert len(storage.list(prefix)) == 2
    r = client.delete(f"/tasks/{task['task_id']}", headers=user.headers)
    assert r.status_code == 200 and r.json() == {"task_id": task["task_id"], "files_deleted": 2}
    assert storage.list(prefix) == []
    err(client.get(f"/tasks/{task['task_id']}", headers=user.headers), 404, "TASK_NOT_FOUND")


def _user_id(client, user) -> str:  # type: ignore[no-untyped-def]
    return client.get("/auth/me", headers=user.headers).json()["id"]


def test_delete_refused_while_queued_and_cancel(client, app_settings, user):
    task = create(client, user)
    _force_status(app_settings, task["task_id"], status="QUEUED")
    err(client.delete(f"/tasks/{task['task_id']}", headers=user.headers), 409, "TASK_ALREADY_PROCESSING")
    r = client.post(f"/tasks/{task['task_id']}/cancel", headers=user.headers)
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED" and r.json()["cancel_requested"]
    assert r.json()["cancelled_at"]
    body = err(client.post(f"/tasks/{task['task_id']}/cancel", headers=user.headers), 409, "TASK_NOT_CANCELLABLE")
    assert body["context"]["status"] == "CANCELLED"
    assert client.delete(f"/tasks/{task['task_id']}", headers=user.headers).status_code == 200


def test_downloads_and_report(client, app_settings, user):
    from agensium.service.storage import Storage

    storage = Storage(app_settings)
    task = create(client, user)
    tid = task["task_id"]
    err(client.get(f"/tasks/{tid}/report", headers=user.headers), 409, "REPORT_NOT_AVAILABLE")
    assert client.get(f"/tasks/{tid}/downloads", headers=user.headers).json()["downloads"] == []
    # publish outputs the way the worker does: objects first, then Task.outputs + COMPLETED
    uid = _user_id(client, user)
    report = {"report_version": "1", "agent_results": {"unified-profiler": {"status": "success"}}}
    outputs = []
    for name, kind, mime, data in [("profile_report.json", "report", "application/json", json.dumps(report).encode()),
                                   ("résumé data.csv", "data", "text/csv", CSV)]:
        key = storage.output_key(uid, tid, name)
        storage.put_bytes(key, data, mime)
        outputs.append({"name": name, "key": key, "kind": kind, "mime_type": mime, "size_bytes": len(data)})
    _force_status(app_settings, tid, status="COMPLETED", progress=100, outputs=outputs)
    got = client.get(f"/tasks/{tid}", headers=user.headers).json()
    assert got["downloads_available"] is True
    assert client.get(f"/tasks/{tid}/report", headers=user.headers).json() == report
    dl = client.get(f"/tasks/{tid}/downloads", headers=user.headers).json()
    assert dl["expires_in_seconds"] == 3600 and len(dl["downloads"]) == 2
    item = next(d for d in dl["downloads"] if d["type"] == "data")
    assert item["filename"] == "résumé data.csv" and item["download_id"] == "résumé_data_csv"
    r = httpx.get(item["url"], timeout=30)
    assert r.status_code == 200 and r.content == CSV
    assert "attachment" in r.headers["content-disposition"] and "r%C3%A9sum%C3%A9" in r.headers["content-disposition"]


def test_list_filters_sort_and_pagination(client, make_user):
    u = make_user()
    ids = [create(client, u, tool)["task_id"] for tool in ("profile-my-data", "clean-my-data", "profile-my-data")]
    all_ = client.get("/tasks?sort=created_at", headers=u.headers).json()
    assert [t["task_id"] for t in all_["tasks"]] == ids
    newest_first = client.get("/tasks", headers=u.headers).json()
    assert [t["task_id"] for t in newest_first["tasks"]] == ids[::-1]
    page = client.get("/tasks?limit=2&offset=0&sort=created_at", headers=u.headers).json()
    assert [t["task_id"] for t in page["tasks"]] == ids[:2]
    assert page["pagination"] == {"total": 3, "limit": 2, "offset": 0, "has_more": True}
    page2 = client.get("/tasks?limit=2&offset=2&sort=created_at", headers=u.headers).json()
    assert [t["task_id"] for t in page2["tasks"]] == ids[2:] and page2["pagination"]["has_more"] is False
    prof = client.get("/tasks?tool_id=profile-my-data", headers=u.headers).json()
    assert prof["pagination"]["total"] == 2
    assert client.get("/tasks?status=CREATED", headers=u.headers).json()["pagination"]["total"] == 3
    assert client.get("/tasks?status=QUEUED,COMPLETED", headers=u.headers).json()["pagination"]["total"] == 0
    err(client.get("/tasks?status=NOPE", headers=u.headers), 422, "VALIDATION_ERROR")
    err(client.get("/tasks?sort=password_hash", headers=u.headers), 422, "VALIDATION_ERROR")
    err(client.get("/tasks?limit=1000", headers=u.headers), 422, "VALIDATION_ERROR")
    err(client.get("/tasks?tool_id=nope", headers=u.headers), 400, "INVALID_TOOL_ID")


def test_another_users_task_is_exactly_like_a_missing_one(client, make_user):
    owner, other = make_user(), make_user()
    tid = create(client, owner)["task_id"]
    missing = "00000000-0000-4000-8000-000000000000"
    for method, path in [("GET", ""), ("POST", "/process"), ("POST", "/cancel"), ("GET", "/downloads"),
                         ("GET", "/report"), ("DELETE", "")]:
        a = client.request(method, f"/tasks/{tid}{path}", headers=other.headers)
        b = client.request(method, f"/tasks/{missing}{path}", headers=other.headers)
        assert a.status_code == b.status_code == 404
        assert a.json()["error_code"] == b.json()["error_code"] == "TASK_NOT_FOUND"
        assert a.json()["detail"].replace(tid, "X") == b.json()["detail"].replace(missing, "X")
    r = urls(client, other, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": 5}})
    err(r, 404, "TASK_NOT_FOUND")
    assert client.get("/tasks", headers=other.headers).json()["pagination"]["total"] == 0
    assert client.get(f"/tasks/{tid}", headers=owner.headers).json()["status"] == "CREATED"


def test_create_rejects_unknown_tool_and_agents(client, make_user):
    user = make_user()
    err(client.post("/tasks", json={"tool_id": "nope"}, headers=user.headers), 400, "INVALID_TOOL_ID")
    body = err(client.post("/tasks", json={"tool_id": "profile-my-data", "agents": ["made-up"]},
                           headers=user.headers), 400, "INVALID_AGENT")
    assert body["context"]["invalid_agents"] == ["made-up"]
    # an agent of another tool
    err(client.post("/tasks", json={"tool_id": "profile-my-data", "agents": ["type-fixer"]}, headers=user.headers),
        400, "INVALID_AGENT")
    # the order is always the tool's
    t = create(client, user, agents=["readiness-rater", "unified-profiler"])
    assert t["agents"] == ["unified-profiler", "readiness-rater"]
    err(client.post("/tasks", json={"tool_id": "profile-my-data", "x": 1}, headers=user.headers), 422,
        "VALIDATION_ERROR")
    assert client.get("/tasks", headers=user.headers).json()["pagination"]["total"] == 1


@pytest.mark.parametrize(("files", "status", "code"), [
    ({"secret": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": 10}}, 400, "INVALID_FILE_ROLE"),
    ({"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": 501 * 1024 * 1024}}, 400,
     "FILE_TOO_LARGE"),
    ({"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": 0}}, 400, "FILE_EMPTY"),
    ({"primary": {"filename": "a.pdf", "content_type": "application/pdf", "size_bytes": 10}}, 400,
     "UNSUPPORTED_FORMAT"),
    ({"primary": {"filename": "a.csv", "content_type": "application/pdf", "size_bytes": 10}}, 400,
     "UNSUPPORTED_FORMAT"),
    ({"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": -1}}, 422, "VALIDATION_ERROR"),
])
def test_upload_urls_bad_declarations_change_nothing(client, user, files, status, code):
    tid = create(client, user)["task_id"]
    err(urls(client, user, tid, files), status, code)
    got = client.get(f"/tasks/{tid}", headers=user.headers).json()
    assert got["status"] == "CREATED" and got["progress"] == 0 and got["inputs"] == {}


def test_file_name_with_traversal_or_odd_unicode_stays_in_the_prefix(client, user):
    tid = create(client, user)["task_id"]
    name = "../../../etc/pa\u0000ss\u202ewd\u200b \uff44\uff41\uff54\uff41.csv"
    r = urls(client, user, tid, {"primary": {"filename": name, "content_type": "text/csv", "size_bytes": len(CSV)}})
    assert r.status_code == 200, r.text
    key = r.json()["uploads"]["primary"]["key"]
    assert key == f"users/{_user_id(client, user)}/tasks/{tid}/inputs/primary.csv"
    shown = client.get(f"/tasks/{tid}", headers=user.headers).json()["inputs"]["primary"]["filename"]
    assert "/" not in shown and ".." not in shown and "\u0000" not in shown and "\u202e" not in shown
    assert shown.endswith("data.csv")


def test_issued_upload_url_is_bound_to_type_and_size(client, app_settings, user):
    from agensium.service.storage import Storage

    tid = create(client, user)["task_id"]
    r = urls(client, user, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": len(CSV)}})
    primary = r.json()["uploads"]["primary"]
    assert put(primary, CSV, **{"Content-Type": "application/pdf"}).status_code == 403
    assert put(primary, CSV + b"4,Extra,1\n").status_code == 403  # another size than declared
    assert Storage(app_settings).head(primary["key"]) is None  # nothing was stored
    assert put(primary, CSV).status_code == 200


def test_process_rejects_missing_empty_and_fake_files(client, app_settings, user):
    from agensium.service.storage import Storage

    storage = Storage(app_settings)
    tid = create(client, user, agents=["unified-profiler"])["task_id"]
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "FILES_NOT_FOUND")
    assert body["context"]["task_status"] == "CREATED"
    r = urls(client, user, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": len(PDF)}})
    up = r.json()["uploads"]["primary"]
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "FILES_NOT_FOUND")
    assert body["context"]["task_status"] == "UPLOAD_FAILED" and body["context"]["missing_files"] == ["primary"]
    got = client.get(f"/tasks/{tid}", headers=user.headers).json()
    assert got["status"] == "UPLOAD_FAILED" and got["error_code"] == "FILES_NOT_FOUND"
    # a PDF named .csv
    assert put(up, PDF).status_code == 200
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "UNSUPPORTED_FORMAT")
    assert body["context"]["task_status"] == "UPLOAD_FAILED"
    # an empty file (stored behind the API's back: the URL itself refuses a wrong size)
    storage.put_bytes(up["key"], b"", "text/csv")
    err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "FILE_EMPTY")
    # re-upload from UPLOAD_FAILED, then it verifies
    upload_csv(client, user, tid)
    got = client.get(f"/tasks/{tid}", headers=user.headers).json()
    assert got["status"] == "UPLOADING"
    r = client.post(f"/tasks/{tid}/process", headers=user.headers)
    assert r.status_code == 202, r.text
    assert r.json()["error_code"] is None
    err(client.post(f"/tasks/{tid}/process", headers=user.headers), 409, "TASK_ALREADY_PROCESSING")


def test_process_rejects_oversize_object(client, app_settings, user):
    from agensium.engine import registry

    tid = create(client, user, agents=["unified-profiler"])["task_id"]
    upload_csv(client, user, tid)
    tool = registry.get_tool("profile-my-data")
    small = registry.FileSpec("primary", True, registry.TABULAR_FORMATS, 10, "tiny")
    object.__setattr__(tool, "files", (small, *tool.files[1:]))  # a frozen dataclass: limit it for this test
    try:
        body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "FILE_TOO_LARGE")
    finally:
        object.__setattr__(tool, "files", (registry.PRIMARY_500, *tool.files[1:]))
    assert body["context"]["max_bytes"] == 10 and body["context"]["task_status"] == "UPLOAD_FAILED"


def test_drift_needs_a_baseline(client, user):
    tid = create(client, user, agents=["unified-profiler", "drift-detector"])["task_id"]
    upload_csv(client, user, tid)
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "FILES_NOT_FOUND")
    assert body["context"]["missing_files"] == ["baseline"]
    assert body["context"]["needed_by"]["baseline"] == ["drift-detector"]
    upload_csv(client, user, tid, role="baseline", name="old.csv")
    assert client.post(f"/tasks/{tid}/process", headers=user.headers).status_code == 202


@pytest.mark.parametrize(("params", "fragment"), [
    (b"{not json", "not valid JSON"),
    (json.dumps({"made-up-agent": {}}).encode(), "unknown agent"),
    (json.dumps({"readiness-rater": {}}).encode(), "not selected"),
    (json.dumps({"unified-profiler": {"no_such_option": 1}}).encode(), "unified-profiler"),
    (b"[1, 2]", "JSON object"),
])
def test_bad_parameters_leave_the_task_as_it_was(client, user, params, fragment):
    tid = create(client, user, agents=["unified-profiler"])["task_id"]
    r = urls(client, user, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv",
                                             "size_bytes": len(CSV)}}, has_parameters=True)
    ups = r.json()["uploads"]
    assert put(ups["primary"], CSV).status_code == 200
    assert put(ups["parameters"], params).status_code == 200
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "INVALID_PARAMETERS")
    assert fragment in body["detail"] + json.dumps(body["context"])
    got = client.get(f"/tasks/{tid}", headers=user.headers).json()
    assert got["status"] == "UPLOADING" and got["progress"] == 10
    # fix the parameters with a fresh URL and process
    r = urls(client, user, tid, {}, has_parameters=True)
    assert put(r.json()["uploads"]["parameters"], b'{"unified-profiler": {}}').status_code == 200
    assert client.post(f"/tasks/{tid}/process", headers=user.headers).status_code == 202


def test_too_large_parameters(client, app_settings, user):
    tid = create(client, user, agents=["unified-profiler"])["task_id"]
    r = urls(client, user, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv",
                                             "size_bytes": len(CSV)}}, has_parameters=True)
    ups = r.json()["uploads"]
    put(ups["primary"], CSV)
    big = json.dumps({"unified-profiler": {}, "pad": "x" * (app_settings.max_parameters_bytes + 10)}).encode()
    assert put(ups["parameters"], big).status_code == 200
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "INVALID_PARAMETERS")
    assert body["context"]["max_bytes"] == app_settings.max_parameters_bytes


def test_multipart_upload_resume_and_complete(client, app_settings, user):
    from agensium.service.storage import Storage

    tid = create(client, user, agents=["unified-profiler"])["task_id"]
    part = 5 * 1024 * 1024
    row = b"1,Ada,10.5\n"
    data = b"id,name,amount\n" + row * ((part * 2 + 1000) // len(row))
    r = urls(client, user, tid, {"primary": {"filename": "big.csv", "content_type": "text/csv",
                                             "size_bytes": len(data)}})
    plan = r.json()["uploads"]["primary"]
    assert plan["method"] == "MULTIPART" and plan["part_count"] == 3 and len(plan["parts"]) == 3
    chunks = [data[i * plan["part_size"]:(i + 1) * plan["part_size"]] for i in range(plan["part_count"])]
    first = httpx.put(plan["parts"][0]["url"], content=chunks[0], timeout=60)
    assert first.status_code == 200
    # the browser "crashes"; on resume it asks which parts are there and gets URLs for the rest
    state = client.get(f"/tasks/{tid}/uploads/primary/parts", headers=user.headers).json()
    assert [p["part_number"] for p in state["parts"]] == [1]
    assert [p["part_number"] for p in state["missing_parts"]] == [2, 3]
    etags = [{"part_number": 1, "etag": first.headers["etag"]}]
    for p in state["missing_parts"]:
        resp = httpx.put(p["url"], content=chunks[p["part_number"] - 1], timeout=60)
        assert resp.status_code == 200
        etags.append({"part_number": p["part_number"], "etag": resp.headers["etag"]})
    r = client.post(f"/tasks/{tid}/uploads/primary/complete", headers=user.headers,
                    json={"upload_id": plan["upload_id"], "parts": etags})
    assert r.status_code == 200, r.text
    assert r.json()["size_bytes"] == len(data)
    head = Storage(app_settings).head(plan["key"])
    assert head["size"] == len(data) and head["content_type"] == "text/csv"
    err(client.post(f"/tasks/{tid}/uploads/nope/complete", headers=user.headers,
                    json={"upload_id": "x", "parts": etags}), 400, "INVALID_FILE_ROLE")
    assert client.post(f"/tasks/{tid}/process", headers=user.headers).status_code == 202


def test_out_of_bound_parameter_value_is_rejected(client, user):
    """The bound comes from the catalog's JSON Schema, as the UI's form would read it."""
    agent = client.get("/tools/profile-my-data").json()["agents"][0]
    bounded = [(name, p) for name, p in agent["parameters_schema"].get("properties", {}).items()
               if "maximum" in p and p.get("type") in ("number", "integer")]
    if not bounded:
        pytest.skip("the first agent declares no bounded parameter in this build")
    name, prop = bounded[0]
    tid = create(client, user, agents=[agent["agent_id"]])["task_id"]
    r = urls(client, user, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv",
                                             "size_bytes": len(CSV)}}, has_parameters=True)
    ups = r.json()["uploads"]
    put(ups["primary"], CSV)
    put(ups["parameters"], json.dumps({agent["agent_id"]: {name: prop["maximum"] + 1}}).encode())
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "INVALID_PARAMETERS")
    assert any(p.get("field") == name for p in body["context"]["problems"])
    assert client.get(f"/tasks/{tid}", headers=user.headers).json()["status"] == "UPLOADING"


def test_expired_task_answers_upload_urls_expired(client, app_settings, user):
    tid = create(client, user)["task_id"]
    _force_status(app_settings, tid, status="EXPIRED")
    decl = {"primary": {"filename": "a.csv", "content_type": "text/csv", "size_bytes": len(CSV)}}
    err(urls(client, user, tid, decl), 410, "UPLOAD_URLS_EXPIRED")
    err(client.post(f"/tasks/{tid}/process", headers=user.headers), 410, "UPLOAD_URLS_EXPIRED")
    _force_status(app_settings, tid, status="COMPLETED")
    err(urls(client, user, tid, decl), 409, "INVALID_TASK_STATE")


def test_default_pipeline_runs_drift_only_with_a_baseline(client, make_user):
    u = make_user()
    everything = client.get("/tools/profile-my-data").json()["agents"]
    all_ids = [a["agent_id"] for a in everything]
    no_baseline = create(client, u)  # agents omitted: the whole pipeline
    assert no_baseline["agents"] == all_ids
    upload_csv(client, u, no_baseline["task_id"])
    r = client.post(f"/tasks/{no_baseline['task_id']}/process", headers=u.headers)
    assert r.status_code == 202, r.text
    assert r.json()["agents"] == [a for a in all_ids if a != "drift-detector"]
    with_baseline = create(client, u)
    upload_csv(client, u, with_baseline["task_id"])
    upload_csv(client, u, with_baseline["task_id"], role="baseline", name="old.csv")
    r = client.post(f"/tasks/{with_baseline['task_id']}/process", headers=u.headers)
    assert r.status_code == 202 and r.json()["agents"] == all_ids


def test_declared_but_missing_parameters_and_empty_declaration(client, user):
    tid = create(client, user, agents=["unified-profiler"])["task_id"]
    err(urls(client, user, tid, {}), 422, "VALIDATION_ERROR")
    assert client.get(f"/tasks/{tid}", headers=user.headers).json()["status"] == "CREATED"
    r = urls(client, user, tid, {"primary": {"filename": "a.csv", "content_type": "text/csv",
                                             "size_bytes": len(CSV)}}, has_parameters=True)
    assert put(r.json()["uploads"]["primary"], CSV).status_code == 200
    body = err(client.post(f"/tasks/{tid}/process", headers=user.headers), 400, "INVALID_PARAMETERS")
    assert "not uploaded" in body["detail"]
    assert client.get(f"/tasks/{tid}", headers=user.headers).json()["status"] == "UPLOADING"
