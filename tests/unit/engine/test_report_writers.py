"""Report writers: JSON/Excel/HTML from a real report model, and from fuzzed reports that must never crash."""

from __future__ import annotations

import json
import math
import os
import random
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from agensium.engine.agent import (
    ROW_ISSUE_SCHEMA,
    AgentError,
    AgentResult,
    Alert,
    Issue,
    Recommendation,
    SummaryCard,
)
from agensium.engine.report.excel import SheetNames
from agensium.engine.report.html import render_html
from agensium.engine.report.model import build_report
from agensium.engine.report.writers import write_reports

XSS = "<script>alert('x')</script>"
FUZZ_SEEDS = int(os.environ.get("FUZZ_SEEDS", "12"))  # FUZZ_SEEDS=300 for a deeper local run


def _profile_like_report(columns: int = 20) -> dict:
    names = [f"col_{i}" for i in range(columns - 1)] + [XSS]
    table = {"title": "Columns", "columns": ["Column", "Type", "Null %", "Distinct"],
             "rows": [[n, "Int64", 1.5 * i, 100 + i] for i, n in enumerate(names)]}
    chart = {"title": "Null % by column", "type": "bar", "labels": names,
             "series": [{"name": "null %", "values": [1.5 * i for i in range(columns)]}], "y_title": "%"}
    hist = {"title": "age", "type": "histogram", "labels": [f"{i * 10}-{i * 10 + 10}" for i in range(8)],
            "series": [{"name": "rows", "values": [3, 8, 20, 31, 22, 9, 4, 1]}]}
    line = {"title": "trend", "type": "line", "labels": [1, 2, 3],
            "series": [{"name": "a", "values": [1, 2, 3]}, {"name": "b", "values": [3, None, 1]}]}
    ok = AgentResult(
        agent_id="unified-profiler", summary={"columns": columns, "rows": 1000, "quality": 93.5}, score=93.5,
        data={"tables": [table], "charts": [chart, hist, line]},
        alerts=[Alert(severity="high", category="nulls", message=f"many nulls in {XSS}", affected_fields=[XSS])],
        issues=[Issue(field="col_1", issue_type="outlier", severity="medium", message="outliers", count=3)],
        recommendations=[Recommendation(field=None, priority="low", recommendation="=1+1 stays text")],
        cards=[SummaryCard(title="Quality", value="93.5", status="excellent")],
    )
    failed = AgentResult(agent_id="drift-detector", status="failed",
                         error=AgentError(code="AGENT_ERROR", message="ValueError: boom"))
    skipped = AgentResult(agent_id="score-risk", status="skipped")
    row_issues = pl.DataFrame({"row_index": [0, 5], "column": ["col_1", XSS], "issue_type": ["outlier", "null"],
                               "severity": ["medium", "low"], "message": ["m", "n"], "value": ["9e9", None],
                               "agent_id": ["unified-profiler", "unified-profiler"]},
                              schema={**ROW_ISSUE_SCHEMA, "agent_id": pl.String()})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return build_report(tool_id="profile-my-data", tool_name="Profile My Data",
                        agents=["unified-profiler", "drift-detector", "score-risk"], results=[ok, failed, skipped],
                        row_issues=row_issues, started_at=start, finished_at=start + timedelta(seconds=2),
                        inputs={"primary": {"name": "a.csv", "rows": 1000, "columns": columns, "format": "csv"}},
                        status="completed", task_id="t1", outputs=[])


def test_all_three_formats_with_right_names_and_mime_types(tmp_path: Path) -> None:
    report = _profile_like_report()
    files = write_reports(report, "profile-my-data", tmp_path, ("json", "xlsx", "html"))
    assert [f.name for f in files] == ["profile_my_data_report.json", "profile_my_data_report.xlsx",
                                       "profile_my_data_report.html"]
    assert [f.mime_type.split(";")[0] for f in files] == [
        "application/json", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/html"]
    assert all(f.kind == "report" and f.path.stat().st_size > 0 for f in files)
    assert json.loads(files[0].path.read_text())["agent_results"]["unified-profiler"]["score"] == 93.5
    assert write_reports(report, "profile-my-data", tmp_path / "x", ()) == []


def test_excel_layout(tmp_path: Path) -> None:
    report = _profile_like_report()
    (path,) = [f.path for f in write_reports(report, "profile-my-data", tmp_path, ("xlsx",))]
    wb = openpyxl.load_workbook(path)
    visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
    assert visible == ["Summary", "unified-profiler", "drift-detector", "score-risk", "Alerts", "Issues",
                       "Recommendations", "Row-Level Issues"]
    prof = wb["unified-profiler"]
    assert len(prof.tables) == 1
    (tbl,) = prof.tables.values()
    cells = list(prof[tbl.ref])
    assert [c.value for c in cells[0]] == ["Column", "Type", "Null %", "Distinct"]
    assert [c.value for c in cells[-1]] == [XSS, "Int64", 28.5, 119]
    assert len(prof._charts) == 3
    values = [c.value for row in prof.iter_rows() for c in row if c.value is not None]
    assert "quality" in values and 93.5 in values
    drift = [c.value for row in wb["drift-detector"].iter_rows() for c in row if c.value is not None]
    assert "AGENT_ERROR" in drift and "ValueError: boom" in drift and "failed" in drift
    recs = [c.value for row in wb["Recommendations"].iter_rows() for c in row]
    assert "=1+1 stays text" in recs  # never turned into a formula
    summary = [c.value for row in wb["Summary"].iter_rows() for c in row if c.value is not None]
    assert "Quality" in summary and "high" in summary and "completed" in summary


def test_html_is_self_contained_and_escaped(tmp_path: Path) -> None:
    html = render_html(_profile_like_report())
    assert XSS not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert html.count("<script>") == 1  # only our own inline script
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing external
    assert html.count("<svg") == 3 and "<rect" in html and "<polyline" in html
    for section in ("Executive summary", "Alerts", "Agents", "Issues", "Recommendations", "Row-level issues"):
        assert f"<h2>{section}</h2>" in html
    assert "ValueError: boom" in html


def test_sheet_names_are_valid_and_unique() -> None:
    names = SheetNames()
    made = [names.make(n) for n in ["a/b:c*d?e[f]g\\h", "x" * 40, "x" * 40, "SUMMARY", "summary", "'", "", "History"]]
    assert all(len(n) <= 31 and not re.search(r"[\[\]:*?/\\]", n) for n in made)
    assert len({n.lower() for n in made}) == len(made)
    assert "history" not in {n.lower() for n in made}


def _fuzz_value(rng: random.Random, depth: int = 0):
    choices = [None, math.nan, math.inf, -math.inf, 0, -1, 2**70, 1e308, True, "", XSS, "=SUM(A1)",
               "x" * 50_000, "ünï\u0000cödé\n\t", b"bytes", datetime(2020, 1, 1), ("t", 1), {3, 4},
               np.float32("nan"), np.int64(7), np.array([1.0, np.nan]), pl.Series([1, None]), Path("/x")]
    if depth < 2:
        choices += [[_fuzz_value(rng, depth + 1) for _ in range(3)],
                    {rng.choice([1, None, "k", 2.5]): _fuzz_value(rng, depth + 1)}]
    return rng.choice(choices)


@pytest.mark.parametrize("seed", range(FUZZ_SEEDS))
def test_fuzzed_reports_never_crash(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    v = lambda: _fuzz_value(rng)  # noqa: E731
    k = lambda: rng.choice([1, None, "k", 2.5, (1, 2), XSS, np.int64(3)])  # noqa: E731
    report = {
        "report_version": v(), "metadata": rng.choice([v(), {"tool_name": v(), "inputs": {k(): v(), "primary": {"name": v(), "rows": v(), "read_notes": {k(): v()}}},
                                                            "agents_requested": v(), "status": v()}]),
        "executive_summary": [rng.choice([v(), {"title": v(), "value": v(), "status": v()}]) for _ in range(3)],
        "summary": {"alerts_by_severity": rng.choice([v(), {"high": v()}])},
        "alerts": [rng.choice([v(), {"severity": v(), "message": v(), "affected_fields": v()}]) for _ in range(4)],
        "issues": v(), "recommendations": [v()], "row_level_issues": [{"row_index": v(), "value": v()}],
        "row_level_issues_sampled": v(), "issue_summary": v(),
        "agent_results": {
            rng.choice(["a", "a/b", "x" * 40, XSS]) + str(i): rng.choice([v(), {
                "status": v(), "summary": {k(): v(), "n": v()},
                "score": v(), "error": v(),
                "data": {"tables": [{"title": v(), "columns": [v(), v(), "dup", "dup"],
                                     "rows": [[v() for _ in range(rng.randint(0, 6))] for _ in range(5)]}, v()],
                         "charts": [{"title": v(), "type": rng.choice(["bar", "histogram", "line", v()]),
                                     "labels": [v() for _ in range(4)],
                                     "series": [{"name": v(), "values": [v() for _ in range(rng.randint(0, 6))]}]},
                                    v()]}}])
            for i in range(4)
        },
    }
    files = write_reports(report, "profile-my-data", tmp_path, ("json", "xlsx", "html"))
    json.loads(files[0].path.read_text())
    openpyxl.load_workbook(files[1].path)
    html = files[2].path.read_text()
    assert XSS not in html


def test_writers_are_fast_for_a_20_column_profile(tmp_path: Path) -> None:
    report = _profile_like_report(20)
    t0 = time.perf_counter()
    write_reports(report, "profile-my-data", tmp_path, ("json", "xlsx", "html"))
    print(f"\nreport writers, 20-column profile: {time.perf_counter() - t0:.3f} s")
