"""The whole master-my-data tool on fake_1000: outputs, provenance and flags hang together."""

from __future__ import annotations

import polars as pl

from agensium.engine.master.er import pairwise_scores
from agensium.engine.pipeline import RunRequest, run_tool


def test_master_tool_end_to_end(tmp_path, fake_1000_path):
    src = tmp_path / "people.csv"
    pl.read_csv(fake_1000_path).drop("cluster").write_csv(src)
    truth = pl.read_csv(fake_1000_path)["cluster"]
    out = run_tool(RunRequest(tool_id="master-my-data", inputs={"primary": src}, out_dir=tmp_path / "out",
                              formats=("json",)))
    assert out.status == "completed", out.error
    results = out.report["agent_results"]
    # no contract was given: contract-enforcer has nothing to do, is skipped (not charged) and says why
    assert results["contract-enforcer"]["status"] == "skipped"
    assert all(r["status"] == "success" for a, r in results.items() if a != "contract-enforcer"), {
        a: r.get("error") for a, r in results.items()}
    files = {o.name: o for o in out.outputs}
    assert files["golden_records.csv"].kind == "golden"
    assert files["cluster_membership.csv"].kind == "membership" and files["match_pairs.csv"].kind == "pairs"
    membership = pl.read_csv(files["cluster_membership.csv"].path)
    assert membership.height == 1000 and membership["row_index"].to_list() == list(range(1000))
    assert pairwise_scores(membership["cluster_id"], truth)["f1"] >= 0.85
    golden = pl.read_csv(files["golden_records.csv"].path)
    assert golden.height == membership["cluster_id"].n_unique()
    assert {"__trust__first_name", "__trust__email"} <= set(golden.columns)  # trust per field
    assert golden.select(pl.col("__trust_score__").is_between(0, 1).all()).item()
    assert golden["__source_count__"].sum() == 1000
    # provenance: every golden value came from a member row of its own cluster
    prov = pl.read_csv(files["golden_provenance.csv"].path, infer_schema=False).with_columns(
        pl.col("source_row_index").cast(pl.Int64), pl.col("cluster_id").cast(pl.Int64))
    check = prov.join(membership, left_on="source_row_index", right_on="row_index")
    assert (check["cluster_id"] == check["cluster_id_right"]).all()
    final = pl.read_csv(files["people_mastered.csv"].path)
    assert {"__needs_review__", "__stewardship_issues__", "__trust_score__", "__cluster_id__"} <= set(final.columns)
    assert final.height == golden.height
    assert "last_name" in final.columns  # semantic mapper renamed surname
    assert results["semantic-mapper"]["data"]["semantic_mapping"]["surname"] == "last_name"


def test_survivorship_alone_and_uncollapsed(tmp_path, fake_1000_path):
    src = tmp_path / "people.csv"
    pl.read_csv(fake_1000_path).drop("cluster").write_csv(src)
    out = run_tool(RunRequest(tool_id="master-my-data", agents=["survivorship-resolver"], inputs={"primary": src},
                              out_dir=tmp_path / "a", formats=("json",),
                              parameters={"survivorship-resolver": {"collapse": False,
                                                                    "survivorship_rules": {"city": "most_frequent"}}}))
    assert out.status == "completed", out.error
    kinds = {o.kind for o in out.outputs}
    assert {"membership", "pairs", "data"} <= kinds
    final = pl.read_csv(next(o.path for o in out.outputs if o.kind == "data"))
    assert final.height == 1000 and {"__cluster_id__", "__match_score__"} <= set(final.columns)
    membership = pl.read_csv(next(o.path for o in out.outputs if o.kind == "membership"))
    assert final["__cluster_id__"].to_list() == membership["cluster_id"].to_list()
