"""One error shape everywhere, and the ops endpoints."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient


def _shape(r, status, code):  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"detail", "error_code", "context"} and body["error_code"] == code
    return body


def test_framework_errors_have_the_shape(client):
    _shape(client.get("/no/such/path"), 404, "NOT_FOUND")
    _shape(client.put("/tools"), 405, "METHOD_NOT_ALLOWED")
    body = _shape(client.post("/auth/register", content=b"{broken", headers={"Content-Type": "application/json"}),
                  422, "VALIDATION_ERROR")
    assert body["context"]["errors"]
    _shape(client.get("/tasks?limit=0", headers={"Authorization": "Bearer nope"}), 401, "AUTH_INVALID_TOKEN")
    _shape(client.get("/tools/nope"), 400, "INVALID_TOOL_ID")


def test_unexpected_exception_is_500_without_trace(app_settings, caplog):
    from agensium.service.app import create_app

    app = create_app(app_settings)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals at line 42")

    with TestClient(app, raise_server_exceptions=False) as c, caplog.at_level(logging.ERROR):
        r = c.get("/boom")
    body = _shape(r, 500, "INTERNAL_ERROR")
    assert "secret internals" not in r.text and "Traceback" not in r.text and body["context"] == {}
    assert "secret internals at line 42" in caplog.text  # the trace goes to the log


def test_health_ready_docs_openapi_metrics(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert {k: v["ok"] for k, v in ready.json()["checks"].items()} == {"database": True, "storage": True,
                                                                       "broker": True}
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    for path in ("/auth/register", "/auth/login", "/tasks", "/tasks/{task_id}/upload-urls",
                 "/tasks/{task_id}/process", "/tools/{tool_id}", "/health", "/ready"):
        assert path in spec["paths"], path
    assert client.get("/metrics").status_code == 200


def test_ready_reports_a_dead_dependency(app_settings):
    from agensium.service.app import create_app

    broken = app_settings.model_copy(update={"aws_endpoint_url": "http://127.0.0.1:9", "broker_url":
                                             "redis://127.0.0.1:9/0"})
    with TestClient(create_app(broken)) as c:
        r = c.get("/ready")
    body = _shape(r, 503, "SERVICE_UNAVAILABLE")
    checks = body["context"]["checks"]
    assert checks["database"]["ok"] is True
    assert checks["storage"]["ok"] is False and checks["broker"]["ok"] is False
    # leave the process-wide defaults pointing at the healthy settings for later tests
    create_app(app_settings)


def test_catalog(client):
    tools = client.get("/tools").json()["tools"]
    assert [t["tool_id"] for t in tools] == ["profile-my-data", "clean-my-data", "master-my-data"]
    one = client.get("/tools/profile-my-data").json()
    assert [a["agent_id"] for a in one["agents"]][:2] == ["unified-profiler", "drift-detector"]
    assert one["agents"][0]["cost"] == 30 and "parameters_schema" in one["agents"][0]
    assert one["files"][0] == {**one["files"][0], "role": "primary", "required": True}


@pytest.mark.parametrize("origin", ["http://ui.example"])
def test_cors_for_configured_origin_only(client, origin):
    ok = client.options("/tasks", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert ok.headers.get("access-control-allow-origin") == origin
    bad = client.options("/tasks", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in bad.headers


def test_production_refuses_a_default_or_weak_secret():
    from pydantic import ValidationError

    from agensium.settings import DEFAULT_SECRET_KEY, Settings

    for weak in (DEFAULT_SECRET_KEY, "short-secret"):
        with pytest.raises(ValidationError, match="SECRET_KEY"):
            Settings(mode="production", secret_key=weak, _env_file=None)
    assert Settings(mode="production", secret_key="x" * 40, _env_file=None).secret_key == "x" * 40
    assert Settings(_env_file=None).embedded  # the embedded default needs no variable


def test_transient_database_errors_are_503_not_500(app_settings):
    from sqlalchemy.exc import OperationalError

    from agensium.service.app import create_app

    app = create_app(app_settings)

    @app.get("/busy")
    def busy() -> None:
        raise OperationalError("UPDATE tasks ...", {}, Exception("Deadlock found when trying to get lock"))

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/busy")
    _shape(r, 503, "SERVICE_UNAVAILABLE")
    assert r.headers["retry-after"] == "1" and "Deadlock" not in r.text
