"""`agensium run` and `agensium tools` through Typer's CliRunner, with fake agents (no real agent needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agensium.cli import app
from agensium.engine import pipeline, registry
from agensium.engine.agent import Agent, AgentResult, RunContext

runner = CliRunner()


class Counts(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        return AgentResult(agent_id="x", summary={"rows": ctx.data.row_count}, score=88.0)


class Broken(Agent):
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        raise RuntimeError("kaput")


@pytest.fixture
def fake_agents(monkeypatch: pytest.MonkeyPatch) -> dict[str, type[Agent]]:
    mapping: dict[str, type[Agent]] = {}

    def load(spec: registry.AgentSpec) -> type[Agent]:
        return mapping.get(spec.id, Counts)

    monkeypatch.setattr(pipeline, "load_agent_class", load)
    monkeypatch.setattr(registry, "load_agent_class", load)
    return mapping


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    p = tmp_path / "people[v1].csv"  # brackets: Rich markup must not eat them
    p.write_text("name,age\nann,30\nbob,41\n")
    return p


def _error_line(result: Any) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in result.output
    assert sum(ln.startswith("error: ") for ln in lines) == 1
    return lines[-1]


def test_run_profile_writes_reports_and_prints_a_summary(tmp_path: Path, csv_file: Path, fake_agents) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "profile-my-data", str(csv_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "unified-profiler" in result.stdout and "success" in result.stdout
    assert "drift-detector" in result.stderr  # skipped for want of a baseline, and said so
    report = json.loads((out / "profile_my_data_report.json").read_text())
    assert report["metadata"]["agents_requested"] == ["unified-profiler", "score-risk", "test-coverage-agent",
                                                      "readiness-rater"]
    assert report["agent_results"]["unified-profiler"]["summary"] == {"rows": 2}
    assert (out / "profile_my_data_report.xlsx").exists() and (out / "profile_my_data_report.html").exists()
    assert str(out / "profile_my_data_report.json") in result.stdout.replace("\n", "")


def test_run_clean_with_agents_params_parquet_and_formats(tmp_path: Path, csv_file: Path, fake_agents) -> None:
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"type-fixer": {}}))
    out = tmp_path / "o"
    result = runner.invoke(app, ["run", "clean-my-data", str(csv_file), "--agents", "type-fixer, null-handler",
                                 "--params", str(params), "--parquet", "--formats", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["clean_my_data_report.json", "people[v1]_cleaned.csv", "people[v1]_cleaned.parquet"]
    assert "people[v1]_cleaned.csv" in result.stdout and "people[v1].csv: 2 rows" in result.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["run", "no-such-tool", "{csv}"], "INVALID_TOOL_ID"),
        (["run", "profile-my-data", "{missing}"], "FILES_NOT_FOUND"),
        (["run", "profile-my-data", "{csv}", "--agents", "bogus"], "INVALID_AGENT"),
        (["run", "profile-my-data", "{csv}", "--agents", "drift-detector"], "MISSING_BASELINE"),
        (["run", "profile-my-data", "{csv}", "--params", "{badjson}"], "INVALID_PARAMETERS"),
        (["run", "profile-my-data", "{csv}", "--params", "{wrongparams}"], "INVALID_PARAMETERS"),
        (["run", "profile-my-data", "{empty}"], "FILE_EMPTY"),
        (["run", "profile-my-data", "{pdf}"], "UNSUPPORTED_FORMAT"),
        (["run", "profile-my-data", "{csv}", "--formats", "json,pdf"], "VALIDATION_ERROR"),
    ],
)
def test_bad_input_is_one_error_line(tmp_path: Path, csv_file: Path, fake_agents, args: list[str], code: str) -> None:
    files = {"csv": csv_file, "missing": tmp_path / "missing.csv", "badjson": tmp_path / "bad.json",
             "wrongparams": tmp_path / "wrong.json", "empty": tmp_path / "empty.csv", "pdf": tmp_path / "doc.csv"}
    files["badjson"].write_text("{nope")
    files["wrongparams"].write_text(json.dumps({"unified-profiler": {"no_such_param": 1}}))
    files["empty"].write_text("")
    files["pdf"].write_bytes(b"%PDF-1.5 junk")
    argv = [a.format(**{k: str(v) for k, v in files.items()}) for a in args] + ["--out", str(tmp_path / "out")]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert _error_line(result).startswith(f"error: {code}: ")


def test_failed_data_agent_exits_1_but_writes_reports(tmp_path: Path, csv_file: Path, fake_agents) -> None:
    fake_agents["quarantine-agent"] = Broken
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "clean-my-data", str(csv_file), "--out", str(out)])
    assert result.exit_code == 1
    assert _error_line(result) == "error: AGENT_ERROR: quarantine-agent: RuntimeError: kaput"
    assert (out / "clean_my_data_report.json").exists()
    assert "RuntimeError: kaput" in (out / "run.log").read_text()  # the traceback goes to the log


def test_tools_lists_the_catalog() -> None:
    result = runner.invoke(app, ["tools"])
    assert result.exit_code == 0
    for tool in ("profile-my-data", "clean-my-data", "master-my-data", "golden-record-builder"):
        assert tool in result.stdout
    data = json.loads(runner.invoke(app, ["tools", "--json"]).stdout)
    assert [t["tool_id"] for t in data] == ["profile-my-data", "clean-my-data", "master-my-data"]


def test_an_internal_error_is_one_line_and_its_traceback_is_logged(tmp_path: Path, csv_file: Path, fake_agents,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_writer(*_: Any, **__: Any) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(pipeline, "_write_final_data", broken_writer)
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", "clean-my-data", str(csv_file), "--out", str(out)])
    assert result.exit_code == 1
    assert _error_line(result) == f"error: INTERNAL_ERROR: OSError: disk on fire (traceback: {out / 'run.log'})"
    log = (out / "run.log").read_text()
    assert "Traceback" in log and "disk on fire" in log
