"""An in-memory stand-in for the Agensium API, for UI tests that must control the server's answers.

It follows the documented contract (DESIGN §4) and serves the real static UI at /ui. "Storage" is
a PUT endpoint on the same app, so presigned uploads, multipart ETags and downloads can be observed.
The real server is exercised by `test_real_server.py`; this fake lets the UI's own logic (form
generation, changed-only parameters, multipart, error display, report rendering) be tested fast.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import polars as pl
from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import Field

import agensium
from agensium.engine.agent import AgentParams, AgentResult, Alert, Recommendation, SummaryCard
from agensium.engine.registry import TOOLS, catalog_entry
from agensium.engine.report.model import build_report

STATIC = Path(agensium.__file__).parent / "web" / "static"
CODE = "123456"


class Method(StrEnum):
    IQR = "iqr"
    MAD = "mad"


class DemoParams(AgentParams):
    """Every field shape the form generator must handle."""

    threshold: float = Field(1.5, ge=0, le=10, description="Fence multiplier")
    max_rows: int = Field(1000, ge=1, le=100000, description="Rows to scan")
    method: Method = Field(Method.IQR, description="Detection method")
    mode: Literal["flag", "cap", "remove"] = Field("flag", description="What to do")
    enabled: bool = Field(True, description="Run the check")
    columns: list[str] = Field(default_factory=list, description="Columns to check")
    label: str | None = Field(None, description="A free label")
    top_k: int | None = Field(None, ge=1, description="Optional limit")
    region: str = Field("US", pattern=r"^[A-Z]{2}$", description="Two-letter region")
    strict: bool | None = Field(None, description="Override strictness (unset: automatic)")
    expected_types: dict[str, Literal["numeric", "date"]] = Field(default_factory=dict, description="Column -> type")


def _err(status: int, code: str, detail: str, context: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "error_code": code, "context": context or {}}, status_code=status)


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _catalog() -> list[dict[str, Any]]:
    tools = [catalog_entry(t) for t in TOOLS]
    for t in tools:
        for a in t["agents"]:
            a["available"] = True
        if t["tool_id"] == "profile-my-data":
            t["agents"][0]["parameters_schema"] = DemoParams.model_json_schema()
    return tools


def _report(task: dict[str, Any]) -> dict[str, Any]:
    agent = task["agents"][0]
    result = AgentResult(
        agent_id=agent, summary={"rows": 3, "columns": 2, "quality_score": 97.5}, score=97.5,
        parameters={"threshold": 3.0, "mode": "cap"},
        data={
            "tables": [{"title": "Columns", "columns": ["column", "type", "nulls"],
                        "rows": [["id", "Int64", 0], ["<b>name</b>", "String", 1]]}],
            "charts": [{"title": "Nulls per column", "type": "bar", "labels": ["id", "name"],
                        "series": [{"name": "nulls", "values": [0, 1]}], "y_title": "rows"},
                       {"title": "Drift over time", "type": "line", "labels": ["jan", "feb", "mar"],
                        "series": [{"name": "psi", "values": [0.1, -0.2, 0.3]},
                                   {"name": "ks", "values": [0.05, 0.1, 0.2]}]}],
        },
        alerts=[Alert(severity="high", category="nulls", message="Column name has nulls",
                      affected_fields=["name"])],
        recommendations=[Recommendation(field="name", priority="medium", recommendation="Fill the nulls")],
        cards=[SummaryCard(title="Quality", value="97.5", status="excellent")],
    )
    issues = pl.DataFrame({"row_index": [2], "column": ["name"], "issue_type": ["null"], "severity": ["medium"],
                           "message": ["missing value"], "value": [None], "agent_id": [agent]},
                          schema_overrides={"value": pl.String})
    t0 = datetime.now(UTC)
    return build_report(tool_id=task["tool_id"], tool_name="Profile My Data", agents=task["agents"],
                        results=[result], row_issues=issues, started_at=t0, finished_at=t0,
                        inputs={"primary": {"name": task["inputs"].get("primary", {}).get("filename")}},
                        status="completed", task_id=task["task_id"])


def create_fake_app(*, balance: int = 5000, multipart_threshold: int = 10**12, part_size: int = 64 * 1024,
                    polls_to_complete: int = 2, report: dict[str, Any] | None = None,
                    refuse_part_once: int | None = None) -> FastAPI:
    app = FastAPI()
    state: dict[str, Any] = {"users": {}, "tasks": {}, "objects": {}, "balance": balance, "parameters": {},
                             "complete_calls": [], "refused": [], "parts_requests": 0}
    app.state.fake = state
    tools = _catalog()

    def user_of(request: Request) -> str | None:
        auth = request.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ")
        return next((e for e, u in state["users"].items() if u.get("token") == token and token), None)

    def tool(tool_id: str) -> dict[str, Any] | None:
        return next((t for t in tools if t["tool_id"] == tool_id), None)

    @app.get("/")
    def root() -> RedirectResponse:
        return RedirectResponse("/ui/")

    @app.post("/auth/register", status_code=201)
    async def register(request: Request) -> Any:
        body = await request.json()
        state["users"][body["email"]] = {"password": body["password"], "verified": False, "token": None}
        return {"message": "Check your e-mail for a code."}

    @app.post("/auth/verify")
    async def verify(request: Request) -> Any:
        body = await request.json()
        user = state["users"].get(body["email"])
        if not user or body["code"] != CODE:
            return _err(400, "AUTH_INVALID_CODE", "The code is wrong or has expired.")
        user["verified"] = True
        return {"verified": True}

    @app.post("/auth/login")
    def login(username: str = Form(...), password: str = Form(...)) -> Any:
        user = state["users"].get(username)
        if not user or user["password"] != password:
            return _err(401, "AUTH_INVALID_CREDENTIALS", "Wrong e-mail or password.")
        if not user["verified"]:
            return _err(403, "AUTH_NOT_VERIFIED", "Verify your e-mail first.")
        user["token"] = uuid.uuid4().hex
        return {"access_token": user["token"], "token_type": "bearer", "expires_in": 3600}

    @app.get("/auth/me")
    def me(request: Request) -> Any:
        email = user_of(request)
        if not email:
            return _err(401, "AUTH_INVALID_TOKEN", "Not logged in.")
        return {"email": email, "full_name": None, "credits": state["balance"]}

    @app.get("/tools")
    def get_tools() -> Any:
        return {"tools": tools}

    @app.get("/billing/wallet")
    def wallet(request: Request) -> Any:
        if not user_of(request):
            return _err(401, "AUTH_INVALID_TOKEN", "Not logged in.")
        return {"balance": state["balance"]}

    @app.post("/tasks", status_code=201)
    async def create(request: Request) -> Any:
        if not user_of(request):
            return _err(401, "AUTH_INVALID_TOKEN", "Not logged in.")
        body = await request.json()
        tid = str(uuid.uuid4())
        task = {"task_id": tid, "tool_id": body["tool_id"], "agents": body.get("agents") or [], "status": "CREATED",
                "progress": 0, "progress_detail": None, "current_agent": None, "inputs": {}, "created_at": _now(),
                "error_code": None, "error_message": None, "downloads_available": False, "polls": 0}
        state["tasks"][tid] = task
        return task

    @app.get("/tasks")
    def list_tasks(request: Request, status: str | None = None) -> Any:
        if not user_of(request):
            return _err(401, "AUTH_INVALID_TOKEN", "Not logged in.")
        for t in state["tasks"].values():  # a "worker" that advances one step per poll
            if t["status"] in ("QUEUED", "PROCESSING"):
                t["polls"] += 1
                if t["polls"] >= polls_to_complete:
                    t.update(status="COMPLETED", progress=100, current_agent=None, downloads_available=True)
                else:
                    t.update(status="PROCESSING", progress=50, current_agent=t["agents"][0],
                             progress_detail={"current_stage": "agents", "current_agent": t["agents"][0],
                                              "agents_total": len(t["agents"]), "agents_completed": 0})
        tasks = sorted(state["tasks"].values(), key=lambda t: t["created_at"], reverse=True)
        if status:
            tasks = [t for t in tasks if t["status"] in status.split(",")]
        return {"tasks": tasks, "pagination": {"total": len(tasks), "limit": 50, "offset": 0, "has_more": False}}

    @app.post("/tasks/{tid}/upload-urls")
    async def upload_urls(tid: str, request: Request) -> Any:
        task = state["tasks"].get(tid)
        if not task:
            return _err(404, "TASK_NOT_FOUND", "Task not found.")
        body = await request.json()
        base = str(request.base_url).rstrip("/")
        uploads: dict[str, Any] = {}
        for role, spec in body["files"].items():
            task["inputs"][role] = {"filename": spec["filename"], "size_bytes": spec["size_bytes"],
                                    "content_type": spec["content_type"]}
            key = f"{tid}/inputs/{role}"
            if spec["size_bytes"] > multipart_threshold:
                count = -(-spec["size_bytes"] // part_size)
                uploads[role] = {"method": "MULTIPART", "upload_id": "up-" + role, "key": key, "part_size": part_size,
                                 "part_count": count,
                                 "parts": [{"part_number": n, "method": "PUT", "url": f"{base}/_s3/{key}.part{n}"}
                                           for n in range(1, count + 1)],
                                 "complete_url": f"/tasks/{tid}/uploads/{role}/complete",
                                 "parts_url": f"/tasks/{tid}/uploads/{role}/parts"}
            else:
                uploads[role] = {"url": f"{base}/_s3/{key}", "key": key, "method": "PUT",
                                 "headers": {"Content-Type": spec["content_type"]}}
        if body.get("has_parameters"):
            key = f"{tid}/inputs/parameters.json"
            uploads["parameters"] = {"url": f"{base}/_s3/{key}", "key": key, "method": "PUT",
                                     "headers": {"Content-Type": "application/json"}}
        task.update(status="UPLOADING", progress=10)
        return {"task_id": tid, "status": "UPLOADING", "uploads": uploads, "expires_in_seconds": 900}

    @app.get("/tasks/{tid}/uploads/{role}/parts")
    def parts(tid: str, role: str, request: Request) -> Any:
        """What a resuming browser asks: the parts stored, fresh URLs for the missing ones."""
        state["parts_requests"] += 1
        base = str(request.base_url).rstrip("/")
        key = f"{tid}/inputs/{role}"
        count = -(-state["tasks"][tid]["inputs"][role]["size_bytes"] // part_size)
        stored = {n: state["objects"].get(f"{key}.part{n}") for n in range(1, count + 1)}
        return {"upload_id": "up-" + role, "part_size": part_size, "part_count": count,
                "parts": [{"part_number": n, "etag": '"' + hashlib.md5(o["data"]).hexdigest() + '"',
                           "size": len(o["data"])} for n, o in stored.items() if o],
                "missing_parts": [{"part_number": n, "method": "PUT", "url": f"{base}/_s3/{key}.part{n}?fresh=1"}
                                  for n, o in stored.items() if not o]}

    @app.put("/_s3/{key:path}")
    async def put_object(key: str, request: Request) -> Response:
        data = await request.body()
        if (refuse_part_once is not None and key.endswith(f".part{refuse_part_once}")
                and key not in state["refused"]):
            state["refused"].append(key)  # as storage answers an expired presigned URL
            return Response("<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
                            status_code=403, media_type="application/xml")
        state["objects"][key] = {"data": data, "content_type": request.headers.get("content-type")}
        return Response(status_code=200, headers={"ETag": '"' + hashlib.md5(data).hexdigest() + '"'})

    @app.post("/tasks/{tid}/uploads/{role}/complete")
    async def complete(tid: str, role: str, request: Request) -> Any:
        body = await request.json()
        state["complete_calls"].append({"task_id": tid, "role": role, **body})
        return {"task_id": tid, "role": role, "size_bytes": 0}

    @app.post("/tasks/{tid}/process", status_code=202)
    def process(tid: str) -> Any:
        task = state["tasks"][tid]
        params = state["objects"].get(f"{tid}/inputs/parameters.json")
        state["parameters"][tid] = json.loads(params["data"]) if params else None
        primary = state["objects"].get(f"{tid}/inputs/primary")
        if primary is not None and primary["data"].startswith(b"%PDF"):
            task.update(status="UPLOAD_FAILED", error_code="UNSUPPORTED_FORMAT",
                        error_message="primary: the file is a PDF, not CSV")
            return _err(400, "UNSUPPORTED_FORMAT", "primary: the file is a PDF, not CSV",
                        {"role": "primary", "status": "UPLOAD_FAILED"})
        spec = tool(task["tool_id"])
        assert spec is not None
        cost = sum(a["cost"] for a in spec["agents"] if a["agent_id"] in task["agents"])
        if cost > state["balance"]:
            return _err(402, "BILLING_INSUFFICIENT_CREDITS", "Not enough credits to run this task.",
                        {"available": state["balance"], "required": cost})
        task.update(status="QUEUED", progress=15)
        return {"task_id": tid, "status": "QUEUED"}

    @app.post("/tasks/{tid}/cancel")
    def cancel(tid: str) -> Any:
        task = state["tasks"][tid]
        if task["status"] not in ("QUEUED", "PROCESSING"):
            return _err(409, "TASK_NOT_CANCELLABLE", "Only a queued or running task can be cancelled.")
        task.update(status="CANCELLED")
        return {"task_id": tid, "status": "CANCELLED"}

    @app.delete("/tasks/{tid}")
    def delete(tid: str) -> Any:
        state["tasks"].pop(tid, None)
        return {"task_id": tid, "files_deleted": 1}

    @app.get("/tasks/{tid}/report")
    def get_report(tid: str) -> Any:
        task = state["tasks"].get(tid)
        if not task or task["status"] != "COMPLETED":
            return _err(409, "REPORT_NOT_AVAILABLE", "The report is not ready.")
        return report if report is not None else _report(task)

    @app.get("/tasks/{tid}/downloads")
    def downloads(tid: str, request: Request) -> Any:
        base = str(request.base_url).rstrip("/")
        return {"task_id": tid, "expires_in_seconds": 3600, "downloads": [
            {"download_id": "report_json", "filename": "report.json", "type": "report", "mime_type": "application/json",
             "size_bytes": 2048, "url": f"{base}/_s3/{tid}/outputs/report.json", "expires_at": _now()}]}

    app.mount("/ui", StaticFiles(directory=STATIC, html=True), name="ui")
    return app
