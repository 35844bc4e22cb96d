"""Every profile agent on odd inputs: no rows, one row, all-null, temporal, nested and small-int columns."""

from __future__ import annotations

import json

import polars as pl
import pytest
from profile_helpers import make_ctx

from agensium.engine.profile.drift_detector import DriftDetector, DriftParams
from agensium.engine.profile.readiness_rater import ReadinessParams, ReadinessRater
from agensium.engine.profile.score_risk import RiskParams, RiskScorer
from agensium.engine.profile.test_coverage import CoverageParams, TestCoverageAgent
from agensium.engine.profile.unified_profiler import ProfilerParams, UnifiedProfiler

CASES = {
    "empty": pl.DataFrame({"a": pl.Series([], dtype=pl.Int64), "s": pl.Series([], dtype=pl.String)}),
    "one_row": pl.DataFrame({"a": [1], "s": ["x"], "d": [None]}),
    "all_null": pl.DataFrame({"a": pl.Series([None] * 5, dtype=pl.Float64), "n": pl.Series([None] * 5, dtype=pl.Null)}),
    "temporal": pl.DataFrame({"d": pl.date_range(pl.date(2020, 1, 1), pl.date(2020, 4, 9), eager=True)}),
    "nested": pl.DataFrame({"l": [[1, 2], [3]], "st": [{"x": 1}, {"x": 2}]}),
    "small_ints": pl.DataFrame({"u": pl.Series([1, 2, 3, 4, 5] * 30, dtype=pl.UInt8),
                                "i8": pl.Series([-1, 0, 1] * 50, dtype=pl.Int8)}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_agents_handle_odd_inputs(tmp_path, name):
    df = CASES[name]
    ctx = make_ctx(tmp_path, df, df)
    agents = [(UnifiedProfiler(), ProfilerParams()), (DriftDetector(), DriftParams(min_sample_size=1)),
              (RiskScorer(), RiskParams()), (TestCoverageAgent(), CoverageParams(unique_columns=[df.columns[0]])),
              (ReadinessRater(), ReadinessParams())]
    for agent, params in agents:
        res = agent.run(params, ctx)
        json.dumps({"data": res.data, "summary": res.summary})
        assert res.agent_id == agent.id


def test_temporal_profile_and_identical_baseline_has_no_drift(tmp_path):
    df = CASES["temporal"]
    ctx = make_ctx(tmp_path, df, df)
    prof = UnifiedProfiler().run(ProfilerParams(), ctx).data["columns"][0]
    assert prof["temporal"] == {"min": "2020-01-01", "max": "2020-04-09"} and prof["distinct"] == 100
    drift = DriftDetector().run(DriftParams(), ctx).data["fields"][0]
    assert drift["comparison"] == "numeric" and not drift["drift_detected"] and drift["ks"]["statistic"] == 0


def test_card_numbers_stored_as_integers(tmp_path):
    df = pl.DataFrame({"n": [4111111111111111, 5555555555554444, 378282246310005] * 40})
    res = RiskScorer().run(RiskParams(), make_ctx(tmp_path, df))
    assert res.data["fields"][0]["pii_type"] == "credit_card"


@pytest.mark.parametrize(("values", "decimal", "parsed"), [
    (["$1,234.50", "$12.00", "(5.25)", "$0.99"], ".", [1234.5, 12.0, -5.25, 0.99]),
    (["12%", "7.5%", "100%", "0%"], ".", [12.0, 7.5, 100.0, 0.0]),
    (["1.234,56", "12,5", "0,99", "3,10"], ",", [1234.56, 12.5, 0.99, 3.1]),
    (["€ 1.000,00", "€ 250,50", "€ 3,00", "€ 99,99"], ",", [1000.0, 250.5, 3.0, 99.99]),
])
def test_numbers_written_as_text_are_number_text_with_their_decimal_separator(values, decimal, parsed):
    from agensium.engine import semantics as sem
    from agensium.engine.profile.semantic import conformance_expr, value_type

    t = value_type(pl.Series(values * 25))
    assert (t.type, t.decimal) == ("number_text", decimal)
    frame = pl.DataFrame({"v": values})
    assert frame.select(sem.parse_number(pl.col("v"), decimal))["v"].to_list() == pytest.approx(parsed)
    assert frame.select(conformance_expr(t, "v").sum()).item() == len(values)


def test_codes_with_leading_zeros_and_plus_signs_are_not_numbers():
    from agensium.engine.profile.semantic import value_type

    assert value_type(pl.Series(["02134", "00501", "07030", "01001"] * 25)).type != "number_text"
    assert value_type(pl.Series(["+15551234", "+15559876", "+44201234", "+33123456"] * 25)).type != "number_text"
