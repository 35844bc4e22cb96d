"""survivorship-resolver: match records into entities, then pick every field's surviving value.

By default the output holds one row per entity (collapsed), with `__cluster_id__`,
`__resolution_confidence__` and `__source_count__`; with `collapse` off every record is kept and
annotated with its cluster. The decisions (winner, rule, confidence, source row) go to
`survivorship_decisions.csv`.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field, field_validator

from agensium.engine.agent import (
    ROW_ID,
    Agent,
    AgentResult,
    Issue,
    OutputFile,
    Recommendation,
    RunContext,
    SummaryCard,
)
from agensium.engine.master.common import (
    bar_chart,
    issue_rows,
    row_issues,
    status_of,
    table_from_frame,
)
from agensium.engine.master.entity_runs import er_tables, write_membership, write_pairs
from agensium.engine.master.survivors import (
    MatchParams,
    build_survivors,
    check_rule,
    conflict_stats,
    golden_out,
    resolution_rate,
    rules_applied,
    write_provenance,
)


class SurvivorshipResolverParams(MatchParams):
    default_rule: str = Field("quality_score", description="Rule for columns without one: quality_score, "
                              "most_recent, source_priority, most_complete, most_frequent, longest, validated, "
                              "min, max, first, last")
    min_confidence_threshold: float = Field(0.5, ge=0, le=1, description="Resolutions below are flagged")
    collapse: bool = Field(True, description="Output one row per entity (else keep every record, annotated)")
    excellent_threshold: float = Field(90, ge=0, le=100, description="Score for 'excellent'")
    good_threshold: float = Field(75, ge=0, le=100, description="Score for 'good'")

    @field_validator("default_rule")
    @classmethod
    def _rule_ok(cls, v: str) -> str:
        return check_rule(v)


class SurvivorshipResolver(Agent):
    id = "survivorship-resolver"
    Params = SurvivorshipResolverParams

    def run(self, params: SurvivorshipResolverParams, ctx: RunContext) -> AgentResult:
        p = params
        s = build_survivors(ctx, self.id, p, p.default_rule)
        res = s.result
        stats = conflict_stats(s)
        ctx.state["survivorship"] = {"provenance": s.provenance, "rules": rules_applied(s)}
        low = s.provenance.filter(pl.col("conflict") & (pl.col("confidence") < p.min_confidence_threshold))
        n = res.stats["rows"]
        clusters = res.stats["clusters"]
        resolved_pct = resolution_rate(stats)
        coverage = 100.0 * len(res.fields) / max(1, len(s.config.columns))
        score = round(0.5 * resolved_pct + 35.0 * stats["average_confidence"] + 0.15 * min(100.0, coverage), 2)
        outputs: list[OutputFile] = [write_provenance(ctx, s, "survivorship_decisions.csv")]
        if "golden-record-builder" not in ctx.state.get("agents", []):
            outputs += [write_membership(ctx, res), write_pairs(ctx, res)]
        if p.collapse:
            out = golden_out(s, {"__trust_score__": "__resolution_confidence__"}).drop("__source_rows__")
            data_out = out.lazy()
        else:
            ann = res.clusters.select(pl.col("row_id").alias(ROW_ID), pl.col("cluster_id").alias("__cluster_id__"),
                                      pl.col("match_score").alias("__match_score__"))
            data_out = s.members.lazy().join(ann.lazy(), on=ROW_ID, how="left").sort(ROW_ID)
        members_lf = s.members.lazy().join(
            res.clusters.lazy().select(pl.col("row_id").alias(ROW_ID), "cluster_id"), on=ROW_ID, how="left")
        frames = [issue_rows(
            members_lf.join(low.lazy().select(pl.col("cluster_id"), pl.col("column").alias("__col"),
                                              pl.col("value").alias("__v"), "confidence"), on="cluster_id"),
            pl.lit(True), None, "unresolved_conflict", "high",
            pl.format("cluster {}: conflicting values of {} (confidence {})", pl.col("cluster_id"),
                      pl.col("__col"), pl.col("confidence")), value=pl.col("__v"))]
        issues = []
        if low.height:
            issues.append(Issue(field=None, issue_type="low_confidence_resolution", severity="medium",
                                count=low.height, message=f"{low.height} field conflict(s) resolved with confidence "
                                                          f"below {p.min_confidence_threshold}"))
        recs = []
        if res.stats.get("review_pairs"):
            recs.append(Recommendation(field=None, priority="medium",
                                       recommendation=f"Review {res.stats['review_pairs']} possible matches below "
                                                      "the match threshold (match_pairs.csv)"))
        by_field = s.provenance.filter(pl.col("conflict")).group_by("column").agg(
            pl.len().alias("conflicts"), pl.col("confidence").mean().round(3).alias("avg_confidence"),
            pl.col("rule").first()).sort("conflicts", descending=True)
        tables, charts = er_tables(res)
        tables = [table_from_frame("Conflicts by field", by_field),
                  table_from_frame("Resolved fields (sample)", s.provenance.filter(pl.col("conflict")).head(200)),
                  *tables]
        if by_field.height:
            charts.append(bar_chart("Conflicts by field", by_field["column"].to_list(),
                                    by_field["conflicts"].to_list(), "conflicts"))
        summary = {"total_records": n, "clusters": clusters, "multi_record_clusters": res.stats["multi_row_clusters"],
                   "records_merged": n - clusters, "candidate_pairs": res.stats["candidate_pairs"],
                   "matched_pairs": res.stats["matched_pairs"], "review_pairs": res.stats["review_pairs"],
                   **stats, "resolution_rate": round(resolved_pct, 2)}
        data = {"survivorship_score": score, "quality_status": status_of(score, p.excellent_threshold,
                                                                          p.good_threshold),
                "statistics": summary, "rules_applied": rules_applied(s),
                "source_column": s.config.source_column, "timestamp_column": s.config.timestamp_column,
                "matching": {k: v for k, v in res.stats.items() if k != "blocking"},
                "blocking": res.stats.get("blocking", []),
                "resolution_by_field": by_field.to_dicts(),
                "resolved_fields": s.provenance.filter(pl.col("conflict")).head(200).to_dicts(),
                "tables": tables, "charts": charts}
        card = SummaryCard(title="Entities resolved", value=f"{n:,} → {clusters:,}",
                           status=status_of(score, p.excellent_threshold, p.good_threshold),  # type: ignore[arg-type]
                           description=f"{stats['conflicts_detected']} field conflicts, "
                                       f"average confidence {stats['average_confidence']:.2f}")
        return AgentResult(agent_id=self.id, summary=summary, data=data, score=score, issues=issues,
                           recommendations=recs, cards=[card], row_issues=row_issues(frames), outputs=outputs,
                           data_out=data_out)
