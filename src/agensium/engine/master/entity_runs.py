"""Run entity resolution once per run and share it between agents through `ctx.state`.

survivorship-resolver and golden-record-builder both need the clusters; the second one reuses the
first one's result when it asks for the same matching configuration on the same records.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from agensium.engine.agent import ROW_ID, Dataset, OutputFile, RunContext
from agensium.engine.master.common import resolve_columns, resolve_keys, user_columns
from agensium.engine.master.er import ERConfig, ERResult, resolve_entities
from agensium.engine.master.er.compare import LEVEL_LABELS
from agensium.engine.master.survivorship import canonical_rule

STATE_MEMBERS = "er_members"
"""The record-level dataset that entity resolution ran on (before any collapse)."""
STATE_CACHE = "er_cache"


def members_dataset(ctx: RunContext) -> Dataset:
    """The record-level data: the input of the first collapsing agent, else the current data."""
    members = ctx.state.get(STATE_MEMBERS)
    return members if isinstance(members, Dataset) else ctx.data


def er_config(ctx: RunContext, agent_id: str, params: Any, columns: list[str]) -> ERConfig:
    """Matching configuration from an agent's parameters (columns may be original or standard names)."""
    keys = resolve_columns(ctx, agent_id, "match_key_columns", params.match_key_columns, columns)
    weights = resolve_keys(ctx, agent_id, "match_key_weights", getattr(params, "match_key_weights", {}), columns)
    return ERConfig(mode="probabilistic" if params.enable_fuzzy_matching else "exact", columns=keys,
                    weights={c: float(w) / 50.0 for c, w in weights.items()},
                    match_threshold=params.match_threshold, review_threshold=params.review_threshold,
                    max_block_size=params.max_block_size)


def run_er(ctx: RunContext, members: Dataset, config: ERConfig) -> ERResult:
    key = (str(members.path), config.model_dump_json())
    cache = ctx.state.get(STATE_CACHE)
    if cache and cache[0] == key:
        return cache[1]
    lf = members.lazy().select([ROW_ID, *user_columns(members.schema)])
    result = resolve_entities(lf, config, progress=lambda f: ctx.progress(0.7 * f),
                              check_cancelled=ctx.check_cancelled)
    ctx.state[STATE_CACHE] = (key, result)
    ctx.state["er"] = {"clusters": result.clusters, "pairs": result.pairs, "stats": result.stats,
                       "match_threshold": config.match_threshold, "review_threshold": config.review_threshold}
    return result


def rules_for(ctx: RunContext, agent_id: str, rules: dict[str, str], columns: list[str]) -> dict[str, str]:
    resolved = resolve_keys(ctx, agent_id, "survivorship_rules", rules, columns)
    return {c: canonical_rule(r, f"{agent_id}.survivorship_rules[{c}]") for c, r in resolved.items()}


def auto_column(ctx: RunContext, given: str | None, kinds: dict[str, str | None], wanted: tuple[str, ...],
                columns: list[str], agent_id: str, param: str) -> str | None:
    if given:
        return resolve_columns(ctx, agent_id, param, [given], columns)[0]
    return next((c for c in columns if kinds.get(c) in wanted), None)


def write_membership(ctx: RunContext, result: ERResult) -> OutputFile:
    path = ctx.output_path("cluster_membership.csv")
    df = result.clusters.select(pl.col("row_id").alias("row_index"), "cluster_id", "cluster_size",
                                pl.col("match_score").round(6)).sort("row_index")
    df.write_csv(path)
    return OutputFile(name=path.name, path=path, kind="membership", mime_type="text/csv", rows=df.height)


def write_pairs(ctx: RunContext, result: ERResult) -> OutputFile:
    path = ctx.output_path("match_pairs.csv")
    pairs = result.pairs
    labels = []
    for f in result.fields:
        if f.column not in pairs.columns:
            continue
        names = LEVEL_LABELS[f.comparator]
        labels.append(pl.col(f.column).cast(pl.Int64).replace_strict(
            list(range(-1, len(names))), ["missing", *names], return_dtype=pl.String).alias(f"cmp_{f.column}"))
    clusters = result.clusters.select("row_id", "cluster_id")
    df = (pairs.select(pl.col("row_id_l").alias("row_index_a"), pl.col("row_id_r").alias("row_index_b"),
                       pl.col("match_probability").round(6), pl.col("match_weight").round(4), *labels)
          .join(clusters.rename({"row_id": "row_index_a", "cluster_id": "cluster_a"}), on="row_index_a", how="left")
          .join(clusters.rename({"row_id": "row_index_b", "cluster_id": "cluster_b"}), on="row_index_b", how="left")
          .with_columns((pl.col("cluster_a") == pl.col("cluster_b")).alias("same_cluster"))
          .sort("match_probability", "row_index_a", descending=[True, False]))
    df.write_csv(path)
    return OutputFile(name=path.name, path=path, kind="pairs", mime_type="text/csv", rows=df.height)


def er_tables(result: ERResult) -> tuple[list[dict], list[dict]]:
    """Presentation hints: matching fields, blocking passes, model weights; cluster-size chart."""
    from agensium.engine.master.common import bar_chart, table

    sizes = (result.clusters.group_by("cluster_id").agg(pl.len().alias("s")).group_by("s")
             .agg(pl.len().alias("n")).sort("s"))
    tables = [
        table("Matching fields", ["column", "comparator", "semantic type", "weight"],
              ([f["column"], f["comparator"], f["semantic_type"], f["weight"]] for f in result.stats["fields"])),
        table("Blocking passes", ["pass", "candidate pairs", "skipped blocks"],
              ([b["pass"], b["pairs"], b["skipped_blocks"]] for b in result.stats.get("blocking", []))),
        table("Match weights (Fellegi-Sunter, EM)", ["field", "level", "m", "u", "match weight"],
              ([r["field"], r["level"], r["m"], r["u"], r["match_weight"]]
               for r in result.model.describe(result.comparators))),
    ]
    charts = [bar_chart("Clusters by size", [int(s) for s in sizes["s"]], [int(v) for v in sizes["n"]], "clusters",
                        "records in cluster", "clusters")]
    probs = result.pairs["match_probability"] if result.pairs.height else pl.Series([], dtype=pl.Float64)
    if probs.len():
        hist = (pl.DataFrame({"p": probs}).with_columns((pl.col("p") * 10).floor().clip(0, 9).alias("b"))
                .group_by("b").agg(pl.len().alias("n")).sort("b"))
        charts.append(bar_chart("Scored pairs by match probability", [f"{b / 10:.1f}" for b in hist["b"]],
                                [int(v) for v in hist["n"]], "pairs", "probability bucket", "pairs"))
    return tables, charts
