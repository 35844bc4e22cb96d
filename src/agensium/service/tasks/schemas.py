"""Request and response bodies of the task endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskCreateIn(_In):
    tool_id: str = Field(min_length=1, max_length=64)
    agents: list[str] | None = Field(None, max_length=50, description="A subset of the tool's agents; order is the tool's")


class FileDeclIn(_In):
    filename: str = Field(min_length=1, max_length=1024)
    content_type: str | None = Field(None, max_length=200)
    size_bytes: int = Field(ge=0, description="Exact size; the upload URL is bound to it")


class UploadUrlsIn(_In):
    files: dict[str, FileDeclIn] = Field(default_factory=dict)
    has_parameters: bool = False


class PartIn(_In):
    part_number: int = Field(ge=1, le=10_000)
    etag: str = Field(min_length=1, max_length=200)


class CompleteUploadIn(_In):
    upload_id: str = Field(min_length=1, max_length=1024)
    parts: list[PartIn] = Field(min_length=1, max_length=10_000)


class TaskOut(BaseModel):
    task_id: str
    tool_id: str
    agents: list[str]
    status: str
    progress: int
    current_agent: str | None
    progress_detail: dict[str, Any] | None
    inputs: dict[str, Any]
    has_parameters: bool
    cancel_requested: bool
    downloads_available: bool
    error_code: str | None
    error_message: str | None
    error_agent: str | None
    result_summary: dict[str, Any] | None
    created_at: datetime
    upload_started_at: datetime | None
    processing_started_at: datetime | None
    completed_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    expired_at: datetime | None
    updated_at: datetime


class Pagination(BaseModel):
    total: int
    limit: int
    offset: int
    has_more: bool


class TaskListOut(BaseModel):
    tasks: list[TaskOut]
    pagination: Pagination
