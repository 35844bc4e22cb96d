"""Test coverage and readiness: scores that fall when checks fail, 'not configured' when nothing is
configured, and readiness deductions that add up exactly to the points lost."""

from __future__ import annotations

import polars as pl
import pytest
from profile_helpers import make_ctx
from pydantic import ValidationError

from agensium.engine.agent import RunContext
from agensium.engine.profile.readiness_rater import ReadinessParams, ReadinessRater
from agensium.engine.profile.test_coverage import CoverageParams, TestCoverageAgent
from agensium.engine.profile.unified_profiler import ProfilerParams, UnifiedProfiler

DF = pl.DataFrame({
    "id": [1, 2, 3, 4, 4, 6, 7, 8, 9, 10],
    "age": [20, 35, 41, 150, 28, -1, 33, 60, 45, 52],
    "code": ["A1", "B2", "C3", "D4", "bad", "E5", "F6", "G7", "H8", "I9"],
    "status": ["on", "off", "on", "on", "x", "off", "on", None, "on", "off"],
})


def test_no_checks_is_skipped_with_the_reason_and_suggested_checks(tmp_path):
    ctx = make_ctx(tmp_path, DF)
    UnifiedProfiler().run(ProfilerParams(), ctx)
    res = TestCoverageAgent().run(CoverageParams(), ctx)
    assert res.status == "skipped" and res.score is None  # nothing to test: not charged
    assert res.summary["coverage_status"] == "not_configured" and "no checks" in res.summary["skipped_reason"]
    assert res.cards[0].status == "info" and res.cards[0].value == "not configured"
    suggested = res.summary["suggested_checks"]
    assert "Add a range check on 'id' (observed 1 to 10)." in suggested
    assert all(any(f"'{c}'" in s for c in DF.columns) for s in suggested)


def test_scores_fall_with_failures_and_rows_are_named(tmp_path):
    passing = CoverageParams(unique_columns=["code"], range_tests={"age": {"min": -5, "max": 200}},
                             format_tests={"code": r"[A-Za-z]+\d?"})
    res_ok = TestCoverageAgent().run(passing, make_ctx(tmp_path, DF))
    assert res_ok.score == 100 and res_ok.summary["coverage_status"] == "excellent"

    failing = CoverageParams(unique_columns=["id"], range_tests={"age": {"min": 0, "max": 120}},
                             format_tests={"code": r"[A-Z]\d"}, not_null_columns=["status"],
                             allowed_values={"status": ["on", "off"]})
    res = TestCoverageAgent().run(failing, make_ctx(tmp_path, DF))
    checks = {c["check_id"]: c for c in res.data["checks"]}
    assert checks["uniqueness:id"]["failing_rows"] == 2  # both rows holding 4
    assert checks["range:age"]["failing_rows"] == 2
    assert checks["format:code"]["failing_rows"] == 1  # full match: "bad" fails, no prefix matching
    assert checks["completeness:status"]["failing_rows"] == 1
    assert checks["allowed_values:status"]["failing_rows"] == 1
    assert res.score < res_ok.score
    expected = (0.4 * 80 + 0.3 * 80 + 0.3 * 90 + 0.3 * 90 + 0.3 * (100 * 8 / 9)) / 1.6
    assert res.score == pytest.approx(expected, abs=0.01)
    ri = res.row_issues
    assert sorted(ri.filter(pl.col("issue_type") == "duplicate_value")["row_index"].to_list()) == [3, 4]
    assert sorted(ri.filter(pl.col("issue_type") == "out_of_range")["row_index"].to_list()) == [3, 5]
    assert ri.filter(pl.col("issue_type") == "format_mismatch")["value"].to_list() == ["bad"]


def test_missing_column_is_an_error_check_and_bad_regex_is_rejected(tmp_path):
    res = TestCoverageAgent().run(CoverageParams(unique_columns=["nope"]), make_ctx(tmp_path, DF))
    assert res.data["checks"][0]["status"] == "error" and res.score == 0
    with pytest.raises(ValidationError):
        CoverageParams(format_tests={"code": "([A-Z"})
    with pytest.raises(ValidationError):
        CoverageParams(range_tests={"age": {"minimum": 1}})


def _readiness(tmp_path, df: pl.DataFrame, **kw):
    tmp_path.mkdir(parents=True, exist_ok=True)
    return ReadinessRater().run(ReadinessParams(**kw), make_ctx(tmp_path, df))


def test_clean_data_is_ready_and_scores_100(tmp_path):
    df = pl.DataFrame({"a": list(range(200)), "b": [f"v{i % 7}" for i in range(200)], "c": [i * 0.5 for i in range(200)]})
    res = _readiness(tmp_path, df)
    assert res.score == 100 and res.summary["readiness_status"] == "ready" and res.data["deductions"] == []


def test_deductions_change_the_score_and_add_up(tmp_path):
    base = pl.DataFrame({"a": list(range(200)), "b": [f"v{i % 7}" for i in range(200)],
                         "c": [float(i) for i in range(200)]})
    worse = base.with_columns(
        pl.when(pl.col("a") % 4 == 0).then(None).otherwise(pl.col("c")).alias("c"),
        pl.lit(None, dtype=pl.String).alias("Unnamed: 3"),
    )
    worse = pl.concat([worse, worse.head(10)])
    clean = _readiness(tmp_path / "clean", base)
    res = _readiness(tmp_path, worse)
    assert res.score < clean.score
    total = sum(d["deduction_amount"] for d in res.data["deductions"])
    assert total == pytest.approx(res.summary["total_deduction_points"], abs=1e-3)
    assert total == pytest.approx(100 - res.score, abs=0.01)
    reasons = {d["deduction_reason"] for d in res.data["deductions"]}
    assert {"missing_values", "empty_column", "unnamed_column", "duplicate_rows"} <= reasons
    assert res.summary["duplicate_rows"] == 10
    dups = res.row_issues.filter(pl.col("issue_type") == "duplicate_row")
    assert sorted(dups["row_index"].to_list()) == list(range(200, 210))
    # fixing the duplicates raises the score by exactly their deduction
    dedup = _readiness(tmp_path / "dedup", worse.head(200))
    dup_points = next(d["deduction_amount"] for d in res.data["deductions"] if d["deduction_reason"] == "duplicate_rows")
    uniqueness = next(c for c in dedup.data["component_scores"] if c["component"] == "uniqueness")
    assert uniqueness["score"] == 100
    assert dedup.score > res.score and dup_points > 0


def test_readiness_reuses_the_profilers_profile(tmp_path):
    ctx: RunContext = make_ctx(tmp_path, DF)
    UnifiedProfiler().run(ProfilerParams(), ctx)
    prof = ctx.state["profile"]
    ReadinessRater().run(ReadinessParams(), ctx)
    assert ctx.state["profile"] is prof
