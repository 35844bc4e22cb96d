"""The browser UI against the real server (`agensium serve`: embedded SeaweedFS, SQLite, worker).

A person's path: register, read the code from the outbox, verify, log in, run profile-my-data on
a small CSV (direct upload to storage with a progress bar), watch the task settle, open the report.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .real_server import RealServer, run_server, serve_available

pytestmark = pytest.mark.browser

PASSWORD = "Correct-Horse-42-battery"
MULTIPART_THRESHOLD = 1024 * 1024
SIGNUP_CREDITS = 150
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "UPLOAD_FAILED", "EXPIRED")
# screenshots of the real UI land in the (git-ignored) var/ of the checkout, to look at after a run
SCREENSHOTS = Path(os.environ.get("AGENSIUM_SCREENSHOT_DIR", Path(__file__).resolve().parents[2] / "var" / "screenshots"))


def _need_serve() -> None:
    if not serve_available():
        if os.environ.get("CI") == "true":
            pytest.fail("`agensium serve` is required on CI")
        pytest.skip("`agensium serve` is not available yet")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealServer]:
    _need_serve()
    # the embedded default (SQLite broker) unless a Redis broker is asked for, with a queue of its own
    # files over 1 MiB go up in 5 MiB parts, so the multipart path is exercised with a small file
    # and a new account gets 150 credits: enough for a profile run, not for mastering (460)
    env = {"AGENSIUM_MULTIPART_THRESHOLD_BYTES": str(MULTIPART_THRESHOLD),
           "AGENSIUM_MULTIPART_PART_BYTES": str(5 * 1024 * 1024), "AGENSIUM_SIGNUP_CREDITS": str(SIGNUP_CREDITS)}
    if os.environ.get("AGENSIUM_E2E_REDIS_URL"):
        env |= {"REDIS_URL": os.environ["AGENSIUM_E2E_REDIS_URL"], "AGENSIUM_QUEUE_NAME": f"e2e-{uuid.uuid4().hex[:8]}"}
    with run_server(tmp_path_factory.mktemp("agensium-var"), extra_env=env) as srv:
        yield srv


def sign_up_and_log_in(page: Any, srv: RealServer) -> str:
    email = f"analyst-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(f"{srv.url}/")
    expect(page).to_have_url(f"{srv.url}/ui/")
    page.get_by_role("tab", name="Register").click()
    page.get_by_label("Full name (optional)").fill("Ada Analyst")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    started = time.time() - 1
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_label("Verification code")).to_be_visible()
    code = srv.newest_code(email, after=started)
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("Your e-mail is verified")).to_be_visible()
    expect(page.get_by_label("E-mail")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".agent-row").first).to_be_visible()
    expect(page.locator(".user-email")).to_have_text("Ada Analyst")
    return email


def shoot(page: Any, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    try:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SCREENSHOTS / path.name)
    except OSError:
        pass
    return path


def wait_settled(page: Any, timeout_s: float = 90) -> str:
    """Wait until the newest task shows a final status; the list polls the API by itself."""
    page.wait_for_function(
        "terminal => terminal.includes(document.querySelector('.task')?.dataset.status)",
        arg=list(TERMINAL), timeout=timeout_s * 1000,
    )
    return page.locator(".task").first.get_attribute("data-status")


def test_profile_my_data_flow(page: Any, server: RealServer, tmp_path: Path) -> None:
    sign_up_and_log_in(page, server)
    data = tmp_path / "customers.csv"
    data.write_text("id,name,email,age\n" + "".join(
        f"{i},Name {i},user{i}@example.com,{20 + i % 50}\n" for i in range(200)))
    page.get_by_label("Profile My Data").check()
    expect(page.locator("#credits")).to_have_text(re.compile(r"^[\d,]+ credits$"))
    balance = page.locator("#credits").inner_text()
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(data))
    chosen = page.locator(".agent-row:has(input[name=agents]:checked) .agent-name").all_inner_texts()
    assert "Unified Profiler" in chosen
    total = int(page.locator(".cost-line .total").get_attribute("data-total"))
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    page.wait_for_function("() => document.querySelector('.upload-progress progress')?.value === 100")
    expect(page.locator(".upload-progress .pct")).to_have_text("100%")
    expect(page.locator(".task").first).to_be_visible()
    status = wait_settled(page)
    task = page.locator(".task").first
    expect(task.locator(".badge")).to_have_text(status.replace("_", " ").capitalize())
    shoot(page, tmp_path, "tasks")
    problem = task.locator(".task-error").all_inner_texts()
    assert status == "COMPLETED", f"task ended {status}: {problem}\n{server.log_tail()}"
    # the settled run has captured its credits: the balance went down by at most the run's cost,
    # and the wallet's history shows the hold for the whole pipeline
    expect(page.locator("#credits")).not_to_have_text(balance)
    expect(page.locator("#credits")).to_have_text(re.compile(r"^[\d,]+ credits$"))  # nothing held any more
    before, after = (int(t.split()[0].replace(",", "")) for t in (balance, page.locator("#credits").inner_text()))
    assert before - total <= after < before
    page.locator("#credits").click()
    ledger = page.get_by_role("table", name="Recent credit movements")
    expect(ledger.locator("tr", has_text=re.compile(r"Hold · ")).first).to_contain_text(f"-{total}")
    page.keyboard.press("Escape")
    expect(ledger).to_be_hidden()
    task.get_by_role("button", name="View report").click()
    sections = page.locator(".agent-section")
    expect(sections.first).to_be_visible()
    # one section per chosen agent, in pipeline order, each with its summary
    assert page.locator(".agent-section summary .agent-title").all_inner_texts() == chosen
    assert sections.filter(has=page.locator(".kv")).count() == len(chosen)
    links = page.locator(".downloads a")
    expect(links.first).to_be_visible()
    names = links.all_inner_texts()
    assert any(n.endswith(".json") for n in names) and any(n.endswith(".html") for n in names), names
    # a download link is a working presigned URL to storage, with the file's name
    href = links.filter(has_text=".json").first.get_attribute("href")
    resp = page.request.get(href)
    assert resp.ok and resp.json()["metadata"]["tool_id"] == "profile-my-data"
    shoot(page, tmp_path, "report")


def test_large_file_goes_up_in_parts_to_real_storage(page: Any, server: RealServer, tmp_path: Path) -> None:
    """SeaweedFS must let the browser read each part's ETag (CORS ExposeHeaders) for the complete call."""
    sign_up_and_log_in(page, server)
    data = tmp_path / "wide.csv"
    row = "{i},{i}.5,name-{i:08d},2024-01-{d:02d},category-{c}\n"
    data.write_text("id,value,name,day,category\n" + "".join(
        row.format(i=i, d=i % 28 + 1, c=i % 7) for i in range(150_000)))
    size = data.stat().st_size
    assert size > 5 * 1024 * 1024 + MULTIPART_THRESHOLD  # at least two parts of 5 MiB (the S3 minimum)
    parts: list[str] = []
    completes: list[int] = []
    page.on("request", lambda r: parts.append(r.url) if r.method == "PUT" and "partNumber=" in r.url else None)
    page.on("response", lambda r: completes.append(r.status) if r.url.endswith("/uploads/primary/complete") else None)
    for agent in ("score-risk", "test-coverage-agent", "readiness-rater"):  # a quick run is enough
        box = page.locator(f'input[name=agents][value="{agent}"]')
        if box.count() and box.is_checked():
            box.uncheck()
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(data))
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    page.wait_for_function("() => document.querySelector('.upload-progress progress')?.value === 100")
    status = wait_settled(page)
    problem = page.locator(".task").first.locator(".task-error").all_inner_texts()
    assert status == "COMPLETED", f"task ended {status}: {problem}\n{server.log_tail()}"
    assert len(parts) >= 2 and completes == [200], (parts, completes)


def test_insufficient_credits_shows_available_and_required(page: Any, server: RealServer, tmp_path: Path) -> None:
    sign_up_and_log_in(page, server)
    data = tmp_path / "people.csv"
    data.write_text("id,first_name,surname\n1,Ann,Lee\n2,Bob,Ray\n3,Ann,Lee\n")
    page.get_by_label("Master My Data").check()
    total = int(page.locator(".cost-line .total").get_attribute("data-total"))
    assert total > SIGNUP_CREDITS
    expect(page.locator(".cost-line")).to_contain_text("Not enough credits")
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(data))
    page.get_by_role("button", name="Upload and run Master My Data").click()
    alert = page.locator(".new-task .notice-error")
    expect(alert).to_be_visible()
    assert alert.get_attribute("data-error-code") == "BILLING_INSUFFICIENT_CREDITS"
    expect(alert).to_contain_text(f"Available: {SIGNUP_CREDITS}")
    expect(alert).to_contain_text(f"Required: {total}")
    # the task waits for credits with its files kept; running it again answers the same, clearly
    task = page.locator(".task").first
    expect(task).to_have_attribute("data-status", "FAILED")
    task.get_by_role("button", name="Run again").click()
    expect(page.locator("#tasks .notice-error")).to_contain_text(f"Available: {SIGNUP_CREDITS}")
    expect(page.locator("#credits")).to_have_text(f"{SIGNUP_CREDITS} credits")


def test_pdf_named_csv_shows_the_api_error(page: Any, server: RealServer, tmp_path: Path) -> None:
    sign_up_and_log_in(page, server)
    fake = tmp_path / "numbers.csv"
    fake.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 512)
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(fake))
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    alert = page.locator(".new-task .notice-error")
    expect(alert).to_be_visible(timeout=30_000)
    assert alert.get_attribute("data-error-code") in ("UNSUPPORTED_FORMAT", "UNREADABLE_FILE")
    assert alert.locator(".notice-detail").inner_text().strip()
    task = page.locator(".task").first
    expect(task).to_have_attribute("data-status", "UPLOAD_FAILED")
    shoot(page, tmp_path, "bad-input")


def test_forgot_password_then_log_in_with_the_new_one(page: Any, server: RealServer) -> None:
    email = sign_up_and_log_in(page, server)
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_label("E-mail")).to_have_value(email)
    started = time.time() - 1
    page.get_by_role("button", name="Send a reset code").click()
    expect(page.get_by_label("Reset code")).to_be_visible()
    page.get_by_label("Reset code").fill(server.newest_code(email, after=started))
    page.get_by_label("New password", exact=True).fill(PASSWORD + "-new")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()
    # the old password is refused with the API's message; the new one works
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    alert = page.locator(".auth-card .notice-error")
    expect(alert).to_be_visible()
    assert alert.get_attribute("data-error-code") == "AUTH_INVALID_CREDENTIALS"
    page.get_by_label("Password").fill(PASSWORD + "-new")
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.locator(".agent-row").first).to_be_visible()
