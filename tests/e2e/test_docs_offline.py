"""/docs (Swagger UI) and /redoc render in headless Chromium with every request outside the server refused.

Before fastapi-offline the pages loaded their scripts from a CDN and stayed blank without internet; here
any request to another origin is aborted and recorded, so a page that still needed one fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from .conftest import serve_in_thread

pytestmark = pytest.mark.browser
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def api_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn; the docs pages need neither storage nor a worker."""
    from agensium.service.app import create_app
    from agensium.settings import Settings

    var = tmp_path_factory.mktemp("docs-var")
    settings = Settings(var_dir=var, database_url=f"sqlite:///{var / 'a.db'}", aws_endpoint_url="http://127.0.0.1:9",
                        secret_key="docs-test-" + "k" * 40, _env_file=None)
    with serve_in_thread(create_app(settings)) as url:
        yield url


def _offline(page: Any, origin: str) -> list[tuple[str, str]]:
    """Abort every request that leaves `origin`; returns (resource type, URL) of those that were tried."""
    outside: list[tuple[str, str]] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(origin + "/"):
            r.continue_()
        else:
            outside.append((r.request.resource_type, r.request.url))
            r.abort("internetdisconnected")

    page.route("**/*", route)
    return outside


def _operations(api_url: str) -> list[tuple[str, str, int]]:
    """(METHOD, path, number of tags) of every operation in the app's own OpenAPI document."""
    spec = httpx.get(f"{api_url}/openapi.json", timeout=10).json()
    return [(m.upper(), p, max(1, len(op.get("tags", [])))) for p, item in spec["paths"].items()
            for m, op in item.items() if m in METHODS]


def test_swagger_ui_renders_every_operation_offline(page: Any, api_url: str, tmp_path: Path) -> None:
    outside = _offline(page, api_url)
    page.goto(f"{api_url}/docs")
    ops = _operations(api_url)
    blocks = page.locator(".opblock-summary")
    expect(blocks.first).to_be_visible()
    expect(blocks).to_have_count(sum(tags for _, _, tags in ops))  # listed once under each of its tags
    shown = {(m.strip().upper(), p.replace("\u200b", "").strip()) for m, p in zip(
        page.locator(".opblock-summary-method").all_inner_texts(),
        page.locator(".opblock-summary-path").all_inner_texts(), strict=True)}
    assert shown == {(m, p) for m, p, _ in ops}
    assert ("POST", "/tasks/{task_id}/upload-urls") in shown
    # an operation opens with its parameters, as a person would use it
    page.locator(".opblock-summary", has_text="/tasks/{task_id}/process").first.click()
    expect(page.locator(".opblock.is-open .parameters-container")).to_be_visible()
    page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)
    assert outside == []


def test_redoc_renders_offline(page: Any, api_url: str) -> None:
    outside = _offline(page, api_url)
    page.goto(f"{api_url}/redoc")
    expect(page.locator("[data-section-id^='operation/']").first).to_be_attached()
    expect(page.locator("[data-section-id^='operation/']")).to_have_count(sum(t for _, _, t in _operations(api_url)))
    expect(page.get_by_text("/tasks/{task_id}/upload-urls").first).to_be_attached()
    # ReDoc's sidebar credit is an image on its vendor's CDN (not configurable through FastAPI): offline it is
    # a missing picture; every script and style sheet the page needs came from the server
    assert [kind for kind, _ in outside if kind != "image"] == [], outside
