"""profile-my-data end to end through run_tool: all five agents, shared profile, report contract."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from agensium.engine.pipeline import RunRequest, run_tool

AGENTS = ["unified-profiler", "drift-detector", "score-risk", "test-coverage-agent", "readiness-rater"]


def _valid_presentation(data: dict) -> None:
    """The tables/charts contract the Excel and HTML writers rely on."""
    for t in data.get("tables", []):
        assert isinstance(t["title"], str) and len(t["rows"]) <= 1000
        for row in t["rows"]:
            assert len(row) == len(t["columns"])
            for cell in row:
                assert cell is None or isinstance(cell, str | int | float | bool)
    for ch in data.get("charts", []):
        assert ch["type"] in ("bar", "histogram", "line")
        for s in ch["series"]:
            assert len(s["values"]) == len(ch["labels"])
            assert all(isinstance(v, int | float) and math.isfinite(v) for v in s["values"])


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import palmerpenguins

    tmp = tmp_path_factory.mktemp("pipe")
    df = palmerpenguins.load_penguins()
    df["email"] = [f"bird{i}@antarctica.example.org" for i in range(len(df))]
    df.loc[7, "email"] = "not an email"
    df.to_csv(tmp / "penguins.csv", index=False)
    base = df.copy()
    base["body_mass_g"] = base["body_mass_g"] - 400  # a real shift
    base.to_csv(tmp / "baseline.csv", index=False)
    params = {"test-coverage-agent": {"unique_columns": ["email"], "range_tests": {"body_mass_g": {"min": 2800}}}}
    out = run_tool(RunRequest(tool_id="profile-my-data", inputs={"primary": tmp / "penguins.csv",
                                                                  "baseline": tmp / "baseline.csv"},
                              out_dir=tmp / "out", parameters=params, formats=("json",)))
    return out, df, tmp


def test_all_agents_succeed_and_report_is_json(run):
    out, _, _tmp = run
    assert out.status == "completed"
    results = out.report["agent_results"]
    assert [a for a in AGENTS if results[a]["status"] == "success"] == AGENTS, {
        a: results[a]["error"] for a in AGENTS}
    json.dumps(out.report)  # fully serialisable
    for a in AGENTS:
        _valid_presentation(results[a]["data"])
        assert results[a]["summary"] and all(not isinstance(v, dict | list) for v in results[a]["summary"].values())


def test_cross_agent_results(run):
    out, df, _tmp = run
    r = out.report["agent_results"]
    prof_cols = {c["name"]: c for c in r["unified-profiler"]["data"]["columns"]}
    assert prof_cols["email"]["semantic_type"] == "email"
    assert prof_cols["body_mass_g"]["numeric"]["mean"] == pytest.approx(df["body_mass_g"].mean(), rel=1e-12)
    drift = {f["field_name"]: f for f in r["drift-detector"]["data"]["fields"]}
    assert drift["body_mass_g"]["drift_detected"] and not drift["bill_length_mm"]["drift_detected"]
    risk = {f["field_name"]: f for f in r["score-risk"]["data"]["fields"]}
    assert risk["email"]["pii_type"] == "email" and risk["email"]["matching_values"] == len(df) - 1
    assert r["test-coverage-agent"]["summary"]["checks_passed"] == 1
    assert r["readiness-rater"]["score"] < 100


def test_row_issues_file_names_original_rows(run):
    out, df, tmp = run
    ri = pl.read_csv(tmp / "out" / "row_issues.csv")
    mism = ri.filter((pl.col("agent_id") == "unified-profiler") & (pl.col("issue_type") == "type_mismatch"))
    assert mism["row_index"].to_list() == [7] and mism["column"].to_list() == ["email"]
    low = ri.filter((pl.col("agent_id") == "test-coverage-agent") & (pl.col("issue_type") == "out_of_range"))
    expected = np.flatnonzero(pd.to_numeric(df["body_mass_g"]) < 2800).tolist()
    assert sorted(low["row_index"].to_list()) == expected
    assert out.report["issue_summary"]["total_issues"] == ri.height


def test_parameter_models_are_documented_and_bounded():
    from agensium.engine.registry import get_tool, params_schema

    for spec in get_tool("profile-my-data").agents:
        schema = params_schema(spec)
        assert schema["properties"], spec.id
        for name, prop in schema["properties"].items():
            assert prop.get("description"), (spec.id, name)
            assert "default" in prop, (spec.id, name)


def test_profiler_charts_are_capped(tmp_path):
    from profile_helpers import make_ctx

    from agensium.engine.profile.unified_profiler import ProfilerParams, UnifiedProfiler

    df = pl.DataFrame({f"x{i}": np.arange(50, dtype=float) * (i + 1) for i in range(12)})
    res = UnifiedProfiler().run(ProfilerParams(max_charts=5), make_ctx(tmp_path, df))
    charts = res.data["charts"]
    assert charts[0]["title"] == "Quality score by column" and len(charts) == 1 + 5
    hist = charts[1]
    assert hist["type"] == "histogram" and sum(hist["series"][0]["values"]) == 50


def _comparable(report: dict) -> dict:
    """Agent data, scores and row issues: everything but timings and file locations."""
    return {a: {k: r[k] for k in ("status", "score", "data")} for a, r in report["agent_results"].items()} | {
        "issues": report.get("issue_summary")}


def test_in_memory_and_streamed_primary_give_the_same_report(run, tmp_path):
    """The primary held in memory (the default for small inputs) and streamed to Parquet agree exactly."""
    out, _, tmp = run
    assert out.report["metadata"]["inputs"]["primary"]["rows"] == 344
    params = {"test-coverage-agent": {"unique_columns": ["email"], "range_tests": {"body_mass_g": {"min": 2800}}}}
    streamed = run_tool(RunRequest(tool_id="profile-my-data", inputs={"primary": tmp / "penguins.csv",
                                                                       "baseline": tmp / "baseline.csv"},
                                   out_dir=tmp_path / "out", parameters=params, formats=("json",),
                                   in_memory_max_bytes=0))
    assert streamed.status == "completed"
    assert _comparable(json.loads(json.dumps(streamed.report))) == _comparable(json.loads(json.dumps(out.report)))
