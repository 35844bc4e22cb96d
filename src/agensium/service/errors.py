"""ErrorCode → HTTP status, and the handlers that give every error the same shape.

Shape everywhere: `{"detail": str, "error_code": str, "context": {...}}` — for our own errors, for
FastAPI's 404/405/422, and for unexpected exceptions (500, trace only in the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from agensium.errors import AgensiumError, ErrorCode

log = logging.getLogger(__name__)

E = ErrorCode

HTTP_STATUS: dict[ErrorCode, int] = {
    E.VALIDATION_ERROR: 422,
    E.NOT_FOUND: 404,
    E.METHOD_NOT_ALLOWED: 405,
    E.INVALID_TOOL_ID: 400,
    E.INVALID_AGENT: 400,
    E.INVALID_FILE_ROLE: 400,
    E.INVALID_PARAMETERS: 400,
    E.TASK_NOT_FOUND: 404,
    E.INVALID_TASK_STATE: 409,
    E.TASK_ALREADY_PROCESSING: 409,
    E.TASK_NOT_CANCELLABLE: 409,
    E.UPLOAD_URLS_EXPIRED: 410,
    E.REPORT_NOT_AVAILABLE: 409,
    E.FILES_NOT_FOUND: 400,
    E.FILE_TOO_LARGE: 400,
    E.FILE_EMPTY: 400,
    E.UNSUPPORTED_FORMAT: 400,
    E.UNREADABLE_FILE: 400,
    E.ENCODING_ERROR: 400,
    E.MISSING_BASELINE: 400,
    E.INVALID_SCHEMA_FILE: 400,
    E.AGENT_ERROR: 500,
    E.TIMEOUT: 504,
    E.CANCELLED: 409,
    E.WORKER_LOST: 500,
    E.STORAGE_ERROR: 503,
    E.BILLING_INSUFFICIENT_CREDITS: 402,
    E.BILLING_INVALID_AMOUNT: 400,
    E.AUTH_INVALID_CREDENTIALS: 401,
    E.AUTH_NOT_VERIFIED: 403,
    E.AUTH_INVALID_TOKEN: 401,
    E.AUTH_INVALID_CODE: 400,
    E.AUTH_TOO_MANY_ATTEMPTS: 429,
    E.AUTH_EMAIL_TAKEN: 409,
    E.AUTH_WEAK_PASSWORD: 400,
    E.AUTH_FORBIDDEN: 403,
    E.AUTH_INACTIVE: 403,
    E.RATE_LIMITED: 429,
    E.SERVICE_UNAVAILABLE: 503,
    E.INTERNAL_ERROR: 500,
}


def status_for(code: ErrorCode) -> int:
    return HTTP_STATUS.get(code, 400)


def error_response(code: ErrorCode, detail: str, context: dict[str, Any] | None = None,
                   status: int | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"detail": detail, "error_code": code.value, "context": context or {}}
    return JSONResponse(body, status_code=status or status_for(code), headers=headers)


def _headers_for(exc: AgensiumError) -> dict[str, str] | None:
    if exc.code in (E.AUTH_INVALID_TOKEN, E.AUTH_INVALID_CREDENTIALS):
        return {"WWW-Authenticate": "Bearer"}
    if exc.code in (E.RATE_LIMITED, E.AUTH_TOO_MANY_ATTEMPTS) and "retry_after_seconds" in exc.context:
        return {"Retry-After": str(exc.context["retry_after_seconds"])}
    return None


_HTTP_CODES = {404: E.NOT_FOUND, 405: E.METHOD_NOT_ALLOWED, 401: E.AUTH_INVALID_TOKEN, 403: E.AUTH_FORBIDDEN,
               429: E.RATE_LIMITED, 503: E.SERVICE_UNAVAILABLE}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AgensiumError)
    async def _agensium(_req: Request, exc: AgensiumError) -> JSONResponse:
        return error_response(exc.code, exc.message, exc.context, headers=_headers_for(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"Invalid request: {'.'.join(first['loc'])}: {first['msg']}"
        return error_response(E.VALIDATION_ERROR, detail, {"errors": errors}, status=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, E.INTERNAL_ERROR if exc.status_code >= 500 else E.VALIDATION_ERROR)
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404:
            detail = f"Not found: {req.url.path}"
        elif exc.status_code == 405:
            detail = f"Method {req.method} is not allowed on {req.url.path}"
        return error_response(code, detail, {}, status=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def _database(req: Request, exc: OperationalError) -> JSONResponse:
        # deadlock victim, lock timeout, lost connection: transient, the client may retry
        log.warning("database error on %s %s: %s", req.method, req.url.path, exc.orig)
        return error_response(E.SERVICE_UNAVAILABLE, "The database is busy or unreachable; try again",
                              {}, status=503, headers={"Retry-After": "1"})

    @app.exception_handler(Exception)
    async def _unexpected(req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", req.method, req.url.path)
        return error_response(E.INTERNAL_ERROR, "An internal error occurred", {}, status=500)
