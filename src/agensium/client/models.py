"""Typed answers of the API, as the client returns them.

`Task` is the service's own response model (`TaskOut`), so the two can never disagree on a field; the
billing and download answers have no response model on the server and are declared here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agensium.service.auth.schemas import TokenOut, UserOut
from agensium.service.tasks.schemas import TaskOut

# The statuses after which a task no longer changes by itself: the lifecycle's TERMINAL plus UPLOAD_FAILED
# (verification refused an input: the user must upload again). A unit test keeps this equal to
# `agensium.service.lifecycle.TERMINAL | {UPLOAD_FAILED}`; importing the lifecycle here would load SQLAlchemy
# into every client process.
SETTLED = frozenset({"COMPLETED", "FAILED", "CANCELLED", "EXPIRED", "UPLOAD_FAILED"})

__all__ = ["SETTLED", "DeleteResult", "Download", "Estimate", "EstimateLine", "LedgerEntry", "Task", "Token",
           "User", "Wallet"]

Token = TokenOut
User = UserOut


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Task(TaskOut):
    """A task as `GET /tasks/{id}` answers it."""

    model_config = ConfigDict(extra="ignore")

    @property
    def settled(self) -> bool:
        """True once the task will not change without the user doing something."""
        return self.status in SETTLED

    @property
    def succeeded(self) -> bool:
        return self.status == "COMPLETED"


class Download(_Out):
    download_id: str
    filename: str
    type: str
    mime_type: str
    size_bytes: int | None = None
    url: str = Field(repr=False)  # presigned: as good as a password until it expires
    expires_at: datetime | None = None


class LedgerEntry(_Out):
    id: str
    kind: str
    delta: int
    amount: int
    balance_after: int
    task_id: str | None = None
    tool_id: str | None = None
    agent_id: str | None = None
    reason: str | None = None
    created_at: datetime


class Wallet(_Out):
    user_id: str
    balance: int
    held: int
    recent_transactions: list[LedgerEntry] = Field(default_factory=list)


class EstimateLine(_Out):
    agent_id: str
    cost: int


class Estimate(_Out):
    tool_id: str
    agents: list[str]
    breakdown: list[EstimateLine]
    total_cost: int
    balance: int | None = None
    can_afford: bool | None = None
    shortfall: int | None = None


class DeleteResult(_Out):
    task_id: str
    files_deleted: int


# upload plans (internal: the answers of upload-urls and of the parts listing) ----------------------------
class PartUrl(_Out):
    part_number: int
    url: str = Field(repr=False)


class StoredPart(_Out):
    part_number: int
    etag: str
    size: int


class UploadPlan(_Out):
    """One role's entry in the upload-urls answer: a single PUT, or a multipart plan."""

    method: Literal["PUT", "MULTIPART"]
    url: str | None = Field(None, repr=False)
    headers: dict[str, str] = Field(default_factory=dict)
    upload_id: str | None = None
    part_size: int | None = None
    part_count: int | None = None
    parts: list[PartUrl] = Field(default_factory=list)


class UploadUrls(_Out):
    task_id: str
    status: str
    uploads: dict[str, UploadPlan]


class PartsListing(_Out):
    upload_id: str
    part_size: int
    part_count: int
    parts: list[StoredPart]
    missing_parts: list[PartUrl]


def model_list(model: type[BaseModel], items: list[dict[str, Any]]) -> list[Any]:
    return [model.model_validate(i) for i in items]
