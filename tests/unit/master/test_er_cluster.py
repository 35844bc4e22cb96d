from __future__ import annotations

import polars as pl

from agensium.engine.master.er.cluster import cluster_frame, cluster_pairs


def _pairs(edges: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame({"l": [a for a, _, _ in edges], "r": [b for _, b, _ in edges],
                         "match_probability": [p for _, _, p in edges]},
                        schema={"l": pl.UInt32, "r": pl.UInt32, "match_probability": pl.Float64})


def test_bridge_between_two_groups_is_cut():
    tri = [(0, 1, 0.999), (1, 2, 0.999), (0, 2, 0.999), (3, 4, 0.999), (4, 5, 0.999), (3, 5, 0.999)]
    pairs = _pairs([*tri, (2, 3, 0.95)])
    labels, stats = cluster_pairs(6, pairs, 0.9, 0.3)
    assert labels[0] == labels[2] and labels[3] == labels[5] and labels[2] != labels[3]
    assert stats["weak_bridges_cut"] == 1
    # a near-certain bridge is kept: the evidence is overwhelming
    labels, _ = cluster_pairs(6, _pairs([*tri, (2, 3, 0.9999)]), 0.9, 0.3)
    assert labels[0] == labels[5]


def test_long_weak_chain_is_split_and_ids_are_smallest_rows():
    chain = [(i, i + 1, 0.95) for i in range(9)]
    labels, stats = cluster_pairs(10, _pairs(chain), 0.9, 0.3)
    assert len(set(labels.tolist())) == 10 and stats["components_split"] >= 1
    frame = cluster_frame(pl.Series([10, 11, 12]), cluster_pairs(3, _pairs([(1, 2, 0.99)]), 0.9, 0.3)[0],
                          _pairs([(1, 2, 0.99)]))
    assert frame["cluster_id"].to_list() == [10, 11, 11]
    assert frame["match_score"].to_list() == [None, 0.99, 0.99]
