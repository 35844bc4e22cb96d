"""profile-my-data on a clean customer table and its dirty twin (tests/datagen/twins.py): every measured
count equals what the generator injected, and the score says how much is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from agensium.engine.pipeline import RunRequest, run_tool
from datagen.twins import Twins, make_twins

AGENTS = ["unified-profiler", "readiness-rater"]


def _profile(tmp: Path, twins: Twins, which: str) -> dict:
    tmp.mkdir(parents=True, exist_ok=True)
    src = tmp / f"{which}.csv"
    getattr(twins, which).write_csv(src)
    out = run_tool(RunRequest(tool_id="profile-my-data", agents=AGENTS, inputs={"primary": src},
                              out_dir=tmp / f"out_{which}", formats=("json",)))
    assert out.status == "completed"
    return out.report["agent_results"]


@pytest.mark.parametrize(("seed", "n", "rate"), [(0, 2000, 0.1), (1, 1500, 0.05), (2, 3000, 0.2)])
def test_measured_counts_equal_the_injected_truth(tmp_path: Path, seed: int, n: int, rate: float) -> None:
    twins = make_twins(n, rate, seed)
    res = _profile(tmp_path, twins, "dirty")
    up = res["unified-profiler"]["data"]
    cols = {c["name"]: c for c in up["columns"]}
    for name, truth in twins.truth.columns.items():
        c = cols[name]
        values = c["values"]
        assert c["missing_count"] == truth.missing, name
        assert values["placeholders"] == dict(truth.placeholders), name
        assert values["nonconforming"] == truth.invalid, name
        assert values["inconsistent"] == truth.reformatted + truth.variants, name
    for name, kind in twins.truth.kinds.items():
        assert cols[name]["semantic_type"] == kind, name
    summary = up["quality_summary"]
    assert summary["duplicate_rows"] == twins.truth.exact_duplicates
    assert summary["near_duplicate_rows"] == twins.truth.near_duplicates
    assert res["readiness-rater"]["summary"]["readiness_status"] != "ready"


def test_the_clean_twin_scores_high_and_the_dirty_twin_far_lower(tmp_path: Path) -> None:
    twins = make_twins(2000, 0.1, 5)
    clean = _profile(tmp_path, twins, "clean")
    dirty = _profile(tmp_path, twins, "dirty")
    c = clean["unified-profiler"]["data"]["quality_summary"]["overall_quality_score"]
    d = dirty["unified-profiler"]["data"]["quality_summary"]["overall_quality_score"]
    assert c >= 95 and d <= c - 15, (c, d)
    assert clean["readiness-rater"]["summary"]["readiness_status"] == "ready"
    clean_cols = {x["name"]: x for x in clean["unified-profiler"]["data"]["columns"]}
    assert clean_cols["signup_date"]["semantic_type"] == "date_text"
    assert clean_cols["email"]["quality"]["validity"] == 100
    method = dirty["unified-profiler"]["data"]["quality_summary"]["method"]
    assert "formula" in method and set(method["dimensions"]) >= {"completeness", "validity", "consistency",
                                                                 "uniqueness"}


def test_the_score_falls_as_the_defect_rate_rises(tmp_path: Path) -> None:
    scores = []
    for i, rate in enumerate([0.0, 0.03, 0.08, 0.15, 0.3]):
        twins = make_twins(1200, rate, 7, duplicate_rate=rate / 3)
        res = _profile(tmp_path / str(i), twins, "dirty")
        scores.append(res["unified-profiler"]["data"]["quality_summary"]["overall_quality_score"])
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores), scores
