"""Drift detector: honest tests (false-positive rate near alpha), detection of real shifts, PSI with
out-of-range values, schema drift and row indices taken from ROW_ID."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from profile_helpers import make_ctx
from pydantic import ValidationError
from scipy import stats as sps

from agensium.engine.agent import ROW_ID, Dataset, RunContext
from agensium.engine.profile import drift_stats as ds
from agensium.engine.profile.drift_detector import DriftDetector, DriftParams
from agensium.errors import AgensiumError

ALPHA = 0.05
REPS = 200
# 200 Bernoulli(0.05) trials: mean 10, sd 3.08; [2, 20] is more than +-3 sd
FPR_RANGE = (2, 20)


def _fpr(pvalues: list[float]) -> int:
    return sum(p < ALPHA for p in pvalues)


def test_ks_false_positive_rate_small_samples():
    rng = np.random.default_rng(1)
    ps = [ds.ks_test(np.sort(rng.normal(size=300)), np.sort(rng.normal(size=250)))[1] for _ in range(REPS)]
    assert FPR_RANGE[0] <= _fpr(ps) <= FPR_RANGE[1]


def test_ks_false_positive_rate_large_samples_asymptotic_path():
    rng = np.random.default_rng(2)
    ps = []
    for _ in range(REPS):
        a, b = np.sort(rng.exponential(size=12_000)), np.sort(rng.exponential(size=11_000))
        _d, p, method = ds.ks_test(a, b)
        assert method == "asymptotic"
        ps.append(p)
    assert FPR_RANGE[0] <= _fpr(ps) <= FPR_RANGE[1]


def test_ks_large_path_matches_scipy():
    rng = np.random.default_rng(3)
    a, b = np.sort(rng.normal(size=20_000)), np.sort(rng.normal(0.01, 1, size=15_000).round(2))
    d, p, _ = ds.ks_test(a, b)
    ref = sps.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic, rel=1e-12)
    # the limiting Kolmogorov distribution at sqrt(n*m/(n+m)) * D, independently from scipy.stats ...
    assert p == pytest.approx(sps.kstwobign.sf(np.sqrt(20_000 * 15_000 / 35_000) * d), rel=1e-9)
    # ... and within 1% of scipy's finite-n asymptotic p-value (the gap shrinks as the samples grow)
    assert p == pytest.approx(ref.pvalue, rel=0.01)
    assert ds.merge_stats(a, b).wasserstein == pytest.approx(sps.wasserstein_distance(a, b), rel=1e-9)


def test_chi2_false_positive_rate_and_matches_scipy():
    rng = np.random.default_rng(4)
    probs = [0.5, 0.3, 0.15, 0.05]
    ps = []
    for _ in range(REPS):
        a = np.bincount(rng.choice(4, 400, p=probs), minlength=4)
        b = np.bincount(rng.choice(4, 500, p=probs), minlength=4)
        ps.append(ds.chi2_homogeneity(a, b)[1])
    assert FPR_RANGE[0] <= _fpr(ps) <= FPR_RANGE[1]
    a, b = np.array([100, 80, 60]), np.array([90, 95, 40])
    ref = sps.chi2_contingency(np.vstack([a, b]), correction=False)
    assert ds.chi2_homogeneity(a, b)[:2] == pytest.approx((ref.statistic, ref.pvalue))


def test_chi2_pools_sparse_categories():
    stat, p, dof = ds.chi2_homogeneity(np.array([500, 400, 4, 3, 3]), np.array([480, 420, 3, 2, 5]))
    assert dof == 2  # the three rare categories (20 rows) are pooled into one column with expected counts >= 5
    ref = sps.chi2_contingency(np.array([[500, 400, 10], [480, 420, 10]]), correction=False)
    assert (stat, p) == pytest.approx((ref.statistic, ref.pvalue))
    # a pool still too small joins the smallest regular category
    assert ds.chi2_homogeneity(np.array([500, 400, 2, 1]), np.array([480, 420, 1, 3]))[2] == 1


def test_wasserstein_permutation_false_positive_rate_and_power():
    rng = np.random.default_rng(5)
    ps = [ds.wasserstein_permutation_p(rng.normal(size=100), rng.normal(size=100), 99, 100, seed=i)[0]
          for i in range(REPS)]
    assert FPR_RANGE[0] <= _fpr(ps) <= FPR_RANGE[1]
    p, n = ds.wasserstein_permutation_p(rng.normal(size=5000), rng.normal(0.5, 1, size=5000), 199, 500)
    assert n == 500 and p < 0.01


def test_psi_counts_values_outside_the_baseline_range():
    rng = np.random.default_rng(6)
    base = np.sort(rng.uniform(0, 1, 10_000))
    cur = np.sort(np.concatenate([rng.uniform(0, 1, 9_000), np.full(1_000, 5.0)]))
    cuts = ds.quantile_cuts(base, 10)
    cb, cc = ds.bin_counts(base, cuts), ds.bin_counts(cur, cuts)
    assert cc.sum() == len(cur)  # nothing dropped
    assert cc[-1] >= 1_000  # the out-of-range values sit in the open-ended top bin
    p, q = np.maximum(cb / cb.sum(), 1e-4), np.maximum(cc / cc.sum(), 1e-4)
    assert ds.psi(cb, cc) == pytest.approx(float(np.sum((q - p) * np.log(q / p))))
    in_range = cur[cur <= base[-1]]  # what the earlier version effectively compared
    dropped = ds.psi(cb, ds.bin_counts(in_range, cuts))
    assert ds.psi(cb, cc) > 0.05 and ds.psi(cb, cc) > 5 * dropped
    assert ds.psi(cb, cb) == 0.0
    assert 0 < ds.js_divergence(cb, cc) < 1


def _run(tmp_path, cur: pl.DataFrame, base: pl.DataFrame, **params):
    ctx = make_ctx(tmp_path, cur, base)
    return DriftDetector().run(DriftParams(**params), ctx)


def _field(res, name):
    return next(f for f in res.data["fields"] if f["field_name"] == name)


def test_agent_detects_shift_and_not_same_distribution(tmp_path):
    rng = np.random.default_rng(7)
    base = pl.DataFrame({"x": rng.normal(0, 1, 3000), "y": rng.normal(0, 1, 3000),
                         "c": rng.choice(["a", "b", "c"], 3000, p=[0.5, 0.3, 0.2])})
    cur = pl.DataFrame({"x": rng.normal(0.3, 1, 3000), "y": rng.normal(0, 1, 3000),
                        "c": rng.choice(["a", "b", "c"], 3000, p=[0.3, 0.3, 0.4])})
    res = _run(tmp_path, cur, base)
    assert _field(res, "x")["drift_detected"] and _field(res, "x")["test_used"] == "ks"
    assert _field(res, "c")["drift_detected"] and _field(res, "c")["test_used"] == "chi2"
    assert res.summary["drift_detected_count"] >= 2
    assert any(i.issue_type == "distribution_drift" and i.field == "x" for i in res.issues)
    assert res.data["charts"] and res.data["tables"][0]["rows"]


@pytest.mark.parametrize("test", ["ks", "chi2", "psi", "wasserstein", "jensen_shannon"])
def test_every_statistical_test_detects_a_large_shift(tmp_path, test):
    rng = np.random.default_rng(8)
    base = pl.DataFrame({"x": rng.normal(0, 1, 2000)})
    cur = pl.DataFrame({"x": rng.normal(1.0, 1, 2000)})
    f = _field(_run(tmp_path, cur, base, statistical_test=test), "x")
    assert f["test_used"] == test and f["drift_detected"]
    if test in ("ks", "chi2"):
        assert f["p_value"] < 1e-3
    elif test == "wasserstein":  # permutation p-value: the smallest possible with 200 permutations
        assert f["p_value"] == pytest.approx(1 / 201)
        assert f["wasserstein_p_value"]["sample_per_side"] == 2000
    else:
        assert f["p_value"] is None  # divergences have no p-value; none is invented


def test_parameter_aliases_and_validation():
    assert DriftParams(statistical_test="kolmogorov_smirnov").statistical_test == "ks"
    with pytest.raises(ValidationError):
        DriftParams(statistical_test="t-test")
    with pytest.raises(ValidationError):
        DriftParams(significance_level=0)


def test_integer_columns_with_many_values_are_numeric(tmp_path):
    rng = np.random.default_rng(9)
    base = pl.DataFrame({"many": rng.integers(0, 10_000, 2000), "few": rng.integers(0, 5, 2000)})
    cur = pl.DataFrame({"many": rng.integers(0, 10_000, 2000), "few": rng.integers(0, 5, 2000)})
    res = _run(tmp_path, cur, base)
    assert _field(res, "many")["comparison"] == "numeric"
    assert _field(res, "few")["comparison"] == "categorical"


def test_schema_drift_and_min_sample_size(tmp_path):
    base = pl.DataFrame({"a": list(range(200)), "b": [1.0] * 200, "gone": ["x"] * 200})
    cur = pl.DataFrame({"a": [str(i) for i in range(200)], "b": [1.0] * 50 + [None] * 150, "new": [1] * 200})
    res = _run(tmp_path, cur, base)
    sd = res.data["schema_drift"]
    assert sd["added_columns"] == ["new"] and sd["removed_columns"] == ["gone"]
    assert sd["type_changes"] == [{"column": "a", "baseline_type": "Int64", "current_type": "String"}]
    assert "fewer than 100" in _field(res, "b")["skipped_reason"]
    assert _field(res, "b")["missing"]["change_pp"] == pytest.approx(75.0)
    types = {i.issue_type for i in res.issues}
    assert {"missing_column", "new_column", "type_change", "missing_rate_change"} <= types


def test_missing_baseline_is_a_specific_error(tmp_path):
    ctx = make_ctx(tmp_path, pl.DataFrame({"x": [1, 2]}))
    with pytest.raises(AgensiumError) as exc:
        DriftDetector().run(DriftParams(), ctx)
    assert exc.value.code == "MISSING_BASELINE"


def test_row_issues_use_original_row_ids(tmp_path):
    rng = np.random.default_rng(10)
    base = pl.DataFrame({"x": rng.uniform(0, 1, 1000), "c": rng.choice(["a", "b"], 1000)})
    x = rng.uniform(0, 1, 1000)
    outside = [3, 500, 998]
    x[outside] = [7.0, -2.0, 9.0]
    c = rng.choice(["a", "b"], 1000).astype(object)
    c[[10, 20]] = "zzz"
    x[:300] += 0.5  # a real shift so the column is drifted
    cur = pl.DataFrame({"x": x, "c": c.astype(str)})
    # ROW_IDs that are NOT positions: as after an upstream agent removed rows
    path = tmp_path / "cur.parquet"
    cur.with_columns(pl.Series(ROW_ID, np.arange(1000, dtype=np.int64) * 3 + 5)).write_parquet(path)
    bpath = tmp_path / "base.parquet"
    base.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64)).write_parquet(bpath)
    cds, bds = Dataset(path=path, name="c.csv"), Dataset(path=bpath, name="b.csv")
    ctx = RunContext(tool_id="profile-my-data", work_dir=tmp_path, data=cds, original=cds, baseline=bds)
    res = DriftDetector().run(DriftParams(), ctx)
    ri = res.row_issues
    out = ri.filter(pl.col("issue_type") == "out_of_baseline_range")
    base_max = float(base["x"].max())
    expected = sorted(i * 3 + 5 for i in np.flatnonzero((x > base_max) | (x < float(base["x"].min()))))
    assert sorted(out["row_index"].to_list()) == expected
    assert {3 * 3 + 5, 500 * 3 + 5, 998 * 3 + 5} <= set(expected)
    new = ri.filter(pl.col("issue_type") == "new_category")
    assert sorted(new["row_index"].to_list()) == [10 * 3 + 5, 20 * 3 + 5]


def test_dates_and_numbers_stored_as_text_are_compared_as_numbers_when_run_alone(tmp_path):
    rng = np.random.default_rng(11)
    days = rng.integers(0, 3650, 2000)
    base = pl.DataFrame({"d": pl.Series(days).cast(pl.Date).dt.strftime("%Y-%m-%d"),
                         "amount": [f"{x:.2f}" for x in rng.normal(100, 10, 2000)]})
    cur = pl.DataFrame({"d": pl.Series(days + 400).cast(pl.Date).dt.strftime("%Y-%m-%d"),
                        "amount": [f"{x:.2f}" for x in rng.normal(100, 10, 2000)]})
    res = _run(tmp_path, cur, base)  # no profiler in this run
    assert _field(res, "d")["comparison"] == "numeric" and _field(res, "d")["drift_detected"]
    assert _field(res, "amount")["comparison"] == "numeric" and not _field(res, "amount")["drift_detected"]


@pytest.mark.parametrize("chunk", [7, 100, 1 << 20])
def test_chunked_merge_matches_scipy_with_ties(chunk):
    rng = np.random.default_rng(12)
    a = np.sort(rng.integers(0, 50, 3000).astype(float))
    b = np.sort(np.concatenate([rng.integers(10, 70, 2000), [100.0] * 5]).astype(float))
    m = ds.merge_stats(a, b, chunk=chunk)
    assert m.ks_statistic == pytest.approx(sps.ks_2samp(a, b).statistic, rel=1e-12)
    assert m.wasserstein == pytest.approx(sps.wasserstein_distance(a, b), rel=1e-12)


def test_nearly_unique_text_is_not_read_from_the_baseline(tmp_path):
    from agensium.engine.profile.unified_profiler import ProfilerParams, UnifiedProfiler

    n = 12_000
    base = pl.DataFrame({"email": [f"b{i}@x.org" for i in range(n)], "v": np.arange(n, dtype=float)})
    cur = pl.DataFrame({"email": [f"c{i}@x.org" if i % 10 else None for i in range(n)], "v": np.arange(n, dtype=float)})
    ctx = make_ctx(tmp_path, cur, base)
    UnifiedProfiler().run(ProfilerParams(), ctx)
    res = DriftDetector().run(DriftParams(max_categories=100), ctx)
    f = _field(res, "email")
    assert "not a categorical column" in f["skipped_reason"]
    assert f["missing"]["current_pct"] == pytest.approx(10.0) and f["missing"]["baseline_pct"] == 0.0
    assert not _field(res, "v")["drift_detected"]
