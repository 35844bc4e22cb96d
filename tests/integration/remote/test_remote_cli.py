"""The remote commands of `agensium`, run as a person runs them (a subprocess with its own HOME), against
the same stack as the client tests: login and the credentials file, submit --wait --download, --json on
every command, a task that fails or is cancelled, progress bars on a terminal, errors as `error: CODE: …`."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from remote_stack import PASSWORD, Stack, manifest_checks, new_account, write_csv

from agensium.client import Client
from agensium.engine.registry import get_tool
from e2e.real_server import agensium_command

ERROR_LINE = re.compile(r"^error: ([A-Z_]+): (.+)$")


class Cli:
    """`agensium` with a HOME and XDG_CONFIG_HOME of its own and no AGENSIUM_* from the test's environment."""

    def __init__(self, home: Path, **env: str) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENSIUM_", "AWS_", "XDG_"))}
        self.env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "cfg"), "NO_COLOR": "1", **env}

    @property
    def credentials(self) -> Path:
        return Path(self.env.get("XDG_CONFIG_HOME") or self.home / ".config") / "agensium" / "credentials.json"

    def __call__(self, *args: str, stdin: str | None = None, ok: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        run = subprocess.run([*agensium_command(), *args], env=self.env | env, input=stdin, capture_output=True,
                             text=True, timeout=600, cwd=self.home)
        if ok:
            assert run.returncode == 0, f"agensium {' '.join(args)} → {run.returncode}\n{run.stdout}\n{run.stderr}"
        return run

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").stdout)


def error_of(run: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    """(CODE, message) of the one `error:` line a failed command prints last on stderr."""
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    match = ERROR_LINE.match(run.stderr.strip().splitlines()[-1])
    assert match, run.stderr
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def person(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """A logged-in command line (its account is its own)."""
    email, _ = new_account(stack)
    cli = Cli(tmp_path_factory.mktemp("home"))
    cli("login", "--url", stack.url, "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
    return cli


def test_login_keeps_url_and_token_in_a_private_file(stack: Stack, tmp_path: Path) -> None:
    email, _ = new_account(stack)
    cli = Cli(tmp_path)
    run = cli("login", "--url", stack.url + "/", "--email", email, "--password-stdin", stdin=PASSWORD + "\n")
    assert str(cli.credentials) in run.stderr
    assert cli.credentials.stat().st_mode & 0o777 == 0o600
    assert cli.credentials.parent.stat().st_mode & 0o777 == 0o700
    stored = json.loads(cli.credentials.read_text())
    assert (stored["url"], stored["email"]) == (stack.url, email) and stored["token"]
    assert cli.json("whoami")["email"] == email  # URL and token from the file

    with_env = Cli(tmp_path / "env-home", XDG_CONFIG_HOME="")  # unset: ~/.config
    with_env("login", "--email", email, AGENSIUM_URL=stack.url, AGENSIUM_PASSWORD=PASSWORD)
    assert (tmp_path / "env-home" / ".config" / "agensium" / "credentials.json").stat().st_mode & 0o777 == 0o600

    before = cli.credentials.read_bytes()
    code, message = error_of(cli("login", "--email", email, "--password-stdin", stdin="wrong\n", ok=False))
    assert (code, message) == ("AUTH_INVALID_CREDENTIALS", "Incorrect e-mail or password")
    assert cli.credentials.read_bytes() == before  # a failed login keeps the old credentials

    claims = jwt.decode(stored["token"], stack.secret_key, algorithms=["HS256"])
    claims["exp"] = int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())
    expired = jwt.encode(claims, stack.secret_key, algorithm="HS256")
    code, message = error_of(cli("wallet", ok=False, AGENSIUM_TOKEN=expired))  # the variable wins over the file
    assert (code, message) == ("AUTH_INVALID_TOKEN", "The access token has expired (run `agensium login`)")

    cli("logout")
    assert not cli.credentials.exists()
    assert error_of(cli("whoami", ok=False, AGENSIUM_URL=stack.url))[0] == "AUTH_INVALID_TOKEN"
    nowhere = cli("whoami", "--url", "http://127.0.0.1:9", ok=False)
    assert error_of(nowhere)[0] == "SERVICE_UNAVAILABLE" and "Traceback" not in nowhere.stderr


def test_submit_wait_download_and_json_everywhere(person: Cli, tmp_path: Path) -> None:
    data, params = tmp_path / "people.csv", tmp_path / "params.json"
    write_csv(data, 300)
    params.write_text(json.dumps({"unified-profiler": {"categorical_threshold": 7}}))
    run = person("submit", "profile-my-data", str(data), "--agents", "unified-profiler", "--params", str(params),
                 "--wait", "--download", str(tmp_path / "out"))
    task_id, *files = run.stdout.split()
    written = {Path(f).name for f in files}
    checks = manifest_checks(tmp_path / "out")
    assert written == {*checks, "manifest.json"}
    assert all((tmp_path / "out" / name).stat().st_size == size > 0 for name, (size, _) in checks.items())

    status = person.json("status", task_id)
    assert (status["task_id"], status["status"], status["progress"]) == (task_id, "COMPLETED", 100)
    assert task_id in [t["task_id"] for t in person.json("tasks", "--status", "COMPLETED")]
    assert person.json("tasks", "--status", "FAILED") == []
    report = person.json("report", task_id)
    assert report["metadata"]["task_id"] == task_id and report["metadata"]["inputs"]["primary"]["rows"] == 300
    assert report["agent_results"]["unified-profiler"]["parameters"]["categorical_threshold"] == 7
    assert "Profile My Data: completed" in person("report", task_id).stdout
    again = person.json("download", task_id, str(tmp_path / "again"))
    assert sorted(d["filename"] for d in again) == sorted(written)
    assert all(Path(d["path"]).read_bytes() == (tmp_path / "out" / d["filename"]).read_bytes() for d in again)

    cost = get_tool("profile-my-data").agent("unified-profiler").cost
    estimate = person.json("estimate", "profile-my-data", "--agents", "unified-profiler")
    wallet = person.json("wallet")
    assert estimate["total_cost"] == cost and estimate["balance"] == wallet["balance"]
    assert wallet["held"] == 0 and wallet["recent_transactions"][0]["task_id"] == task_id

    both = person.json("submit", "profile-my-data", str(data), "--agents", "unified-profiler", "--wait",
                       "--download", str(tmp_path / "json-out"))
    assert both["status"] == "COMPLETED" and sorted(Path(p).name for p in both["downloaded"]) == sorted(written)
    assert person.json("delete", both["task_id"])["files_deleted"] >= len(written)
    assert error_of(person("status", both["task_id"], ok=False)) == (
        "TASK_NOT_FOUND", f"Task {both['task_id']} not found")


def test_a_failed_task_exits_1_with_its_error(person: Cli, tmp_path: Path) -> None:
    data, schema = tmp_path / "customers.csv", tmp_path / "contract.yaml"
    write_csv(data, 20)
    schema.write_text("columns: [unclosed\n")
    args = ["submit", "master-my-data", str(data), "--schema", str(schema),
            "--agents", "key-identifier,contract-enforcer", "--wait"]
    run = person(*args, ok=False)
    code, message = error_of(run)
    task_id = run.stdout.split()[0]
    assert code == "INVALID_SCHEMA_FILE" and message.startswith(f"task {task_id}: The schema file is not valid YAML")
    failed = person.json("status", task_id)
    assert (failed["status"], failed["error_code"], failed["error_agent"]) == (
        "FAILED", "INVALID_SCHEMA_FILE", "contract-enforcer")
    as_json = person(*args, "--json", ok=False)
    assert error_of(as_json)[0] == "INVALID_SCHEMA_FILE"
    assert json.loads(as_json.stdout)["status"] == "FAILED"

    assert error_of(person("submit", "profile-my-data", "missing.csv", ok=False)) == (
        "FILES_NOT_FOUND", "missing.csv: no such file (primary)")
    assert error_of(person("submit", "no-such-tool", str(data), ok=False))[0] == "INVALID_TOOL_ID"


def test_a_cancelled_task_ends_the_wait_with_an_error(stack: Stack, person: Cli, tmp_path: Path) -> None:
    data = tmp_path / "a.csv"
    write_csv(data, 20)
    token = json.loads(person.credentials.read_text())["token"]
    with stack.worker_stopped(), Client(stack.url, token) as api:
        queued = person("submit", "profile-my-data", str(data), "--agents", "unified-profiler").stdout.strip()
        assert person("cancel", queued).stdout.strip() == f"{queued}: CANCELLED"
        assert person.json("delete", queued)["task_id"] == queued
        waiting = subprocess.Popen([*agensium_command(), "submit", "profile-my-data", str(data), "--agents",
                                    "unified-profiler", "--wait"], env=person.env, cwd=person.home, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        task_id = waiting.stdout.readline().strip()  # printed as soon as the task exists
        while api.task(task_id).status != "QUEUED":
            assert waiting.poll() is None, waiting.stderr.read()
            time.sleep(0.2)
        api.cancel(task_id)
        _, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 1
    assert err.strip().splitlines()[-1] == f"error: CANCELLED: task {task_id}: the task ended CANCELLED"


def test_resume_and_progress_bars_on_a_terminal(stack: Stack, person: Cli, tmp_path: Path) -> None:
    """An upload cut after one part is finished by `submit --resume`; on a terminal, Rich draws the bars."""
    from remote_stack import PART

    data = tmp_path / "big.csv"
    write_csv(data, 400_000)
    size = data.stat().st_size
    assert PART < size <= 2 * PART
    token = json.loads(person.credentials.read_text())["token"]
    with Client(stack.url, token) as api:
        task_id = api.create_task("profile-my-data", ["unified-profiler"]).task_id
        plan = api.request("POST", f"/tasks/{task_id}/upload-urls", json={"files": {"primary": {
            "filename": "big.csv", "size_bytes": size}}})["uploads"]["primary"]
        from agensium.client.transfer import Meter

        api.transfers.put(plan["parts"][0]["url"], data, 0, PART, {}, Meter("primary", size))
    stdout, terminal, code = _on_a_terminal(person, "submit", "profile-my-data", str(data), "--resume", task_id,
                                            "--wait", "--download", str(tmp_path / "out"))
    assert code == 0, terminal
    assert stdout.split()[0] == task_id and len(stdout.split()) > 1
    assert "uploading primary" in terminal and "━" in terminal
    assert f"task {task_id} completed" in terminal


def _on_a_terminal(cli: Cli, *args: str) -> tuple[str, str, int]:
    """Run with stderr on a pseudo-terminal (so Rich animates); returns (stdout, what the terminal got, code)."""
    main, side = pty.openpty()
    proc = subprocess.Popen([*agensium_command(), *args], env=cli.env | {"COLUMNS": "120"}, cwd=cli.home,
                            stdout=subprocess.PIPE, stderr=side, text=True)
    os.close(side)
    seen = bytearray()
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(main)
    stdout = proc.stdout.read() if proc.stdout else ""
    return stdout, seen.decode(errors="replace"), proc.wait(timeout=60)
