"""Readiness Rater: one readiness score, with every point lost explained.

Components (0-100 each): completeness (present cells / all cells), consistency (values that
conform to their column's type / values in typed-as-text columns), schema health (100 minus
penalties for empty, unnamed, constant and mixed-type columns) and uniqueness (100 minus the
share of duplicate rows). The score is the weighted mean of the components, and the deductions
list splits exactly the points lost (100 - score) by cause, so fixing a cause raises the score by
the amount shown.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import polars as pl
from pydantic import Field

from agensium.engine.agent import (
    ROW_ID,
    ROW_ISSUE_SCHEMA,
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Issue,
    Recommendation,
    RunContext,
    SummaryCard,
    empty_row_issues,
)
from agensium.engine.profile.presentation import bar_chart, rnd, table
from agensium.engine.profile.shared import DatasetProfile, dataset_profile

UNNAMED = re.compile(r"^(unnamed[:_ ]?\s*\d*|column_?\d+|_c\d+|field_?\d+|_duplicated_\d+|\s*)$", re.IGNORECASE)


class ReadinessParams(AgentParams):
    ready_threshold: float = Field(80, ge=0, le=100, description="Score at or above this is 'ready'.")
    needs_review_threshold: float = Field(50, ge=0, le=100, description="Score at or above this is 'needs_review'.")
    completeness_weight: float = Field(0.3, ge=0, le=1, description="Weight of completeness.")
    consistency_weight: float = Field(0.3, ge=0, le=1, description="Weight of type consistency.")
    schema_health_weight: float = Field(0.25, ge=0, le=1, description="Weight of schema health.")
    uniqueness_weight: float = Field(0.15, ge=0, le=1, description="Weight of row uniqueness (duplicate rows).")
    empty_column_penalty: float = Field(15, ge=0, le=100, description="Schema-health points per empty column.")
    unnamed_column_penalty: float = Field(8, ge=0, le=100, description="Schema-health points per unnamed column.")
    constant_column_penalty: float = Field(5, ge=0, le=100, description="Schema-health points per constant column.")
    mixed_type_penalty: float = Field(5, ge=0, le=100,
                                      description="Schema-health points per text column partly holding numbers.")
    min_rows: int = Field(100, ge=0, le=10_000_000, description="Fewer rows than this raises an alert.")
    mostly_empty_row_share: float = Field(0.5, gt=0, le=1,
                                          description="Rows with more than this share of cells missing are reported.")


def _duplicate_row_ids(lf: pl.LazyFrame, cols: list[str], prof: DatasetProfile) -> pl.Series:
    """ROW_IDs of rows that exactly repeat an earlier row (in ROW_ID order).

    The profile's 64-bit row hashes find the candidates cheaply; the exact comparison then runs on the
    candidates only, so a hash collision can never create a false duplicate.
    """
    if prof.row_hash is not None and len(prof.row_hash) == prof.row_ids.len():
        # hashes seen more than once, from one NumPy sort (about 8x faster than a hash-table `is_duplicated`)
        srt = np.sort(prof.row_hash)
        repeated = np.unique(srt[1:][srt[1:] == srt[:-1]])
        ids = prof.row_ids.filter(pl.Series(np.isin(prof.row_hash, repeated))) if len(repeated) else \
            pl.Series(ROW_ID, [], dtype=pl.Int64)
    else:
        ids = (lf.select(pl.col(ROW_ID), pl.struct(cols).hash(seed=7).alias("__h"))
               .filter(pl.col("__h").is_duplicated()).select(ROW_ID).collect())[ROW_ID]
    if ids.len() == 0:
        return pl.Series(ROW_ID, [], dtype=pl.Int64)
    exact = (lf.filter(pl.col(ROW_ID).is_in(ids.implode())).sort(ROW_ID)
             .filter(~pl.struct(cols).is_first_distinct()).select(ROW_ID).collect())
    return exact[ROW_ID]


def _band(score: float) -> str:
    return "excellent" if score >= 95 else "good" if score >= 80 else "fair" if score >= 60 else "poor"


class ReadinessRater(Agent):
    id = "readiness-rater"
    Params = ReadinessParams

    def run(self, params: ReadinessParams, ctx: RunContext) -> AgentResult:
        prof = dataset_profile(ctx)
        ctx.progress(0.5, None)
        cols = prof.columns
        rows = prof.rows
        cells = rows * len(cols)
        lf = ctx.data.lazy()
        dup_ids = _duplicate_row_ids(lf, cols, prof) if rows and cols else pl.Series(ROW_ID, [], dtype=pl.Int64)
        dup_rows = dup_ids.len()
        causes: dict[str, list[dict[str, Any]]] = {"completeness": [], "consistency": [], "schema_health": [],
                                                   "uniqueness": []}
        # completeness: each column's missing cells are its share of the lost points
        missing = {c: prof.stats[c].missing for c in cols}
        completeness = 100.0 * (1 - sum(missing.values()) / cells) if cells else 100.0
        for c, m in sorted(missing.items(), key=lambda kv: -kv[1]):
            if m:
                causes["completeness"].append({"reason": "missing_values", "fields": [c], "raw_points": 100.0 * m / cells,
                                               "detail": f"{m:,} missing cell(s) ({100 * m / rows:.1f}% of '{c}')"})
        # consistency: values that break their column's semantic type
        present_typed = sum(prof.stats[c].present for c in prof.conforming)
        bad = {c: prof.stats[c].present - n for c, n in prof.conforming.items()}
        consistency = 100.0 * (1 - sum(bad.values()) / present_typed) if present_typed else 100.0
        for c, b in sorted(bad.items(), key=lambda kv: -kv[1]):
            if b:
                causes["consistency"].append({"reason": "type_mismatch", "fields": [c],
                                              "raw_points": 100.0 * b / present_typed,
                                              "detail": f"{b:,} value(s) in '{c}' are not valid "
                                                        f"{prof.semantics[c].type}"})
        # schema health: fixed penalties per structural problem, clipped at 0
        penalties: list[dict[str, Any]] = []
        for c in cols:
            st, sem_t = prof.stats[c], prof.semantics[c]
            if rows and st.present == 0:
                penalties.append({"reason": "empty_column", "fields": [c], "raw_points": params.empty_column_penalty,
                                  "detail": f"'{c}' has no values"})
            elif st.distinct == 1 and rows > 1:
                penalties.append({"reason": "constant_column", "fields": [c],
                                  "raw_points": params.constant_column_penalty, "detail": f"'{c}' holds one value"})
            if UNNAMED.match(c):
                penalties.append({"reason": "unnamed_column", "fields": [c], "raw_points": params.unnamed_column_penalty,
                                  "detail": f"column '{c}' has no real name"})
            share = sem_t.shares.get("number_text", 0.0)
            if st.kind == "string" and sem_t.type in ("text", "categorical", "id_like") and 0.05 <= share < 0.8:
                penalties.append({"reason": "mixed_types", "fields": [c], "raw_points": params.mixed_type_penalty,
                                  "detail": f"'{c}' mixes text and numbers ({100 * share:.0f}% numeric in the sample)"})
        total_pen = sum(p["raw_points"] for p in penalties)
        schema_health = max(0.0, 100.0 - total_pen)
        scale = (100.0 - schema_health) / total_pen if total_pen else 0.0  # share of each penalty after clipping
        for p in penalties:
            p["raw_points"] *= scale
        causes["schema_health"] = penalties
        uniqueness = 100.0 * (1 - dup_rows / rows) if rows else 100.0
        if dup_rows:
            causes["uniqueness"].append({"reason": "duplicate_rows", "fields": [], "raw_points": 100.0 * dup_rows / rows,
                                         "detail": f"{dup_rows:,} row(s) repeat an earlier row exactly"})

        comps = {"completeness": completeness, "consistency": consistency, "schema_health": schema_health,
                 "uniqueness": uniqueness}
        raw_w = {"completeness": params.completeness_weight, "consistency": params.consistency_weight,
                 "schema_health": params.schema_health_weight, "uniqueness": params.uniqueness_weight}
        wsum = sum(raw_w.values()) or 1.0
        weights = {k: v / wsum for k, v in raw_w.items()}
        score = sum(weights[k] * comps[k] for k in comps)
        deductions = []
        for comp, items in causes.items():
            for it in items:
                pts = weights[comp] * it["raw_points"]
                if pts <= 0:
                    continue
                deductions.append({"component": comp, "deduction_reason": it["reason"], "fields_affected": it["fields"],
                                   "deduction_amount": round(pts, 4), "detail": it["detail"],
                                   "severity": "high" if pts >= 5 else "medium" if pts >= 1 else "low"})
        deductions.sort(key=lambda d: -d["deduction_amount"])
        status = ("ready" if score >= params.ready_threshold else
                  "needs_review" if score >= params.needs_review_threshold else "not_ready")
        res = AgentResult(agent_id=self.id, score=rnd(score))
        component_scores = [{"component": k, "weight": round(weights[k], 4), "score": rnd(v), "band": _band(v),
                             "points_lost": round(weights[k] * (100 - v), 4)} for k, v in comps.items()]
        res.summary = {
            "readiness_score": rnd(score), "readiness_status": status,
            "components_ready": sum(v >= 80 for v in comps.values()),
            "components_needs_review": sum(50 <= v < 80 for v in comps.values()),
            "components_not_ready": sum(v < 50 for v in comps.values()),
            "total_deduction_points": round(100 - score, 4), "duplicate_rows": dup_rows, "rows": rows,
        }
        res.data = {
            "readiness_assessment": {"overall_score": rnd(score), "overall_status": status,
                                     "status_description": {"ready": "ready for use",
                                                            "needs_review": "usable after review of the deductions",
                                                            "not_ready": "fix the main deductions before use"}[status]},
            "component_scores": component_scores,
            "deductions": deductions,
            "tables": [table("Deductions (points lost)", ["component", "reason", "fields", "points", "detail"],
                             [[d["component"], d["deduction_reason"], ", ".join(d["fields_affected"]),
                               d["deduction_amount"], d["detail"]] for d in deductions]),
                       table("Components", ["component", "weight", "score", "band", "points lost"],
                             [[c["component"], c["weight"], c["score"], c["band"], c["points_lost"]]
                              for c in component_scores])],
            "charts": [bar_chart("Readiness components", list(comps), [rnd(v) for v in comps.values()], "score",
                                 "component", "score")],
        }
        self._findings(res, status, score, comps, deductions, params, rows, dup_rows)
        res.row_issues = self._row_issues(lf, prof, params, dup_ids, ctx)
        return res

    def _findings(self, res: AgentResult, status: str, score: float, comps: dict[str, float],
                  deductions: list[dict[str, Any]], p: ReadinessParams, rows: int, dup_rows: int) -> None:
        sev = {"ready": "info", "needs_review": "high", "not_ready": "critical"}[status]
        res.alerts.append(Alert(severity=sev, category="readiness", affected_fields=[],
                                message=f"Readiness {score:.1f}/100: {status.replace('_', ' ')}"))
        for comp, v in comps.items():
            if v < 80:
                res.alerts.append(Alert(severity="high" if v < 60 else "medium", category=comp, affected_fields=[],
                                        message=f"{comp.replace('_', ' ')} is {v:.1f}/100"))
        if rows < p.min_rows:
            res.alerts.append(Alert(severity="medium", category="volume", affected_fields=[],
                                    message=f"only {rows} row(s): too few for reliable statistics"))
        issue_type = {"missing_values": "null_value", "type_mismatch": "invalid_format", "empty_column": "empty_column",
                      "constant_column": "constant_column", "unnamed_column": "unnamed_column",
                      "mixed_types": "mixed_types", "duplicate_rows": "duplicate_record"}
        for d in deductions:
            res.issues.append(Issue(field=d["fields_affected"][0] if d["fields_affected"] else None,
                                    issue_type=issue_type[d["deduction_reason"]], severity=d["severity"],
                                    message=f"-{d['deduction_amount']:.2f} points: {d['detail']}",
                                    extras={"component": d["component"], "deduction": d["deduction_amount"]}))
        for d in deductions[:5]:
            res.recommendations.append(Recommendation(
                field=d["fields_affected"][0] if d["fields_affected"] else None,
                priority=d["severity"], recommendation=f"Fix: {d['detail']}",
                rationale=f"worth {d['deduction_amount']:.2f} readiness points"))
        res.cards = [SummaryCard(title="Readiness", value=f"{score:.1f} ({status.replace('_', ' ')})",
                                 status={"ready": "good", "needs_review": "warning", "not_ready": "critical"}[status],
                                 description=f"{len(deductions)} deduction(s); {dup_rows:,} duplicate row(s)")]

    def _row_issues(self, lf: pl.LazyFrame, prof: DatasetProfile, p: ReadinessParams, dup_ids: pl.Series,
                    ctx: RunContext) -> pl.DataFrame:
        cols = prof.columns
        if not cols:
            return empty_row_issues()
        parts = []
        if dup_ids.len():
            parts.append(pl.DataFrame({"row_index": dup_ids}).select(
                pl.col("row_index").cast(pl.Int64), pl.lit(None, dtype=pl.String).alias("column"),
                pl.lit("duplicate_row").alias("issue_type"), pl.lit("medium").alias("severity"),
                pl.lit("exact duplicate of an earlier row").alias("message"),
                pl.lit(None, dtype=pl.String).alias("value")))
        if prof.row_missing is not None and len(prof.row_missing) == prof.row_ids.len():
            missing = pl.DataFrame({"row_index": prof.row_ids, "__m": prof.row_missing})
        else:
            schema = ctx.data.schema
            miss = []
            for c in cols:
                e = pl.col(c).is_null()
                if schema[c].is_float():
                    e = e | pl.col(c).is_nan()
                elif schema[c] == pl.String:
                    e = e | ~pl.col(c).str.contains(r"\S")
                miss.append(e.cast(pl.Int32))
            missing = lf.select(pl.col(ROW_ID).alias("row_index"), pl.sum_horizontal(miss).alias("__m")).collect()
        share = pl.col("__m") / len(cols)
        parts.append(missing.filter(share > p.mostly_empty_row_share).select(
            pl.col("row_index").cast(pl.Int64), pl.lit(None, dtype=pl.String).alias("column"),
            pl.lit("mostly_empty_row").alias("issue_type"), pl.lit("low").alias("severity"),
            pl.format("{}% of the cells are missing", (share * 100).round(1)).alias("message"),
            pl.lit(None, dtype=pl.String).alias("value")))
        return pl.concat([df.cast(ROW_ISSUE_SCHEMA) for df in parts], how="vertical")
