"""HTTP endpoints of the task domain (`/tasks/...`, DESIGN §4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query
from sqlalchemy.orm import Session

from agensium.service.deps import current_user, get_session, get_settings_dep, get_storage_dep
from agensium.service.models import User
from agensium.service.storage import Storage
from agensium.service.tasks import service
from agensium.service.tasks.schemas import CompleteUploadIn, TaskCreateIn, TaskListOut, TaskOut, UploadUrlsIn
from agensium.settings import Settings

router = APIRouter(prefix="/tasks", tags=["tasks"])

TaskId = Path(min_length=1, max_length=64)
Role = Path(min_length=1, max_length=32)


@router.post("", status_code=201, response_model=TaskOut)
def create_task(body: TaskCreateIn, user: User = Depends(current_user),
                session: Session = Depends(get_session)) -> dict[str, Any]:
    """A new task in CREATED for a tool and (optionally) a subset of its agents."""
    return service.to_out(service.create_task(session, user, body))


@router.get("", response_model=TaskListOut)
def list_tasks(status: str | None = Query(None, description="One status or several, comma-separated"),
               tool_id: str | None = None, limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0),
               sort: str = Query("-created_at", description="Field, '-' prefix for descending"),
               user: User = Depends(current_user), session: Session = Depends(get_session)) -> dict[str, Any]:
    return service.list_tasks(session, user, status=status, tool_id=tool_id, limit=limit, offset=offset, sort=sort)


@router.get("/{task_id}", response_model=TaskOut)
def get_task(task_id: str = TaskId, user: User = Depends(current_user),
             session: Session = Depends(get_session)) -> dict[str, Any]:
    return service.to_out(service.get_owned(session, user, task_id))


@router.post("/{task_id}/upload-urls")
def upload_urls(body: UploadUrlsIn, task_id: str = TaskId, user: User = Depends(current_user),
                session: Session = Depends(get_session), storage: Storage = Depends(get_storage_dep),
                settings: Settings = Depends(get_settings_dep)) -> dict[str, Any]:
    """Presigned PUT URLs (or a multipart plan for large files) bound to key, Content-Type and size."""
    task = service.get_owned(session, user, task_id)
    return service.issue_upload_urls(session, storage, settings, task, body)


@router.get("/{task_id}/uploads/{role}/parts")
def upload_parts(role: str = Role, task_id: str = TaskId, user: User = Depends(current_user),
                 session: Session = Depends(get_session),
                 storage: Storage = Depends(get_storage_dep)) -> dict[str, Any]:
    """Parts of a multipart upload already stored, and fresh URLs for the missing ones (resume)."""
    return service.upload_parts(storage, service.get_owned(session, user, task_id), role)


@router.post("/{task_id}/uploads/{role}/complete")
def complete_upload(body: CompleteUploadIn, role: str = Role, task_id: str = TaskId, user: User = Depends(current_user),
                    session: Session = Depends(get_session),
                    storage: Storage = Depends(get_storage_dep)) -> dict[str, Any]:
    return service.complete_upload(session, storage, service.get_owned(session, user, task_id), role, body)


@router.post("/{task_id}/process", status_code=202, response_model=TaskOut)
def process(task_id: str = TaskId, user: User = Depends(current_user), session: Session = Depends(get_session),
            storage: Storage = Depends(get_storage_dep),
            settings: Settings = Depends(get_settings_dep)) -> dict[str, Any]:
    """Verify inputs and parameters, reserve credits, enqueue; answers at once."""
    task = service.get_owned(session, user, task_id)
    return service.to_out(service.process(session, storage, settings, task, user))


@router.post("/{task_id}/cancel", response_model=TaskOut)
def cancel(task_id: str = TaskId, user: User = Depends(current_user),
           session: Session = Depends(get_session)) -> dict[str, Any]:
    return service.to_out(service.cancel(session, service.get_owned(session, user, task_id)))


@router.get("/{task_id}/downloads")
def downloads(task_id: str = TaskId, user: User = Depends(current_user), session: Session = Depends(get_session),
              storage: Storage = Depends(get_storage_dep),
              settings: Settings = Depends(get_settings_dep)) -> dict[str, Any]:
    return service.list_downloads(storage, settings, service.get_owned(session, user, task_id))


@router.get("/{task_id}/report")
def report(task_id: str = TaskId, user: User = Depends(current_user), session: Session = Depends(get_session),
           storage: Storage = Depends(get_storage_dep)) -> dict[str, Any]:
    return service.read_report(storage, service.get_owned(session, user, task_id))


@router.delete("/{task_id}")
def delete_task(task_id: str = TaskId, user: User = Depends(current_user), session: Session = Depends(get_session),
                storage: Storage = Depends(get_storage_dep)) -> dict[str, Any]:
    """Delete every object under the task's prefix, then the task (refused while queued/running)."""
    return service.delete_task(session, storage, service.get_owned(session, user, task_id))
