"""The part survivorship-resolver and golden-record-builder share: match, then resolve every field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
from pydantic import Field, field_validator

from agensium.engine.agent import ROW_ID, AgentParams, Dataset, OutputFile, RunContext
from agensium.engine.master.common import user_columns
from agensium.engine.master.entity_runs import (
    STATE_MEMBERS,
    auto_column,
    er_config,
    members_dataset,
    rules_for,
    run_er,
)
from agensium.engine.master.er import ERResult
from agensium.engine.master.semantic_types import ID_KINDS, detect_all
from agensium.engine.master.survivorship import RULE_ALIASES, SurvivorshipConfig, canonical_rule, resolve
from agensium.errors import AgensiumError, ErrorCode


class MatchParams(AgentParams):
    """Matching parameters shared by the two agents (zero-config by default)."""

    match_key_columns: list[str] = Field(default_factory=list,
                                         description="Columns to match on (original or standard names); "
                                                     "empty = chosen from semantic types")
    enable_fuzzy_matching: bool = Field(True, description="Fuzzy probabilistic matching (off = records match "
                                                          "only when all match keys are equal after normalising)")
    match_threshold: float = Field(0.9, ge=0.0, le=1.0,
                                   description="Match probability needed to merge two records")
    review_threshold: float = Field(0.5, ge=0.0, le=1.0,
                                    description="Pairs between this and match_threshold go to review")
    max_block_size: int = Field(200, ge=2, le=5000, description="Blocking: larger blocks are skipped")
    survivorship_rules: dict[str, str] = Field(default_factory=dict, description="{column: rule}")
    source_priority: dict[str, int] = Field(default_factory=dict, description="{source: rank}; lower wins")
    source_column: str | None = Field(None, description="Column naming each record's source system")
    timestamp_column: str | None = Field(None, description="Column with each record's last update (parsed)")
    field_validation_rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="{column: {pattern, min_length, allowed_values}} for 'validated'")

    @field_validator("survivorship_rules")
    @classmethod
    def _known_rules(cls, v: dict[str, str]) -> dict[str, str]:
        bad = sorted({r for r in v.values() if r.strip().lower() not in RULE_ALIASES})
        if bad:
            raise ValueError(f"unknown rule(s) {bad}; allowed: {sorted(RULE_ALIASES)}")
        return v


def check_rule(v: str) -> str:
    """Validator for a default-rule parameter."""
    if v.strip().lower() not in RULE_ALIASES:
        raise ValueError(f"unknown rule '{v}'; allowed: {sorted(RULE_ALIASES)}")
    return v


@dataclass
class Survivors:
    result: ERResult
    golden: pl.DataFrame
    provenance: pl.DataFrame
    members: Dataset
    config: SurvivorshipConfig


def build_survivors(ctx: RunContext, agent_id: str, p: MatchParams, default_rule: str) -> Survivors:
    ctx.state.setdefault(STATE_MEMBERS, ctx.data)  # the first of the two agents fixes the members
    members = members_dataset(ctx)
    cols = user_columns(members.schema)
    config = er_config(ctx, agent_id, p, cols)
    result = run_er(ctx, members, config)
    ctx.check_cancelled()
    kinds = {c: k for c, (k, _, _) in detect_all(members.lazy().select(cols)).items()}
    kinds.update(ctx.state.get("semantic_types", {}))
    ts = auto_column(ctx, p.timestamp_column, kinds, ("updated_at", "created_at"), cols, agent_id,
                     "timestamp_column")
    src = auto_column(ctx, p.source_column, kinds, ("source",), cols, agent_id, "source_column")
    if p.source_priority and src is None:
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS,
                            f"{agent_id}: source_priority is set but no source column was found; set source_column",
                            {"agent_id": agent_id, "available_columns": cols})
    id_like = [c for c in cols if kinds.get(c) in ID_KINDS]
    uniq = members.lazy().select([(pl.col(c).n_unique() == pl.len()).alias(c) for c in id_like]).collect() \
        if id_like else pl.DataFrame()
    meta = [c for c in cols if kinds.get(c) in ("source", "created_at", "updated_at")]
    identifiers = tuple(c for c in id_like if uniq[c][0]) + tuple(meta)
    cfg = SurvivorshipConfig(columns=cols, rules=rules_for(ctx, agent_id, p.survivorship_rules, cols),
                             default_rule=canonical_rule(default_rule, f"{agent_id}.default rule"), kinds=kinds,
                             source_column=src, source_priority=p.source_priority or None, timestamp_column=ts,
                             validation_rules=p.field_validation_rules, identifier_columns=identifiers)
    data = members.lazy().select([ROW_ID, *cols]).collect()
    golden, prov = resolve(data, result.clusters, cfg)
    ctx.progress(0.9)
    return Survivors(result, golden, prov, members, cfg)


def rules_applied(s: Survivors) -> dict[str, str]:
    return {c: s.config.rules.get(c, s.config.default_rule) for c in s.config.columns}


def golden_out(s: Survivors, extra: dict[str, str] | None = None) -> pl.DataFrame:
    """Typed golden records for the next agent: ROW_ID = cluster id (a real original row)."""
    g = s.golden
    out = g.select(
        pl.col("__cluster_id__").cast(pl.Int64).alias(ROW_ID), *s.config.columns,
        pl.col("__cluster_id__").cast(pl.Int64),
        pl.col("__source_count__").cast(pl.Int64),
        pl.col("__trust_score__"),
        pl.col("__conflicts__").cast(pl.Int64),
        pl.col("__source_rows__").cast(pl.List(pl.String)).list.join(";").alias("__source_rows__"),
    )
    if extra:
        out = out.rename(extra)
    return out


def conflict_stats(s: Survivors) -> dict[str, Any]:
    prov = s.provenance
    if prov.height == 0:
        return {"conflicts_detected": 0, "conflicts_resolved": 0, "low_confidence_resolutions": 0,
                "average_confidence": 1.0}
    conflicts = prov.filter(pl.col("conflict"))
    return {"conflicts_detected": conflicts.height,
            "conflicts_resolved": conflicts.filter(pl.col("confidence") >= 0.5).height,
            "low_confidence_resolutions": conflicts.filter(pl.col("confidence") < 0.5).height,
            "average_confidence": round(float(conflicts["confidence"].mean() or 1.0), 4)}


def resolution_rate(stats: dict[str, Any]) -> float:
    """Percent of field conflicts resolved with confidence (100 when there was nothing to resolve)."""
    detected = stats["conflicts_detected"]
    return 100.0 * stats["conflicts_resolved"] / detected if detected else 100.0


def write_provenance(ctx: RunContext, s: Survivors, name: str) -> OutputFile:
    """Every field decision (winner, rule, confidence, source row) as a CSV output."""
    path = ctx.output_path(name)
    s.provenance.rename({"source_row": "source_row_index"}).write_csv(path)
    return OutputFile(name=path.name, path=path, kind="other", mime_type="text/csv", rows=s.provenance.height)
