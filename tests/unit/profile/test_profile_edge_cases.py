"""Every profile agent on odd inputs: no rows, one row, all-null, temporal, nested and small-int columns."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from decimal import Decimal

import polars as pl
import pytest
from profile_helpers import column, make_ctx

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
    "parquet_types": pl.DataFrame({
        "dur": pl.Series([timedelta(seconds=5), None, timedelta(days=1), timedelta(0)] * 30),
        "t": pl.Series([time(1, 2), None, time(3, 4), time(5, 6)] * 30),
        "dec": pl.Series([Decimal("1.10"), Decimal("2.25"), None, Decimal("-3.50")] * 30),
        "bin": pl.Series([b"x", b"y", None, b"z"] * 30),
        "tz": pl.Series([datetime(2024, 1, 1), None, datetime(2024, 3, 1), datetime(2025, 1, 1)] * 30)
        .dt.replace_time_zone("Europe/Zurich"),
        "cat": pl.Series(["a", "b", "a", None] * 30, dtype=pl.Categorical),
        "enum": pl.Series(["lo", "hi", None, "lo"] * 30, dtype=pl.Enum(["lo", "hi"])),
        "arr": pl.Series([[1, 2], [3, 4], None, [5, 6]] * 30, dtype=pl.Array(pl.Int64, 2)),
    }),
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
        assert res.status == "success", (agent.id, res.error)


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


@pytest.mark.parametrize(("values", "kind", "decimal", "parsed"), [
    (["$1,234.50", "$12.00", "(5.25)", "$0.99"], "currency", ".", [1234.5, 12.0, -5.25, 0.99]),
    (["12%", "7.5%", "100%", "0%"], "number_text", ".", [12.0, 7.5, 100.0, 0.0]),
    (["1.234,56", "12,5", "0,99", "3,10"], "number_text", ",", [1234.56, 12.5, 0.99, 3.1]),
    (["€ 1.000,00", "€ 250,50", "€ 3,00", "€ 99,99"], "currency", ",", [1000.0, 250.5, 3.0, 99.99]),
])
def test_numbers_written_as_text_are_number_text_with_their_decimal_separator(values, kind, decimal, parsed):
    from agensium.engine.values import classify, numbers

    t = classify(pl.Series(values * 25))
    assert (t.kind.value, t.decimal) == (kind, decimal)
    frame = pl.DataFrame({"v": values})
    assert frame.select(numbers.parse_number(pl.col("v"), decimal))["v"].to_list() == pytest.approx(parsed)
    assert frame.select(t.conforms(pl.col("v")).sum()).item() == len(values)


def test_codes_with_leading_zeros_and_plus_signs_are_not_numbers():
    from agensium.engine.values import classify

    assert classify(pl.Series(["02134", "00501", "07030", "01001"] * 25)).kind.value != "number_text"
    assert classify(pl.Series(["+15551234", "+15559876", "+44201234", "+33123456"] * 25)).kind.value != "number_text"


def test_parquet_only_types_are_typed_and_compared_in_one_unit(tmp_path):
    df = CASES["parquet_types"]
    prof = UnifiedProfiler().run(ProfilerParams(), make_ctx(tmp_path, df)).data
    assert {c["name"]: c["semantic_type"] for c in prof["columns"] if c["kind"] == "temporal"} == {
        "dur": "duration", "t": "time", "tz": "datetime"}
    assert column(prof, "dur")["temporal"] == {"min": "PT0S", "max": "P1D"}
    # the same instants stored in milliseconds and in microseconds: no drift
    ts = pl.DataFrame({"ts": pl.datetime_range(datetime(2024, 1, 1), datetime(2024, 1, 2), "1h", eager=True)})
    ctx = make_ctx(tmp_path, ts.with_columns(pl.col("ts").dt.cast_time_unit("us")),
                   ts.with_columns(pl.col("ts").dt.cast_time_unit("ms")))
    drift = DriftDetector().run(DriftParams(min_sample_size=1), ctx).data["fields"][0]
    assert drift["comparison"] == "numeric" and drift["ks"]["statistic"] == 0 and not drift["drift_detected"]
