"""Liveness and readiness: `/health` (the process answers) and `/ready` (DB, storage, broker)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from agensium.errors import ErrorCode

router = APIRouter(tags=["ops"])


@router.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


def _timed(fn: Any) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        fn()
        return {"ok": True, "ms": round((time.perf_counter() - start) * 1000, 1)}
    except Exception as exc:  # readiness reports; it never raises
        return {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}


def _ping_db(factory: Any) -> None:
    with factory() as session:
        session.execute(text("SELECT 1"))


def check_broker(url: str, timeout: float = 2.0) -> None:
    from kombu import Connection

    with Connection(url, connect_timeout=timeout, transport_options={"max_retries": 0}) as conn:
        conn.ensure_connection(max_retries=1, timeout=timeout)


@router.get("/ready")
def ready(request: Request) -> JSONResponse:
    state = request.app.state
    checks = {
        "database": _timed(lambda: _ping_db(state.session_factory)),
        "storage": _timed(state.storage.ping),
        "broker": _timed(lambda: check_broker(state.settings.effective_broker_url)),
    }
    if all(c["ok"] for c in checks.values()):
        return JSONResponse({"status": "ready", "checks": checks})
    failing = [k for k, c in checks.items() if not c["ok"]]
    return JSONResponse({"detail": f"Not ready: {', '.join(failing)}", "error_code": ErrorCode.SERVICE_UNAVAILABLE.value,
                         "context": {"checks": checks}}, status_code=503)
