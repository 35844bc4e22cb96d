"""golden-record-builder: one trusted record per entity, with the provenance of every value.

Outputs: `golden_records.csv` (every golden record, its trust score, one trust per field
`__trust__<column>`, source count and source rows),
`cluster_membership.csv` (every input row → cluster id, match score), `match_pairs.csv` (scored pair
evidence for review) and `golden_provenance.csv` (cluster and field → winning value, source row, rule,
confidence). Reuses the run's entity resolution when survivorship-resolver already matched.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field, field_validator

from agensium.engine.agent import (
    Agent,
    AgentResult,
    Alert,
    Issue,
    OutputFile,
    Recommendation,
    RunContext,
    SummaryCard,
)
from agensium.engine.io.csv_writer import csv_ready
from agensium.engine.master.common import bar_chart, issue_rows, row_issues, status_of, table_from_frame
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


class GoldenRecordBuilderParams(MatchParams):
    match_key_weights: dict[str, float] = Field(default_factory=dict,
                                                description="{column: 0-100} importance of each matching column "
                                                            "(50 = normal)")
    default_survivorship_rule: str = Field(
        "most_frequent", description="Rule for columns without one (the consensus value; ties go to the most "
                                     "complete record): most_frequent, most_complete, most_recent, source_priority, "
                                     "longest, validated, quality_score, min, max, first, last")
    min_trust_score: float = Field(0.5, ge=0, le=1, description="Golden records below are flagged")
    excellent_threshold: float = Field(90, ge=0, le=100, description="Score for 'excellent'")
    good_threshold: float = Field(75, ge=0, le=100, description="Score for 'good'")

    @field_validator("default_survivorship_rule")
    @classmethod
    def _rule_ok(cls, v: str) -> str:
        return check_rule(v)


class GoldenRecordBuilder(Agent):
    id = "golden-record-builder"
    Params = GoldenRecordBuilderParams

    def run(self, params: GoldenRecordBuilderParams, ctx: RunContext) -> AgentResult:
        p = params
        s = build_survivors(ctx, self.id, p, p.default_survivorship_rule)
        res = s.result
        golden = golden_out(s)
        ctx.state["golden"] = {"provenance": s.provenance, "rules": rules_applied(s)}
        stats = conflict_stats(s)
        n, g = res.stats["rows"], golden.height
        avg_trust = float(golden["__trust_score__"].mean() or 1.0)
        compression = n / g if g else 1.0
        resolution = resolution_rate(stats)
        score = round(avg_trust * 100 * 0.4 + min(100.0, compression * 20) * 0.3 + resolution * 0.3, 2)
        if res.stats["multi_row_clusters"] == 0:
            score = round(avg_trust * 100 * 0.4 + 30.0 + resolution * 0.3, 2)  # nothing to merge is not a flaw
        outputs = self._write(ctx, golden, s)
        low = golden.filter(pl.col("__trust_score__") < p.min_trust_score)
        frames = [issue_rows(golden.lazy(), pl.col("__trust_score__") < p.min_trust_score, "__trust_score__",
                             "low_trust_score", "medium",
                             pl.format("golden record of cluster {} has trust {}", pl.col("__cluster_id__"),
                                       pl.col("__trust_score__")))]
        alerts, issues, recs = [], [], []
        if low.height:
            issues.append(Issue(field=None, issue_type="low_trust_score", severity="medium", count=low.height,
                                message=f"{low.height} golden record(s) below trust {p.min_trust_score}"))
            recs.append(Recommendation(field=None, priority="medium",
                                       recommendation="Review low-trust golden records; add source_priority or a "
                                                      "timestamp_column to make survivorship decisive"))
        if res.stats.get("review_pairs"):
            alerts.append(Alert(severity="medium", category="matching",
                                message=f"{res.stats['review_pairs']} candidate pair(s) are uncertain matches",
                                recommendation="Review match_pairs.csv (rows between the thresholds)"))
        tables, charts = er_tables(res)
        sample = golden.sort("__source_count__", "__cluster_id__", descending=[True, False]).head(100)
        tables = [table_from_frame("Golden records (largest clusters)", sample), *tables]
        hist = (golden.with_columns((pl.col("__trust_score__") * 10).floor().clip(0, 9).alias("b"))
                .group_by("b").agg(pl.len().alias("n")).sort("b"))
        charts.append(bar_chart("Golden records by trust score", [f"{b / 10:.1f}" for b in hist["b"]],
                                hist["n"].to_list(), "records", "trust bucket", "records"))
        summary = {"input_records": n, "golden_records_created": g, "clusters_formed": g,
                   "multi_record_clusters": res.stats["multi_row_clusters"], "compression_ratio": round(compression, 4),
                   "candidate_pairs": res.stats["candidate_pairs"], "matched_pairs": res.stats["matched_pairs"],
                   "review_pairs": res.stats["review_pairs"], "conflicts_resolved": stats["conflicts_resolved"],
                   "conflicts_detected": stats["conflicts_detected"], "average_trust_score": round(avg_trust, 4),
                   "low_trust_records": low.height, "total_issues": len(issues)}
        data = {"golden_score": score, "quality_status": status_of(score, p.excellent_threshold, p.good_threshold),
                "statistics": {**summary, "match_key_columns": [f.column for f in res.fields],
                               "match_threshold": p.match_threshold},
                "survivorship_rules_applied": rules_applied(s), "matching": {k: v for k, v in res.stats.items()
                                                                             if k != "blocking"},
                "golden_records": sample.to_dicts(),
                "field_resolutions": s.provenance.filter(pl.col("conflict")).head(200).to_dicts(),
                "tables": tables, "charts": charts}
        card = SummaryCard(title="Golden records", value=f"{g:,}",
                           status=status_of(score, p.excellent_threshold, p.good_threshold),  # type: ignore[arg-type]
                           description=f"from {n:,} records; average trust {avg_trust:.2f}")
        return AgentResult(agent_id=self.id, summary=summary, data=data, score=score, alerts=alerts, issues=issues,
                           recommendations=recs, cards=[card], row_issues=row_issues(frames), outputs=outputs,
                           data_out=golden.lazy())

    @staticmethod
    def _write(ctx: RunContext, golden: pl.DataFrame, s) -> list[OutputFile]:
        gpath = ctx.output_path("golden_records.csv")
        conf = [c for c in s.golden.columns if c.startswith("__conf__")]
        per_field = s.golden.select(pl.col("__cluster_id__").cast(pl.Int64),
                                    *[pl.col(c).round(4).alias("__trust__" + c.removeprefix("__conf__")) for c in conf])
        csv_ready(golden.rename({"__row_id__": "golden_row_index"})
                  .join(per_field, on="__cluster_id__", how="left", maintain_order="left")).write_csv(gpath)
        return [OutputFile(name=gpath.name, path=gpath, kind="golden", mime_type="text/csv", rows=golden.height),
                write_membership(ctx, s.result), write_pairs(ctx, s.result),
                write_provenance(ctx, s, "golden_provenance.csv")]
