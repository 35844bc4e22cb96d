"""`resolve_entities(lf, config)`: the one entity-resolution entry point (agents and benchmark alike)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from agensium.engine.agent import ROW_ID
from agensium.engine.master.er.blocking import candidate_pairs
from agensium.engine.master.er.cluster import cluster_frame, cluster_pairs
from agensium.engine.master.er.compare import compare_pairs, encode_fields
from agensium.engine.master.er.config import ERConfig, FieldSpec
from agensium.engine.master.er.fields import choose_fields, normalised_frame
from agensium.engine.master.er.scoring import FSModel, fit, score

RANDOM_PAIRS = 50_000


@dataclass
class ERResult:
    clusters: pl.DataFrame
    """One row per input row: row_id (ROW_ID), cluster_id, cluster_size, match_score."""
    pairs: pl.DataFrame
    """Scored candidate pairs above the review threshold: row_id_l, row_id_r, match_probability, levels…"""
    fields: list[FieldSpec]
    model: FSModel
    stats: dict = field(default_factory=dict)

    @property
    def comparators(self) -> dict[str, str]:
        return {f.column: f.comparator for f in self.fields}


def _random_pairs(n: int, k: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, k, dtype=np.int64)
    b = rng.integers(0, n, k, dtype=np.int64)
    ok = a != b
    a, b = a[ok], b[ok]
    return pl.DataFrame({"l": np.minimum(a, b).astype(np.uint32), "r": np.maximum(a, b).astype(np.uint32)})


def resolve_entities(lf: pl.LazyFrame, config: ERConfig | None = None,
                     progress: Callable[[float], None] | None = None,
                     check_cancelled: Callable[[], None] | None = None) -> ERResult:
    """Cluster the rows of `lf` into entities; deterministic for the same data and config."""
    config = config or ERConfig()
    step = progress or (lambda f: None)
    check = check_cancelled or (lambda: None)
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    fields, kinds = choose_fields(lf, config)
    norm = normalised_frame(lf, fields)
    n = norm.height
    timings["normalise"] = time.perf_counter() - t0
    step(0.1)
    check()
    if not fields or n < 2 or config.mode == "exact":
        return _deterministic(norm, fields, kinds, config, timings)
    t = time.perf_counter()
    pairs, block_stats = candidate_pairs(norm, fields, kinds, config)
    timings["blocking"] = time.perf_counter() - t
    step(0.35)
    check()
    t = time.perf_counter()
    enc = encode_fields(norm, fields)
    levels = compare_pairs(enc, pairs, fields)
    rnd = compare_pairs(enc, _random_pairs(n, min(RANDOM_PAIRS, n * (n - 1) // 2)), fields)
    del enc
    timings["compare"] = time.perf_counter() - t
    step(0.7)
    check()
    t = time.perf_counter()
    model = fit(levels.drop("l", "r"), rnd.drop("l", "r"), fields, config.em_iterations)
    scored = score(levels, model)
    timings["score"] = time.perf_counter() - t
    t = time.perf_counter()
    labels, cstats = cluster_pairs(n, scored, config.match_threshold, config.min_cluster_density)
    clusters = cluster_frame(norm[ROW_ID], labels, scored)
    timings["cluster"] = time.perf_counter() - t
    step(0.95)
    rid = norm[ROW_ID]
    kept = scored.filter(pl.col("match_probability") >= min(config.review_threshold, config.match_threshold))
    out_pairs = kept.with_columns(row_id_l=rid.gather(kept["l"]), row_id_r=rid.gather(kept["r"]))
    stats = _stats(n, clusters, fields, kinds, timings, config, candidate_pairs=pairs.height, blocking=block_stats,
                   matched_pairs=int((scored["match_probability"] >= config.match_threshold).sum()),
                   review_pairs=int(((scored["match_probability"] >= config.review_threshold)
                                     & (scored["match_probability"] < config.match_threshold)).sum()),
                   match_prior=round(model.prior, 5), em_iterations=model.iterations, **cstats)
    return ERResult(clusters, out_pairs, fields, model, stats)


def _stats(n: int, clusters: pl.DataFrame, fields: list[FieldSpec], kinds: dict, timings: dict, config: ERConfig,
           **extra) -> dict:
    return {
        "rows": n, "mode": config.mode, "candidate_pairs": 0, "blocking": [], "matched_pairs": 0, "review_pairs": 0,
        "clusters": int(clusters["cluster_id"].n_unique()),
        "multi_row_clusters": int(clusters.filter(pl.col("cluster_size") > 1)["cluster_id"].n_unique()),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "fields": [{"column": f.column, "comparator": f.comparator, "weight": f.weight,
                    "semantic_type": kinds.get(f.column)} for f in fields],
        **extra,
    }


def _deterministic(norm: pl.DataFrame, fields: list[FieldSpec], kinds: dict, config: ERConfig,
                   timings: dict) -> ERResult:
    """Exact mode: records whose normalised match fields are all present and equal form a cluster."""
    n = norm.height
    cols = [f.column for f in fields]
    if cols and n:
        complete = pl.all_horizontal([pl.col(c).is_not_null() for c in cols])
        lab = norm.select(pl.when(complete).then(pl.struct(cols).rank("dense").cast(pl.Int64) + n)
                          .otherwise(pl.int_range(0, pl.len(), dtype=pl.Int64)).alias("l"))["l"]
        labels = lab.rank("dense").cast(pl.Int64).to_numpy() - 1
    else:
        labels = np.arange(n)
    empty = pl.DataFrame(schema={"l": pl.UInt32, "r": pl.UInt32, "match_probability": pl.Float64,
                                 "match_weight": pl.Float64, "row_id_l": pl.Int64, "row_id_r": pl.Int64})
    clusters = cluster_frame(norm[ROW_ID], labels, empty)
    clusters = clusters.with_columns(pl.when(pl.col("cluster_size") > 1).then(1.0).alias("match_score"))
    model = fit(pl.DataFrame(), None, [], 1)
    note = "exact matching on normalised values" if fields else "no matching fields found"
    return ERResult(clusters, empty, fields, model, _stats(n, clusters, fields, kinds, timings, config, note=note))
