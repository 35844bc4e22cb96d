"""Clusters from scored pairs: connected components on confident links, then anti-chaining splits.

A chain a~b~c~…~z can join records that share nothing. Components whose internal link density
(links / possible pairs) is below `min_density` are re-clustered with a stricter threshold, a few
rounds deep; then, in clusters of four or more, links that are not near-certain and that no common
neighbour supports (a lone bridge between two groups) are cut. Cluster ids are the smallest ROW_ID of the cluster, so they are stable across runs
and independent of row order or parallelism.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def _components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    g = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def cluster_pairs(n: int, pairs: pl.DataFrame, threshold: float, min_density: float,
                  rounds: int = 4, cut_bridges: bool = True) -> tuple[np.ndarray, dict]:
    """Component label per row position, plus statistics on the anti-chaining splits."""
    edges = pairs.filter(pl.col("match_probability") >= threshold)
    lo = edges["l"].to_numpy().astype(np.int64)
    hi = edges["r"].to_numpy().astype(np.int64)
    p = edges["match_probability"].to_numpy()
    keep = np.ones(len(lo), dtype=bool)
    labels = _components(n, lo, hi)
    splits = 0
    thr = np.full(len(lo), threshold)
    for _ in range(rounds):
        size = np.bincount(labels, minlength=n)
        lab_e = labels[lo[keep]]
        links = np.bincount(lab_e, minlength=n)
        possible = size * (size - 1) / 2.0
        with np.errstate(divide="ignore", invalid="ignore"):
            density = np.where(possible > 0, links / possible, 1.0)
        bad = (size >= 3) & (density < min_density)
        if not bad.any():
            break
        in_bad = bad[labels[lo]] & keep
        thr[in_bad] = 1.0 - (1.0 - thr[in_bad]) / 10.0
        keep &= ~(in_bad & (p < thr))
        splits += int(bad.sum())
        labels = _components(n, lo[keep], hi[keep])
    bridges = 0
    if cut_bridges and keep.any():
        weak = _weak_bridges(lo, hi, p, keep, labels, n, 1.0 - (1.0 - threshold) / 10.0)
        bridges = int(weak.sum())
        if bridges:
            keep &= ~weak
            labels = _components(n, lo[keep], hi[keep])
    return labels, {"links": int(keep.sum()), "components_split": splits, "weak_bridges_cut": bridges}


def _weak_bridges(lo: np.ndarray, hi: np.ndarray, p: np.ndarray, keep: np.ndarray, labels: np.ndarray, n: int,
                  strict: float) -> np.ndarray:
    """Links inside clusters of 4+ that no common neighbour supports and that are not near-certain.

    Two groups joined by one middling link are two entities; a link inside a real group is backed by
    triangles (a~c and b~c).
    """
    size = np.bincount(labels, minlength=n)
    cand = keep & (p < strict) & (size[labels[lo]] >= 4)
    if not cand.any():
        return np.zeros(len(lo), dtype=bool)
    idx = np.flatnonzero(keep)
    e = pl.DataFrame({"i": idx, "a": lo[idx], "b": hi[idx]})
    adj = pl.concat([e.select("a", pl.col("b").alias("x")), e.select(pl.col("b").alias("a"), pl.col("a").alias("x"))])
    c = e.filter(pl.Series(cand[idx]))
    na = c.select("i", "a").join(adj, on="a").select("i", "x")
    nb = c.select("i", pl.col("b").alias("a")).join(adj, on="a").select("i", "x")
    supported = na.join(nb, on=["i", "x"], how="semi")["i"].unique().to_numpy()
    out = cand.copy()
    out[supported] = False
    return out


def cluster_frame(row_ids: pl.Series, labels: np.ndarray, pairs: pl.DataFrame) -> pl.DataFrame:
    """ROW_ID → cluster_id (smallest ROW_ID in the cluster), cluster_size, match_score (best in-cluster link)."""
    df = pl.DataFrame({"__pos": np.arange(len(labels), dtype=np.uint32), "row_id": row_ids, "__lab": labels})
    df = df.with_columns(cluster_id=pl.col("row_id").min().over("__lab"),
                         cluster_size=pl.len().over("__lab").cast(pl.Int64))
    lab = pl.Series(labels)
    inside = pairs.filter(lab.gather(pairs["l"]) == lab.gather(pairs["r"]))
    best = pl.concat([inside.select(pos="l", p="match_probability"), inside.select(pos="r", p="match_probability")])
    best = best.group_by("pos").agg(match_score=pl.col("p").max())
    df = df.join(best, left_on="__pos", right_on="pos", how="left", maintain_order="left")
    return df.select("row_id", "cluster_id", "cluster_size", "match_score")
