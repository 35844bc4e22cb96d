"""The one catalog of error codes, shared by the engine, the service and the CLI.

The engine raises `AgensiumError` with a code; the service maps codes to HTTP statuses in one table
(`service/errors.py`). Adding a code means adding it here and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    # request / catalog
    VALIDATION_ERROR = "VALIDATION_ERROR"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    INVALID_TOOL_ID = "INVALID_TOOL_ID"
    INVALID_AGENT = "INVALID_AGENT"
    INVALID_FILE_ROLE = "INVALID_FILE_ROLE"
    INVALID_PARAMETERS = "INVALID_PARAMETERS"
    # tasks
    TASK_NOT_FOUND = "TASK_NOT_FOUND"
    INVALID_TASK_STATE = "INVALID_TASK_STATE"
    TASK_ALREADY_PROCESSING = "TASK_ALREADY_PROCESSING"
    TASK_NOT_CANCELLABLE = "TASK_NOT_CANCELLABLE"
    UPLOAD_URLS_EXPIRED = "UPLOAD_URLS_EXPIRED"
    REPORT_NOT_AVAILABLE = "REPORT_NOT_AVAILABLE"
    # inputs
    FILES_NOT_FOUND = "FILES_NOT_FOUND"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    FILE_EMPTY = "FILE_EMPTY"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    UNREADABLE_FILE = "UNREADABLE_FILE"
    ENCODING_ERROR = "ENCODING_ERROR"
    MISSING_BASELINE = "MISSING_BASELINE"
    INVALID_SCHEMA_FILE = "INVALID_SCHEMA_FILE"
    # execution
    AGENT_ERROR = "AGENT_ERROR"
    CONTRACT_VIOLATION = "CONTRACT_VIOLATION"
    TIMEOUT = "TIMEOUT"
    CANCELLED = "CANCELLED"
    WORKER_LOST = "WORKER_LOST"
    STORAGE_ERROR = "STORAGE_ERROR"
    # billing
    BILLING_INSUFFICIENT_CREDITS = "BILLING_INSUFFICIENT_CREDITS"
    BILLING_INVALID_AMOUNT = "BILLING_INVALID_AMOUNT"
    # auth
    AUTH_INVALID_CREDENTIALS = "AUTH_INVALID_CREDENTIALS"
    AUTH_NOT_VERIFIED = "AUTH_NOT_VERIFIED"
    AUTH_INVALID_TOKEN = "AUTH_INVALID_TOKEN"
    AUTH_INVALID_CODE = "AUTH_INVALID_CODE"
    AUTH_TOO_MANY_ATTEMPTS = "AUTH_TOO_MANY_ATTEMPTS"
    AUTH_EMAIL_TAKEN = "AUTH_EMAIL_TAKEN"
    AUTH_WEAK_PASSWORD = "AUTH_WEAK_PASSWORD"
    AUTH_FORBIDDEN = "AUTH_FORBIDDEN"
    AUTH_INACTIVE = "AUTH_INACTIVE"
    RATE_LIMITED = "RATE_LIMITED"
    # infrastructure
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


class AgensiumError(Exception):
    """An expected failure with a specific code, a human message and structured context."""

    def __init__(self, code: ErrorCode, message: str, context: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.context = context or {}

    def to_dict(self) -> dict[str, Any]:
        return {"detail": self.message, "error_code": self.code.value, "context": self.context}
