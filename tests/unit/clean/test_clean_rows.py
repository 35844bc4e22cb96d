"""duplicate-resolver, null-handler and outlier-remover, value by value, against pandas/numpy/scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
from scipy import stats

from agensium.engine.agent import ROW_ID
from agensium.engine.clean import ledger
from agensium.engine.clean.duplicate_resolver import DuplicateResolver
from agensium.engine.clean.duplicate_resolver import DuplicateResolverParams as D
from agensium.engine.clean.null_handler import NullHandler
from agensium.engine.clean.null_handler import NullHandlerParams as N
from agensium.engine.clean.outlier_remover import OutlierRemover
from agensium.engine.clean.outlier_remover import OutlierRemoverParams as O

PEOPLE = {
    "name": ["Ann", "Bob", "ann ", "Ann", "Cy", "Bob", "Ann"],
    "email": ["a@x", None, "a@x", "a@x", None, "b@x", "a@x"],
    "age": [None, 3, 30, None, 5, None, None],
}


# ---- duplicates ------------------------------------------------------------------------------


def test_duplicates_reported_not_removed_by_default(h) -> None:
    ctx = h.ctx(PEOPLE)
    r = DuplicateResolver().run(D(), ctx)
    assert r.data_out is None
    expected = int(pd.DataFrame(PEOPLE).duplicated().sum())
    assert r.summary["duplicate_rows"] == expected == 2
    assert r.row_issues.select("row_index", "value").rows() == [(3, "0"), (6, "0")]


def test_keep_first_and_keep_last_preserve_row_order(h) -> None:
    ctx = h.ctx(PEOPLE)
    first = DuplicateResolver().run(D(strategy="keep_first"), ctx)
    assert h.out(first, ctx)[ROW_ID].to_list() == [0, 1, 2, 4, 5]
    assert ledger.removed(ctx).select(ROW_ID, "kept_row_id").rows() == [(3, 0), (6, 0)]
    assert first.outputs[0].name == "duplicates_removed.csv"
    ctx2 = h.ctx(PEOPLE)
    last = DuplicateResolver().run(D(strategy="keep_last"), ctx2)
    assert h.out(last, ctx2)[ROW_ID].to_list() == [1, 2, 4, 5, 6]


def test_normalised_key_subset_and_merge(h) -> None:
    ctx = h.ctx(PEOPLE)
    r = DuplicateResolver().run(D(key_columns=["name"], match_mode="normalized", strategy="merge"), ctx)
    out = h.out(r, ctx)
    assert out.select(ROW_ID, "name", "email", "age").rows() == [
        (0, "Ann", "a@x", 30),
        (1, "Bob", "b@x", 3),
        (4, "Cy", None, 5),
    ]
    assert r.summary["duplicate_rows"] == 4 and r.summary["exact_duplicate_rows"] == 2
    assert r.summary["conflicting_key_groups"] == 2
    assert r.data["audit"]["changed_cells_by_column"] == {"email": 1, "age": 1}


def test_null_keys_never_match(h) -> None:
    ctx = h.ctx({"k": [None, None, "a", "a"]})
    assert DuplicateResolver().run(D(null_keys="never_match"), ctx).summary["duplicate_rows"] == 1
    assert DuplicateResolver().run(D(), ctx).summary["duplicate_rows"] == 2


# ---- nulls -----------------------------------------------------------------------------------

NULLY = {
    "x": [1.0, None, 3.0, 10.0, None, 6.0],
    "k": [1, None, 3, 4, None, 4],
    "s": ["a", "N/A", "", "NA", None, "a"],
    "t": ["-", "b", "null", "?", "None", "b"],
}


def test_placeholders_become_missing_by_default_and_none_only_reports(h) -> None:
    ctx = h.ctx(NULLY)
    r = NullHandler().run(N(), ctx)
    out = h.out(r, ctx)
    assert out["s"].to_list() == ["a", None, None, None, None, "a"]
    assert out["t"].to_list() == [None, "b", None, None, None, "b"]
    assert r.data["manifest"]["nulls_introduced"] == {"s": 3, "t": 4}
    s = r.data["null_summary"]
    assert (s["s"]["null_count"], s["s"]["null_token_count"]) == (1, 3)
    assert (s["t"]["null_count"], s["t"]["null_token_count"]) == (0, 4)
    assert s["x"]["suggested_strategy"] in ("mean", "median")
    reported = NullHandler().run(N(convert_null_tokens="none"), h.ctx(NULLY))
    assert reported.data_out is None
    assert reported.data["null_summary"]["t"]["null_token_count"] == 4


def test_ambiguous_tokens_that_are_data_in_their_column_stay(h) -> None:
    data = {"country": ["US", "NA", "DE", "FR", "NA", "N/A"], "note": ["ok", "-", "late", "-", "ok", "fine"]}
    ctx = h.ctx(data)
    out = h.out(NullHandler().run(N(), ctx), ctx)
    assert out["country"].to_list() == ["US", "NA", "DE", "FR", "NA", None]  # Namibia among country codes
    assert out["note"].to_list() == ["ok", None, "late", None, "ok", "fine"]


def test_unambiguous_and_all_token_conversion(h) -> None:
    ctx = h.ctx(NULLY)
    out = h.out(NullHandler().run(N(convert_null_tokens="unambiguous"), ctx), ctx)
    assert out["s"].to_list() == ["a", None, None, "NA", None, "a"]
    assert out["t"].to_list() == ["-", "b", None, "?", None, "b"]
    out = h.out(NullHandler().run(N(convert_null_tokens="all"), ctx), ctx)
    assert out["t"].to_list() == [None, "b", None, None, None, "b"]


@pytest.mark.parametrize("strategy", ["mean", "median", "forward_fill", "backward_fill"])
def test_numeric_strategies_match_pandas(h, strategy: str) -> None:
    ctx = h.ctx(NULLY)
    out = h.out(NullHandler().run(N(column_strategies={"x": strategy, "k": strategy}), ctx), ctx)
    x, k = pd.Series(NULLY["x"]), pd.Series(NULLY["k"], dtype="Float64")
    fill = {
        "mean": lambda s: s.fillna(s.mean()),
        "median": lambda s: s.fillna(s.median()),
        "forward_fill": lambda s: s.ffill(),
        "backward_fill": lambda s: s.bfill(),
    }[strategy]
    assert out["x"].to_list() == pytest.approx(fill(x).tolist())
    assert out.schema["k"] == pl.Int64  # integers stay integers (rounded mean)
    assert out["k"].to_list() == [round(v) if v == v else None for v in fill(k).astype(float).tolist()]


def test_mode_constant_drop_column_and_drop_rows(h) -> None:
    ctx = h.ctx(NULLY)
    r = NullHandler().run(
        N(
            convert_null_tokens="all",
            column_strategies={"s": "mode", "t": "constant", "k": "drop_column", "x": "drop_rows"},
            fill_values={"t": "?"},
        ),
        ctx,
    )
    out = h.out(r, ctx)
    assert "k" not in out.columns
    assert out[ROW_ID].to_list() == [0, 2, 3, 5]  # rows 1 and 4 had no x
    assert out["s"].to_list() == ["a", "a", "a", "a"]
    assert out["t"].to_list() == ["?", "?", "?", "b"]
    q = pl.read_csv(r.outputs[0].path)
    assert q["row_number"].to_list() == [1, 4] and q["quarantine_reason"][0] == "null_value: empty x"


def test_constant_without_value_is_a_specific_error(h) -> None:
    from agensium.errors import AgensiumError, ErrorCode

    with pytest.raises(AgensiumError) as e:
        NullHandler().run(N(column_strategies={"x": "constant"}), h.ctx(NULLY))
    assert e.value.code is ErrorCode.INVALID_PARAMETERS


# ---- outliers --------------------------------------------------------------------------------


def _data(n: int = 500) -> dict[str, list]:
    rng = np.random.default_rng(7)
    x = rng.normal(100, 10, n)
    x[::7] = rng.normal(400, 5, len(x[::7]))  # > 50 outliers: all of them must be handled
    return {"x": x.tolist(), "k": rng.integers(0, 10, n).tolist(), "s": ["a"] * n}


def test_iqr_bounds_and_every_outlier_counted(h) -> None:
    d = _data()
    ctx = h.ctx(d)
    r = OutlierRemover().run(O(), ctx)
    x = pd.Series(d["x"])
    q1, q3 = x.quantile(0.25), x.quantile(0.75)
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    expected = int(((x < lo) | (x > hi)).sum())
    assert expected > 50
    assert r.data["outlier_summary"]["x"]["lower_bound"] == pytest.approx(lo)
    assert r.summary["outliers_found"] == expected and r.data_out is None
    assert r.row_issues.filter(pl.col("column") == "x").height == expected


def test_mad_bounds_match_scipy_and_remove_quarantines(h) -> None:
    d = _data()
    ctx = h.ctx(d)
    r = OutlierRemover().run(O(method="mad", action="remove", columns=["x"]), ctx)
    x = np.array(d["x"])
    med, mad = np.median(x), stats.median_abs_deviation(x)
    robust_z = 0.6745 * (x - med) / mad
    bad = np.flatnonzero(np.abs(robust_z) > 3.5)
    out = h.out(r, ctx)
    assert sorted(set(range(len(x))) - set(out[ROW_ID].to_list())) == bad.tolist()
    q = pl.read_csv(r.outputs[0].path)
    assert q["row_number"].to_list() == bad.tolist()


def test_cap_impute_flag(h) -> None:
    d = _data()
    ctx = h.ctx(d)
    x = pd.Series(d["x"])
    q1, q3 = x.quantile(0.25), x.quantile(0.75)
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    out = h.out(OutlierRemover().run(O(action="cap", columns=["x"]), ctx), ctx)
    assert out["x"].to_list() == pytest.approx(x.clip(lo, hi).tolist())
    out = h.out(OutlierRemover().run(O(action="impute_median", columns=["x"]), ctx), ctx)
    inl = x[(x >= lo) & (x <= hi)]
    assert out["x"].to_list() == pytest.approx(x.where((x >= lo) & (x <= hi), inl.median()).tolist())
    out = h.out(OutlierRemover().run(O(action="flag", columns=["x"]), ctx), ctx)
    assert out["x__outlier"].to_list() == ((x < lo) | (x > hi)).tolist()
    assert out["x"].to_list() == d["x"]


def test_percentile_and_constant_column(h) -> None:
    ctx = h.ctx({"x": list(range(1, 101)), "c": [5] * 100})
    r = OutlierRemover().run(O(method="percentile", lower_percentile=5, upper_percentile=95), ctx)
    lo, hi = np.percentile(range(1, 101), [5, 95])
    assert r.data["outlier_summary"]["x"]["outlier_count"] == sum(
        1 for v in range(1, 101) if v < lo or v > hi
    )
    assert "c" in r.data["skipped_columns"]


def test_user_columns_named_like_internals_are_safe(h) -> None:
    ctx = h.ctx({"kept_row_id": [7, 7, 8], "reason": ["a", "a", "b"], "count": [1, 1, 2]})
    r = DuplicateResolver().run(D(strategy="merge"), ctx)
    out = h.out(r, ctx)
    assert out.columns == [ROW_ID, "kept_row_id", "reason", "count"]
    assert out.rows() == [(0, 7, "a", 1), (2, 8, "b", 2)]
