"""Fixtures for the browser tests: headless Debian Chromium via Playwright, and servers on free ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _missing(what: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required on CI")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        _missing("Chromium (/usr/bin/chromium; `make browser` installs it)")
    from playwright.sync_api import expect, sync_playwright

    # generous waits: the suite shares two cores with Argon2, SeaweedFS and the worker
    expect.set_options(timeout=15_000)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.js_errors = errors  # type: ignore[attr-defined]
    yield p
    # the UI shows otherwise-unhandled failures in #global-notice: none may have happened either
    unhandled = p.evaluate(
        "() => { const n = document.querySelector('#global-notice'); return n && !n.hidden ? n.innerText : null; }"
    )
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
    assert not unhandled, f"unhandled failure shown in the page: {unhandled}"


@dataclass
class FakeServer:
    url: str
    state: dict[str, Any]


@contextlib.contextmanager
def serve_in_thread(app: Any, start_timeout: float = 20) -> Iterator[str]:
    """An ASGI app under uvicorn in a thread on a free port; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + start_timeout
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the API did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def fake_server() -> Iterator[Callable[..., FakeServer]]:
    """Start the in-memory fake API (tests/e2e/fake_api.py) in a thread; options go to create_fake_app."""
    from .fake_api import create_fake_app

    with contextlib.ExitStack() as servers:

        def start(**options: Any) -> FakeServer:
            app = create_fake_app(**options)
            return FakeServer(url=servers.enter_context(serve_in_thread(app)), state=app.state.fake)

        yield start
