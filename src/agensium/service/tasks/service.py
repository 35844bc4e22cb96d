"""Task rules behind the HTTP endpoints. Every status change goes through `lifecycle.transition`."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import asc, desc, func, select, update
from sqlalchemy import delete as sa_delete
from sqlalchemy.orm import Session

from agensium.engine.registry import get_tool, resolve_agents
from agensium.errors import AgensiumError, ErrorCode
from agensium.service import lifecycle
from agensium.service.lifecycle import TaskStatus as S
from agensium.service.models import Task, User
from agensium.service.storage import Storage
from agensium.service.tasks import files, verify
from agensium.service.tasks.schemas import CompleteUploadIn, TaskCreateIn, UploadUrlsIn
from agensium.settings import Settings

log = logging.getLogger(__name__)

PROGRESS_CREATED, PROGRESS_URLS, PROGRESS_VERIFIED = 0, 10, 15
SORTS = {"created_at", "updated_at", "status", "tool_id", "progress", "completed_at"}


# reading -------------------------------------------------------------------------------------------
def get_owned(session: Session, user: User, task_id: str) -> Task:
    """The user's task; another user's task is exactly as missing as one that never existed."""
    task = session.scalar(select(Task).where(Task.task_id == task_id, Task.user_id == user.id))
    if task is None:
        raise AgensiumError(ErrorCode.TASK_NOT_FOUND, f"Task {task_id} not found", {"task_id": task_id})
    return task


def downloads_available(task: Task) -> bool:
    return bool(task.outputs) and task.outputs_deleted_at is None


def to_out(task: Task) -> dict[str, Any]:
    inputs = {role: {k: v for k, v in d.items() if k in ("filename", "content_type", "size_bytes", "ext")}
              for role, d in (task.inputs or {}).items()}
    return {
        "task_id": task.task_id, "tool_id": task.tool_id, "agents": list(task.agents), "status": task.status,
        "progress": task.progress, "current_agent": task.current_agent, "progress_detail": task.progress_detail,
        "inputs": inputs, "has_parameters": task.has_parameters, "cancel_requested": task.cancel_requested,
        "downloads_available": downloads_available(task), "error_code": task.error_code,
        "error_message": task.error_message, "error_agent": task.error_agent, "result_summary": task.result_summary,
        "created_at": task.created_at, "upload_started_at": task.upload_started_at,
        "processing_started_at": task.processing_started_at, "completed_at": task.completed_at,
        "failed_at": task.failed_at, "cancelled_at": task.cancelled_at, "expired_at": task.expired_at,
        "updated_at": task.updated_at,
    }


def list_tasks(session: Session, user: User, *, status: str | None, tool_id: str | None, limit: int, offset: int,
               sort: str) -> dict[str, Any]:
    conds = [Task.user_id == user.id]
    if status:
        wanted = [s.strip().upper() for s in status.split(",") if s.strip()]
        bad = [s for s in wanted if s not in S.__members__]
        if bad:
            raise AgensiumError(ErrorCode.VALIDATION_ERROR, f"Unknown status: {', '.join(bad)}",
                                {"valid": list(S.__members__)})
        conds.append(Task.status.in_(wanted))
    if tool_id:
        get_tool(tool_id)
        conds.append(Task.tool_id == tool_id)
    field = sort.lstrip("-")
    if field not in SORTS:
        raise AgensiumError(ErrorCode.VALIDATION_ERROR, f"Cannot sort by '{sort}'",
                            {"valid": sorted(SORTS | {f"-{s}" for s in SORTS})})
    order = desc if sort.startswith("-") else asc
    total = session.scalar(select(func.count()).select_from(Task).where(*conds)) or 0
    rows = session.scalars(select(Task).where(*conds)
                           .order_by(order(getattr(Task, field)), order(Task.task_id))
                           .limit(limit).offset(offset)).all()
    return {"tasks": [to_out(t) for t in rows],
            "pagination": {"total": total, "limit": limit, "offset": offset, "has_more": offset + len(rows) < total}}


# create and upload ---------------------------------------------------------------------------------
def create_task(session: Session, user: User, body: TaskCreateIn) -> Task:
    tool = get_tool(body.tool_id)
    agents = resolve_agents(tool, body.agents)
    task = Task(user_id=user.id, tool_id=tool.id, agents=agents, status=S.CREATED.value, progress=PROGRESS_CREATED,
                inputs={})
    session.add(task)
    session.commit()
    return task


def _state_error(task: Task, action: str) -> AgensiumError:
    if task.status == S.EXPIRED:
        return AgensiumError(ErrorCode.UPLOAD_URLS_EXPIRED,
                             "This task expired before it was processed; create a new task",
                             {"task_id": task.task_id, "status": task.status})
    return AgensiumError(ErrorCode.INVALID_TASK_STATE, f"Cannot {action} a task in status {task.status}",
                         {"task_id": task.task_id, "status": task.status})


def parameters_key(storage: Storage, task: Task) -> str:
    return f"{storage.task_prefix(task.user_id, task.task_id)}inputs/parameters.json"


def issue_upload_urls(session: Session, storage: Storage, settings: Settings, task: Task,
                      body: UploadUrlsIn) -> dict[str, Any]:
    if not lifecycle.can_transition(task.status, S.UPLOADING):
        raise _state_error(task, "upload files to")
    if not body.files and not body.has_parameters:
        raise AgensiumError(ErrorCode.VALIDATION_ERROR, "Declare at least one file or has_parameters", {})
    tool = get_tool(task.tool_id)
    # validate everything before issuing a single URL
    planned: dict[str, dict[str, Any]] = {}
    for role, decl in body.files.items():
        spec = tool.file(role)
        if spec is None:
            raise AgensiumError(ErrorCode.INVALID_FILE_ROLE, f"{tool.id} takes no '{role}' file",
                                {"role": role, "valid_roles": [f.role for f in tool.files]})
        ext = files.extension(decl.filename, role, spec.formats)
        ctype = files.content_type_for(ext, decl.content_type, role)
        if decl.size_bytes == 0:
            raise AgensiumError(ErrorCode.FILE_EMPTY, f"The {role} file is empty", {"role": role})
        if decl.size_bytes > spec.max_bytes:
            raise AgensiumError(ErrorCode.FILE_TOO_LARGE,
                                f"The {role} file is {decl.size_bytes} bytes; the limit is {spec.max_bytes}",
                                {"role": role, "size_bytes": decl.size_bytes, "max_bytes": spec.max_bytes})
        planned[role] = {"key": storage.input_key(task.user_id, task.task_id, role, ext),
                         "filename": files.display_name(decl.filename), "content_type": ctype,
                         "size_bytes": decl.size_bytes, "ext": ext}

    inputs = dict(task.inputs or {})
    uploads: dict[str, Any] = {}
    expires = settings.upload_url_seconds
    for role, info in planned.items():
        old = inputs.get(role) or {}
        if old.get("upload_id"):
            storage.abort_multipart(old["key"], old["upload_id"])
        if old.get("key") and old["key"] != info["key"]:
            storage.delete_keys([old["key"]])
        if info["size_bytes"] > settings.multipart_threshold_bytes:
            plan = storage.multipart_plan(info["key"], info["content_type"], info["size_bytes"], expires_s=expires)
            info["upload_id"], info["part_size"] = plan["upload_id"], plan["part_size"]
            base = f"/tasks/{task.task_id}/uploads/{role}"
            uploads[role] = {**plan, "headers": {"Content-Type": info["content_type"]},
                             "complete_url": f"{base}/complete", "parts_url": f"{base}/parts"}
        else:
            put = storage.presign_put(info["key"], info["content_type"], expires, content_length=info["size_bytes"])
            uploads[role] = {"key": info["key"], **put}
        inputs[role] = info
    if body.has_parameters:
        key = parameters_key(storage, task)
        uploads["parameters"] = {"key": key, **storage.presign_put(key, files.PARAMETERS_CONTENT_TYPE, expires)}
    won = lifecycle.transition(session, task.task_id, S.UPLOADING, inputs=inputs, progress=PROGRESS_URLS,
                               has_parameters=bool(body.has_parameters or task.has_parameters))
    if not won:
        session.rollback()
        session.refresh(task)
        raise _state_error(task, "upload files to")
    session.commit()
    session.refresh(task)
    return {"task_id": task.task_id, "status": task.status, "uploads": uploads, "expires_in_seconds": expires}


def _multipart_decl(task: Task, role: str, upload_id: str | None = None) -> dict[str, Any]:
    if not lifecycle.can_transition(task.status, S.UPLOADING):
        raise _state_error(task, "upload files to")
    decl = (task.inputs or {}).get(role)
    if decl is None:
        raise AgensiumError(ErrorCode.INVALID_FILE_ROLE, f"No '{role}' file was declared for this task",
                            {"role": role})
    if not decl.get("upload_id") or (upload_id is not None and upload_id != decl["upload_id"]):
        raise AgensiumError(ErrorCode.VALIDATION_ERROR, f"No multipart upload in progress for '{role}'",
                            {"role": role})
    return decl


def upload_parts(storage: Storage, task: Task, role: str) -> dict[str, Any]:
    """Parts already stored, and fresh URLs for the missing ones: how a browser resumes an upload."""
    decl = _multipart_decl(task, role)
    done = storage.list_parts(decl["key"], decl["upload_id"])
    plan_size = int(decl["part_size"])
    count = max(1, -(-decl["size_bytes"] // plan_size))
    have = {p["part_number"] for p in done}
    missing = [n for n in range(1, count + 1) if n not in have]
    return {"task_id": task.task_id, "role": role, "upload_id": decl["upload_id"], "part_size": plan_size,
            "part_count": count, "parts": done,
            "missing_parts": storage.presign_parts(decl["key"], decl["upload_id"], missing)}


def complete_upload(session: Session, storage: Storage, task: Task, role: str, body: CompleteUploadIn) -> dict:
    decl = _multipart_decl(task, role, body.upload_id)
    head = storage.complete_multipart(decl["key"], body.upload_id, [p.model_dump() for p in body.parts])
    spec = get_tool(task.tool_id).file(role)
    assert spec is not None
    if head.get("size", 0) > spec.max_bytes:
        storage.delete_keys([decl["key"]])
        raise AgensiumError(ErrorCode.FILE_TOO_LARGE, f"The {role} file exceeds {spec.max_bytes} bytes",
                            {"role": role, "size_bytes": head.get("size"), "max_bytes": spec.max_bytes})
    inputs = dict(task.inputs)
    inputs[role] = {k: v for k, v in decl.items() if k not in ("upload_id", "part_size")} | {
        "size_bytes": head.get("size")}
    if not lifecycle.transition(session, task.task_id, S.UPLOADING, inputs=inputs):
        session.rollback()
        session.refresh(task)
        raise _state_error(task, "upload files to")
    session.commit()
    return {"task_id": task.task_id, "role": role, "key": decl["key"], "size_bytes": head.get("size")}


# process -------------------------------------------------------------------------------------------
def _submit(session: Session, task: Task, user: User) -> None:
    try:
        from agensium.service.queue.submit import submit_verified_task
    except ImportError:
        submit_verified_task = None
    if submit_verified_task is not None:
        submit_verified_task(session, task, user)
        return
    # queue module not installed: just the compare-and-set (nothing will run the task)
    if not lifecycle.transition(session, task.task_id, S.QUEUED, where=lifecycle.requeue_guard()):
        raise AgensiumError(ErrorCode.TASK_ALREADY_PROCESSING, "The task is already queued or processing",
                            {"task_id": task.task_id})
    session.commit()


def process(session: Session, storage: Storage, settings: Settings, task: Task, user: User) -> Task:
    status = S(task.status)
    if status in (S.QUEUED, S.PROCESSING):
        raise AgensiumError(ErrorCode.TASK_ALREADY_PROCESSING, "The task is already queued or processing",
                            {"task_id": task.task_id, "status": task.status})
    if status == S.CREATED:
        raise AgensiumError(ErrorCode.FILES_NOT_FOUND, "No files uploaded yet: request upload URLs first",
                            {"task_id": task.task_id, "task_status": task.status,
                             "missing_files": [f.role for f in get_tool(task.tool_id).files if f.required]})
    if status == S.FAILED and task.error_code != ErrorCode.BILLING_INSUFFICIENT_CREDITS:
        raise _state_error(task, "process")
    if not lifecycle.can_transition(status, S.QUEUED):
        raise _state_error(task, "process")
    tool = get_tool(task.tool_id)
    chosen = list(task.agents)
    agents = verify.default_pipeline_agents(tool, chosen, dict(task.inputs or {}))
    if agents != chosen:
        task.agents = agents  # in memory for the checks; persisted only if they all pass
    try:
        verify.verify_inputs(storage, tool, task)
    except AgensiumError as exc:
        session.rollback()  # drops the in-memory agent narrowing before any write
        session.refresh(task)
        if status in (S.UPLOADING, S.UPLOAD_FAILED):
            lifecycle.transition(session, task.task_id, S.UPLOAD_FAILED, only_from={S.UPLOADING})
            session.execute(update(Task).where(Task.task_id == task.task_id,
                                               Task.status == S.UPLOAD_FAILED.value)
                            .values(error_code=exc.code.value, error_message=exc.message)
                            .execution_options(synchronize_session=False))
            session.commit()
            session.refresh(task)
        exc.context = {**exc.context, "task_id": task.task_id, "task_status": task.status}
        raise
    try:
        verify.load_parameters(storage, settings, tool, task, parameters_key(storage, task))
    except AgensiumError as exc:
        session.rollback()
        session.refresh(task)
        exc.context = {**exc.context, "task_id": task.task_id, "task_status": task.status}
        raise
    # Serialise concurrent `process` calls on the task's primary key before any write: on MariaDB,
    # concurrent guarded UPDATEs (task_id AND status) can otherwise deadlock through index merges.
    session.execute(select(Task.task_id).where(Task.task_id == task.task_id).with_for_update())
    # verified: progress 15 (guarded so a concurrent winner's later progress is never overwritten)
    values: dict[str, Any] = {"progress": PROGRESS_VERIFIED}
    if status != S.FAILED:  # FAILED keeps its billing error code for requeue_guard()
        values |= {"error_code": None, "error_message": None, "error_agent": None}
    session.execute(update(Task).where(Task.task_id == task.task_id, Task.status == status.value).values(**values)
                    .execution_options(synchronize_session=False))
    try:
        _submit(session, task, user)
    except AgensiumError as exc:
        if exc.code == ErrorCode.BILLING_INSUFFICIENT_CREDITS:
            session.commit()  # keep the task FAILED with that code, so `process` can be retried after a top-up
        else:
            session.rollback()
        raise
    session.commit()
    session.refresh(task)
    return task


# cancel / read results / delete --------------------------------------------------------------------
def cancel(session: Session, task: Task) -> Task:
    if not lifecycle.transition(session, task.task_id, S.CANCELLED, cancel_requested=True):
        session.rollback()
        session.refresh(task)
        raise AgensiumError(ErrorCode.TASK_NOT_CANCELLABLE, f"A task in status {task.status} cannot be cancelled",
                            {"task_id": task.task_id, "status": task.status})
    session.commit()
    session.refresh(task)
    try:
        from agensium.service.queue.submit import revoke
    except ImportError:
        revoke = None
    if revoke is not None:
        try:
            revoke(task)
        except Exception:  # the worker also checks the flag; a failed revoke is not fatal
            log.warning("could not revoke the queued job of task %s", task.task_id, exc_info=True)
    return task


def _download_type(out: dict[str, Any]) -> str:
    return str(out.get("kind") or "other")


def list_downloads(storage: Storage, settings: Settings, task: Task) -> dict[str, Any]:
    items = []
    if downloads_available(task):
        from datetime import UTC, datetime, timedelta

        expires_at = (datetime.now(UTC) + timedelta(seconds=settings.download_url_seconds)).isoformat()
        for out in task.outputs or []:
            name = out["name"]
            items.append({
                "download_id": name.replace(".", "_").replace(" ", "_"), "filename": name,
                "type": _download_type(out), "mime_type": out.get("mime_type", "application/octet-stream"),
                "size_bytes": out.get("size_bytes"), "url": storage.presign_get(out["key"], name),
                "expires_at": expires_at,
            })
    return {"task_id": task.task_id, "downloads": items, "expires_in_seconds": settings.download_url_seconds}


MAX_REPORT_BYTES = 200 * 1024 * 1024


def read_report(storage: Storage, task: Task) -> dict[str, Any]:
    if task.status != S.COMPLETED or not downloads_available(task):
        raise AgensiumError(ErrorCode.REPORT_NOT_AVAILABLE, f"No report yet: the task is {task.status}",
                            {"task_id": task.task_id, "status": task.status})
    candidates = [o for o in task.outputs or [] if o.get("kind") == "report"
                  and (o.get("mime_type") == "application/json" or o["name"].endswith(".json"))
                  and o["name"] != "manifest.json"]
    if not candidates:
        raise AgensiumError(ErrorCode.REPORT_NOT_AVAILABLE, "This task has no JSON report",
                            {"task_id": task.task_id, "status": task.status})
    raw = storage.read_bytes(candidates[0]["key"], MAX_REPORT_BYTES)
    return json.loads(raw)


def delete_task(session: Session, storage: Storage, task: Task) -> dict[str, Any]:
    """Refuses while QUEUED/PROCESSING (cancel first): a running worker would write outputs afterwards."""
    if task.status in (S.QUEUED, S.PROCESSING):
        raise AgensiumError(ErrorCode.TASK_ALREADY_PROCESSING,
                            "The task is queued or running; cancel it first, then delete it",
                            {"task_id": task.task_id, "status": task.status})
    task_id = task.task_id
    deleted = storage.delete_prefix(storage.task_prefix(task.user_id, task_id))
    gone = session.execute(
        sa_delete(Task).where(Task.task_id == task_id, Task.status.notin_([S.QUEUED.value, S.PROCESSING.value]))
        .execution_options(synchronize_session=False)
    ).rowcount
    if gone != 1:  # `process` won a race in between
        session.rollback()
        raise AgensiumError(ErrorCode.TASK_ALREADY_PROCESSING, "The task started processing; cancel it first",
                            {"task_id": task_id})
    session.commit()
    session.expunge(task)
    return {"task_id": task_id, "files_deleted": deleted}
