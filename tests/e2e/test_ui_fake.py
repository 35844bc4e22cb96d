"""The UI's own logic against an in-memory API that follows the documented contract.

Covers what the real server cannot be made to answer on demand: generated parameter forms and the
changed-only parameters.json, multipart uploads with ETags, a 402 with available/required, the
report rendering of tables/charts, and that server strings are inserted as text, never markup.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from .fake_api import CODE

pytestmark = pytest.mark.browser

CSV = "id,name\n1,Ann\n2,Bob\n3,\n"


def login(page: Any, url: str, email: str = "ana@example.com", password: str = "s3cret-pass!") -> None:
    """Register, verify with the code and log in, through the UI as a person would."""
    page.goto(f"{url}/")
    page.get_by_role("tab", name="Register").click()
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Register").click()
    page.get_by_label("Verification code").fill(CODE)
    page.get_by_role("button", name="Verify", exact=True).click()
    page.get_by_text("Your e-mail is verified").wait_for()
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.locator(".agent-row").first.wait_for()


def write_csv(tmp_path: Path, name: str = "people.csv", text: str = CSV) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_changed_parameters_only_and_report(page: Any, fake_server: Any, tmp_path: Path) -> None:
    srv = fake_server()
    login(page, srv.url)
    # the demo schema of unified-profiler: every field shape becomes a control with its default
    agent = page.locator('[data-agent-id="unified-profiler"]')
    agent.get_by_text("Advanced settings").click()
    assert agent.get_by_label("Threshold").input_value() == "1.5"
    assert agent.get_by_label("Threshold").get_attribute("max") == "10"
    assert agent.get_by_label("Max rows").input_value() == "1000"
    assert agent.get_by_label("Enabled").is_checked()
    assert agent.get_by_label("Method").locator("option:checked").inner_text() == "iqr"
    assert agent.get_by_label("Strict").locator("option:checked").inner_text() == "(not set)"
    # drift needs a baseline: offered only once a baseline file is chosen
    drift = page.locator('input[name=agents][value="drift-detector"]')
    assert drift.is_disabled() and not drift.is_checked()
    # the total shows the selected agents' costs (drift excluded) and the balance
    assert page.locator(".cost-line .total").get_attribute("data-total") == str(30 + 35 + 30 + 25)
    assert "5,000" in page.locator(".cost-line .balance").inner_text()

    agent.get_by_label("Threshold").fill("3")
    agent.get_by_label("Mode").select_option(label="cap")
    agent.get_by_label("Columns").fill("id, name")
    agent.get_by_label("Enabled").uncheck()
    assert agent.get_by_label("Expected Types").get_attribute("placeholder") == '{"column":"numeric"}'
    agent.get_by_label("Expected Types").fill('{"id": "numeric"}')
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(write_csv(tmp_path)))
    page.get_by_role("button", name="Upload and run Profile My Data").click()

    bar = page.locator(".upload-progress progress")
    page.wait_for_function("() => document.querySelector('.upload-progress progress')?.value === 100")
    assert bar.count() == 1
    task = page.locator(".task").first
    task.locator('[data-status="COMPLETED"], .badge-completed').first.wait_for()

    (tid, params), = srv.state["parameters"].items()
    assert params == {"unified-profiler": {"threshold": 3, "mode": "cap", "enabled": False,
                                           "columns": ["id", "name"], "expected_types": {"id": "numeric"}}}
    assert srv.state["objects"][f"{tid}/inputs/primary"]["data"].decode() == CSV
    assert srv.state["objects"][f"{tid}/inputs/primary"]["content_type"] == "text/csv"
    assert srv.state["tasks"][tid]["agents"] == ["unified-profiler", "score-risk", "test-coverage-agent",
                                                 "readiness-rater"]

    task.get_by_role("button", name="View report").click()
    section = page.locator('.agent-section[data-agent-id="unified-profiler"]')
    section.wait_for()
    # summary key/values, the data table (the markup-looking cell stays text), the SVG chart
    assert "97.5" in section.locator(".kv").first.inner_text()
    section.get_by_text("Settings used (2)").click()
    assert section.locator(".agent-params dd").all_inner_texts() == ["3", "cap"]
    assert section.locator("table td", has_text="<b>name</b>").count() == 1
    assert section.locator("table b").count() == 0
    assert section.locator("svg rect.bar").count() == 2
    line_chart = section.locator("figure.chart", has_text="Drift over time")
    assert line_chart.locator("svg polyline").count() == 2
    assert line_chart.locator(".legend li").all_inner_texts() == ["psi", "ks"]
    # a negative value puts the zero line inside the plot, with a round tick below it
    assert "-0.2" in line_chart.locator("svg text.tick").all_text_contents()
    assert page.locator('.alert-group[data-severity="high"]').count() == 1
    assert page.get_by_role("link", name="report.json").get_attribute("href").endswith("/outputs/report.json")
    nav = page.get_by_role("navigation", name="Report contents")
    assert nav.get_by_role("button").all_inner_texts() == [
        "Summary", "Downloads", "Alerts", "Recommendations", "Unified Profiler", "Row-level issues"]
    nav.get_by_role("button", name="Unified Profiler").click()
    expect(section.locator("summary").first).to_be_focused()
    row_table = page.get_by_role("table", name="Row-level issue sample")
    assert row_table.locator("tbody tr").count() == 1
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_multipart_upload_collects_etags_and_resumes(page: Any, fake_server: Any, tmp_path: Path) -> None:
    # part 3's URL is refused once (as an expired link is): the page asks for fresh URLs and resumes
    srv = fake_server(multipart_threshold=100_000, part_size=64 * 1024, refuse_part_once=3)
    login(page, srv.url)
    rows = "".join(f"{i},name-{i:06d}\n" for i in range(20_000))
    big = write_csv(tmp_path, "big.csv", "id,name\n" + rows)
    size = big.stat().st_size
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(big))
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    page.locator(".badge-completed").first.wait_for()
    page.wait_for_function("() => document.querySelector('.upload-progress progress')?.value === 100")

    (call,) = srv.state["complete_calls"]
    n_parts = -(-size // (64 * 1024))
    assert call["role"] == "primary" and call["upload_id"] == "up-primary"
    assert [p["part_number"] for p in call["parts"]] == list(range(1, n_parts + 1))
    tid = call["task_id"]
    parts = [srv.state["objects"][f"{tid}/inputs/primary.part{n}"]["data"] for n in range(1, n_parts + 1)]
    assert b"".join(parts) == big.read_bytes()
    assert [p["etag"] for p in call["parts"]] == ['"' + hashlib.md5(d).hexdigest() + '"' for d in parts]
    assert srv.state["refused"] == [f"{tid}/inputs/primary.part3"]
    assert srv.state["parts_requests"] == 1


def test_insufficient_credits_shows_available_and_required(page: Any, fake_server: Any, tmp_path: Path) -> None:
    srv = fake_server(balance=50)
    login(page, srv.url)
    expect(page.locator(".cost-line")).to_contain_text("Not enough credits")
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(write_csv(tmp_path)))
    # choosing a baseline offers the drift detector (and adds its cost)
    drift = page.locator('input[name=agents][value="drift-detector"]')
    page.locator('input[type=file][data-role="baseline"]').set_input_files(str(write_csv(tmp_path, "old.csv")))
    expect(drift).to_be_enabled()
    expect(drift).to_be_checked()
    expect(page.locator(".cost-line .total")).to_have_attribute("data-total", "160")
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    alert = page.locator(".new-task .notice-error")
    alert.wait_for()
    text = alert.inner_text()
    assert "Not enough credits to run this task." in text
    assert "Available: 50" in text and "Required: 160" in text
    assert alert.get_attribute("data-error-code") == "BILLING_INSUFFICIENT_CREDITS"
    expect(page.locator(".task")).to_have_count(1)
    # logging out leaves none of this user's tasks in the page
    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".task")).to_have_count(0)


def test_client_side_file_checks_and_markup_in_names(page: Any, fake_server: Any, tmp_path: Path) -> None:
    srv = fake_server()
    login(page, srv.url)
    wrong = tmp_path / "notes.pdf"
    wrong.write_bytes(b"%PDF-1.4")
    file_input = page.locator('input[type=file][data-role="primary"]')
    file_input.set_input_files(str(wrong))
    err = page.locator(".file-row .field-error").first
    assert "not an accepted format" in err.inner_text()
    assert file_input.get_attribute("aria-invalid") == "true"

    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    file_input.set_input_files(str(empty))
    assert "is empty" in err.inner_text()

    # a PDF named .csv passes the client checks; the API's own message is shown
    evil = tmp_path / "<img src=x onerror=alert(1)>.csv"
    evil.write_bytes(b"%PDF-1.4 not a table")
    file_input.set_input_files(str(evil))
    assert err.is_hidden()
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    alert = page.locator(".new-task .notice-error")
    alert.wait_for()
    assert "primary: the file is a PDF, not CSV" in alert.inner_text()
    task = page.locator(".task").first
    task.locator(".badge-upload_failed").wait_for()
    assert "<img src=x onerror=alert(1)>.csv" in task.locator(".task-meta").inner_text()
    assert page.locator("img").count() == 0
    assert json.loads(json.dumps(srv.state["parameters"])) == {next(iter(srv.state["tasks"])): None}


def test_live_status_cancel_and_delete(page: Any, fake_server: Any, tmp_path: Path) -> None:
    srv = fake_server(polls_to_complete=10_000)
    login(page, srv.url)
    page.locator('input[type=file][data-role="primary"]').set_input_files(str(write_csv(tmp_path)))
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    task = page.locator(".task").first
    # the list polls by itself: the fake worker moves the task to PROCESSING on the next poll
    expect(task).to_have_attribute("data-status", "PROCESSING")
    expect(task.locator(".task-stage")).to_contain_text("Running Unified Profiler · 0/4 agents")
    expect(task.locator("progress")).to_have_attribute("value", "50")
    assert task.get_by_role("button", name="Delete").count() == 0
    # keyboard focus survives the 2-second re-render of the list
    task.get_by_role("button", name="Cancel").focus()
    page.wait_for_timeout(2500)
    assert page.evaluate("document.activeElement.textContent") == "Cancel"
    page.keyboard.press("Enter")
    expect(task).to_have_attribute("data-status", "CANCELLED")
    expect(page.locator(".sr-only[role=status]")).to_have_text("Profile My Data: Cancelled")
    (tid,) = srv.state["tasks"]
    assert srv.state["tasks"][tid]["status"] == "CANCELLED"
    # the filter asks the API for matching statuses only
    page.get_by_label("Show").select_option(label="Completed")
    expect(page.locator(".task-list .empty")).to_have_text("No tasks match this filter.")
    page.get_by_label("Show").select_option(label="Failed or stopped")
    expect(page.locator(".task")).to_have_count(1)
    task = page.locator(".task").first
    page.once("dialog", lambda d: d.accept())
    task.get_by_role("button", name="Delete").click()
    expect(page.locator(".task-list .empty")).to_be_visible()
    assert srv.state["tasks"] == {}


def test_expired_session_returns_to_log_in(page: Any, fake_server: Any) -> None:
    srv = fake_server()
    login(page, srv.url)
    for user in srv.state["users"].values():  # the server forgets the token (expired or revoked)
        user["token"] = None
    page.get_by_role("button", name="Refresh").click()
    expect(page.get_by_text("Your session has ended. Please log in again.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in", exact=True)).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('agensium.token')") is None


def test_invalid_parameters_are_caught_before_anything_is_created(page: Any, fake_server: Any, tmp_path: Path) -> None:
    srv = fake_server()
    login(page, srv.url)
    agent = page.locator('[data-agent-id="unified-profiler"]')
    agent.get_by_text("Advanced settings").click()
    agent.get_by_label("Threshold").fill("11")
    agent.get_by_label("Region").fill("usa")
    agent.get_by_label("Top K").fill("2.5")
    agent.get_by_label("Expected Types").fill("{not json")
    page.get_by_role("button", name="Upload and run Profile My Data").click()
    alert = page.locator(".new-task .notice-error")
    expect(alert).to_contain_text("Choose the data file.")
    text = alert.inner_text()
    for message in ("Threshold: must be ≤ 10", "Region: must match ^[A-Z]{2}$", "Top K: \"2.5\" is not a whole number",
                    "Expected Types: not valid JSON"):
        assert message in text, message
    assert srv.state["tasks"] == {}


def test_keyboard_only_sign_in_and_tool_choice(page: Any, fake_server: Any) -> None:
    srv = fake_server()
    srv.state["users"]["kim@example.com"] = {"password": "pw-keyboard-1", "verified": True, "token": None}
    page.goto(f"{srv.url}/ui/")
    # the log-in form opens with the e-mail field focused; Tab and Enter do the rest
    expect(page.get_by_label("E-mail")).to_be_focused()
    page.keyboard.type("kim@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("pw-keyboard-1")
    page.keyboard.press("Enter")
    expect(page.locator(".agent-row").first).to_be_visible()
    page.get_by_label("Profile My Data").focus()
    page.keyboard.press("ArrowDown")  # radio group: arrows move the choice
    expect(page.get_by_role("button", name="Upload and run Clean My Data")).to_be_visible()
    assert page.locator(".agent-row").count() == 8
    # arrow keys move between the sign-in tabs too
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("tab", name="Log in").focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("tab", name="Register")).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name="Register")).to_be_focused()
    expect(page.get_by_role("button", name="Register")).to_be_visible()
