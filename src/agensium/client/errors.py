"""`ApiError`: every failure the client meets, in the API's own shape (status, error_code, detail, context).

It subclasses `agensium.errors.AgensiumError`, so one `except AgensiumError` catches the engine's and the
client's errors alike; `code` is the `ErrorCode` member when the server's code is one this package knows
(`INTERNAL_ERROR` otherwise), `error_code` is always the server's string as sent.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from agensium.errors import AgensiumError, ErrorCode

# what an answer without our JSON error body means (a proxy's page, a storage error, a crash)
_BY_STATUS: dict[int, ErrorCode] = {
    401: ErrorCode.AUTH_INVALID_TOKEN, 403: ErrorCode.AUTH_FORBIDDEN, 404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED, 429: ErrorCode.RATE_LIMITED, 502: ErrorCode.SERVICE_UNAVAILABLE,
    503: ErrorCode.SERVICE_UNAVAILABLE, 504: ErrorCode.SERVICE_UNAVAILABLE,
}
_S3_TAG = re.compile(r"<(Code|Message)>([^<]{0,500})</\1>")


class ApiError(AgensiumError):
    """An error answered by the Agensium API or by the storage behind a presigned URL.

    `status` is the HTTP status, or None when no answer came (connection refused, timeout).
    """

    def __init__(self, status: int | None, error_code: str, detail: str, context: dict[str, Any] | None = None,
                 *, request: str | None = None) -> None:
        super().__init__(ErrorCode.__members__.get(error_code, ErrorCode.INTERNAL_ERROR), detail, context)
        self.status = status
        self.error_code = error_code
        self.detail = detail
        self.request = request

    def to_dict(self) -> dict[str, Any]:
        return {"detail": self.detail, "error_code": self.error_code, "context": self.context}

    def __repr__(self) -> str:
        return f"ApiError(status={self.status}, error_code={self.error_code!r}, detail={self.detail!r})"


def describe(request: httpx.Request) -> str:
    """`METHOD scheme://host/path`: never the query, which holds a presigned URL's signature."""
    url = urlsplit(str(request.url))
    return f"{request.method} {url.scheme}://{url.netloc}{url.path}"


def _fallback_code(status: int) -> str:
    return _BY_STATUS.get(status, ErrorCode.INTERNAL_ERROR if status >= 500 else ErrorCode.VALIDATION_ERROR).value


def from_api(response: httpx.Response) -> ApiError:
    """The API's `{"detail", "error_code", "context"}` body as an exception (any other body: by status)."""
    where = describe(response.request)
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error_code"), str):
        context = body.get("context") if isinstance(body.get("context"), dict) else {}
        return ApiError(response.status_code, body["error_code"], str(body.get("detail", "")), context,
                        request=where)
    text = " ".join(response.text.split())[:200] or response.reason_phrase
    return ApiError(response.status_code, _fallback_code(response.status_code),
                    f"{where} answered {response.status_code}: {text}", {}, request=where)


def from_storage(response: httpx.Response) -> ApiError:
    """An S3 error (XML `<Code>`/`<Message>`) from a presigned URL, as STORAGE_ERROR with the S3 code."""
    where = describe(response.request)
    tags = dict(_S3_TAG.findall(response.text[:4000]))
    s3_code = tags.get("Code", str(response.status_code))
    detail = f"Storage refused {where} ({response.status_code} {s3_code})"
    if tags.get("Message"):
        detail += f": {tags['Message']}"
    return ApiError(response.status_code, ErrorCode.STORAGE_ERROR.value, detail,
                    {"s3_code": s3_code, "status": response.status_code}, request=where)


def from_transport(exc: httpx.TransportError, storage: bool = False) -> ApiError:
    """No answer at all: the server or the storage could not be reached or timed out."""
    where = describe(exc.request)
    code = ErrorCode.STORAGE_ERROR if storage else ErrorCode.SERVICE_UNAVAILABLE
    return ApiError(None, code.value, f"No answer from {where}: {type(exc).__name__}: {exc}",
                    {"transport_error": type(exc).__name__}, request=where)
