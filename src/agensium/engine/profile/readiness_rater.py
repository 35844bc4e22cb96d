"""Readiness Rater: one readiness score, with every point lost explained, and a status that also asks how
many rows carry a defect.

Components (0-100 each), from the profile's quality model (`profile.quality`): completeness (present
cells), validity (valid values among present ones), consistency (values written the column's usual way),
uniqueness (rows that are not exact or near duplicates) and schema health (100 minus penalties for empty,
unnamed, renamed, constant and mixed-type columns). The score is the weighted mean of the components; the
deductions split exactly the points lost (100 - score) by cause. The status is "ready" only when the score
reaches the threshold AND at most `max_defective_rows_pct` of the rows carry a defect (a missing, invalid or
inconsistently written cell, or a duplicate row).
"""

from __future__ import annotations

import re
from typing import Any

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
from agensium.engine.profile.duplicates import Duplicates, find_duplicates
from agensium.engine.profile.presentation import bar_chart, rnd, table
from agensium.engine.profile.quality import column_quality, table_quality
from agensium.engine.profile.shared import DatasetProfile, dataset_profile

UNNAMED = re.compile(r"^(unnamed[:_ ]?\s*\d*|column_?\d+|_c\d+|field_?\d+|_duplicated_\d+|\s*)$", re.IGNORECASE)


class ReadinessParams(AgentParams):
    ready_threshold: float = Field(80, ge=0, le=100, description="Score at or above this is 'ready'.")
    needs_review_threshold: float = Field(50, ge=0, le=100, description="Score at or above this is 'needs_review'.")
    completeness_weight: float = Field(0.25, ge=0, le=1, description="Weight of completeness.")
    validity_weight: float = Field(0.2, ge=0, le=1, description="Weight of validity (values of the column's kind).")
    consistency_weight: float = Field(0.2, ge=0, le=1, description="Weight of consistency (one format, currency "
                                      "and spelling per value).")
    schema_health_weight: float = Field(0.15, ge=0, le=1, description="Weight of schema health.")
    uniqueness_weight: float = Field(0.2, ge=0, le=1, description="Weight of row uniqueness (exact and near "
                                     "duplicate rows).")
    max_defective_rows_pct: float = Field(5, ge=0, le=100, description="'ready' needs at most this share (%) of rows "
                                          "carrying a defect (missing, invalid or inconsistent cell, duplicate row).")
    review_defective_rows_pct: float = Field(25, ge=0, le=100, description="Above this share (%) of defective rows "
                                             "the data is 'not_ready'.")
    empty_column_penalty: float = Field(15, ge=0, le=100, description="Schema-health points per empty column.")
    unnamed_column_penalty: float = Field(8, ge=0, le=100, description="Schema-health points per unnamed column.")
    constant_column_penalty: float = Field(5, ge=0, le=100, description="Schema-health points per constant column.")
    mixed_type_penalty: float = Field(5, ge=0, le=100,
                                      description="Schema-health points per text column partly holding numbers.")
    min_rows: int = Field(100, ge=0, le=10_000_000, description="Fewer rows than this raises an alert.")
    mostly_empty_row_share: float = Field(0.5, gt=0, le=1,
                                          description="Rows with more than this share of cells missing are reported.")


def _or100(v: float | None) -> float:
    return 100.0 if v is None else v


def _cause(reason: str, fields: list[str], points: float, detail: str) -> dict[str, Any]:
    return {"reason": reason, "fields": fields, "raw_points": points, "detail": detail}


def _per_column(prof: DatasetProfile, bad: dict[str, int], of: dict[str, int], reason: str, what: str
                ) -> list[dict[str, Any]]:
    """A component that is the mean over columns of (1 - bad/of): each column's share of the points lost."""
    n = len(prof.columns) or 1
    return [_cause(reason, [c], 100.0 * b / of[c] / n, f"{b:,} {what} in '{c}'")
            for c, b in sorted(bad.items(), key=lambda kv: -kv[1]) if b and of.get(c)]


def _completeness(prof: DatasetProfile) -> list[dict[str, Any]]:
    missing = {c: prof.stats[c].missing for c in prof.columns}
    return _per_column(prof, missing, {c: prof.stats[c].rows for c in prof.columns}, "missing_values",
                       "missing cell(s) (null, blank or placeholder)")


def _validity(prof: DatasetProfile) -> list[dict[str, Any]]:
    bad = {c: v.nonconforming for c, v in prof.values.items() if v.conforming is not None}
    return _per_column(prof, bad, {c: prof.stats[c].present for c in bad}, "type_mismatch", "invalid value(s)")


def _consistency(prof: DatasetProfile) -> list[dict[str, Any]]:
    bad = {c: v.inconsistent for c, v in prof.values.items()}
    valid = {c: (v.conforming if v.conforming is not None else prof.stats[c].present) for c, v in prof.values.items()}
    return _per_column(prof, bad, valid, "inconsistent_values", "value(s) written another way than usual")


def _uniqueness(dups: Duplicates, rows: int) -> list[dict[str, Any]]:
    out = []
    if dups.exact.len():
        out.append(_cause("duplicate_rows", [], 100.0 * dups.exact.len() / rows,
                          f"{dups.exact.len():,} row(s) repeat an earlier row exactly"))
    if dups.near.len():
        out.append(_cause("near_duplicate_rows", [], 100.0 * dups.near.len() / rows,
                          f"{dups.near.len():,} row(s) repeat an earlier row once normalised"))
    return out


def _schema_health(prof: DatasetProfile, p: ReadinessParams, penalties: list[dict[str, Any]],
                   read_notes: dict[str, Any]) -> float:
    """100 minus fixed penalties per structural problem, clipped at 0 (the penalties are scaled in place so
    they add up to the points lost)."""
    renamed = set((read_notes.get("renamed_columns") or {}).values())
    for c in prof.columns:
        st, sem_t = prof.stats[c], prof.semantics[c]
        if st.rows and st.present <= 0:
            penalties.append(_cause("empty_column", [c], p.empty_column_penalty, f"'{c}' has no values"))
        elif st.distinct == 1 and st.rows > 1:
            penalties.append(_cause("constant_column", [c], p.constant_column_penalty, f"'{c}' holds one value"))
        if c in renamed:
            penalties.append(_cause("renamed_column", [c], p.unnamed_column_penalty,
                                    f"the file's header gave no usable name here: '{c}' was generated"))
        elif UNNAMED.match(c):
            penalties.append(_cause("unnamed_column", [c], p.unnamed_column_penalty, f"column '{c}' has no real name"))
        share = sem_t.shares.get("number_text", 0.0)
        if st.kind == "string" and sem_t.type in ("text", "categorical", "id_like") and 0.05 <= share < 0.5:
            penalties.append(_cause("mixed_types", [c], p.mixed_type_penalty,
                                    f"'{c}' mixes text and numbers ({100 * share:.0f}% numeric in the sample)"))
    total = sum(x["raw_points"] for x in penalties)
    health = max(0.0, 100.0 - total)
    scale = (100.0 - health) / total if total else 0.0
    for x in penalties:
        x["raw_points"] *= scale
    return health


def _status(score: float, defective_pct: float, p: ReadinessParams) -> str:
    if score < p.needs_review_threshold or defective_pct > p.review_defective_rows_pct:
        return "not_ready"
    if score < p.ready_threshold or defective_pct > p.max_defective_rows_pct:
        return "needs_review"
    return "ready"


def _deductions(causes: dict[str, list[dict[str, Any]]], weights: dict[str, float], comps: dict[str, float]
                ) -> list[dict[str, Any]]:
    out = []
    for comp, items in causes.items():
        for it in items:
            pts = weights[comp] * it["raw_points"]
            if pts <= 0:
                continue
            out.append({"component": comp, "deduction_reason": it["reason"], "fields_affected": it["fields"],
                        "deduction_amount": round(pts, 4), "detail": it["detail"],
                        "severity": "high" if pts >= 5 else "medium" if pts >= 1 else "low"})
    return sorted(out, key=lambda d: -d["deduction_amount"])


def _band(score: float) -> str:
    return "excellent" if score >= 95 else "good" if score >= 80 else "fair" if score >= 60 else "poor"


class ReadinessRater(Agent):
    id = "readiness-rater"
    Params = ReadinessParams

    def run(self, params: ReadinessParams, ctx: RunContext) -> AgentResult:
        prof = dataset_profile(ctx)
        ctx.progress(0.5, None)
        cols, rows = prof.columns, prof.rows
        lf = ctx.data.lazy()
        dups = find_duplicates(lf, prof)
        tq = table_quality(prof, [column_quality(prof, c, None) for c in cols], dups)
        causes = {"completeness": _completeness(prof), "validity": _validity(prof), "consistency": _consistency(prof),
                  "schema_health": [], "uniqueness": _uniqueness(dups, rows)}
        schema_health = _schema_health(prof, params, causes["schema_health"], ctx.data.read_notes)
        dims = tq.dimensions
        comps = {"completeness": _or100(dims["completeness"]), "validity": _or100(dims["validity"]),
                 "consistency": _or100(dims["consistency"]), "schema_health": schema_health,
                 "uniqueness": _or100(dims["uniqueness"])}
        raw_w = {"completeness": params.completeness_weight, "validity": params.validity_weight,
                 "consistency": params.consistency_weight, "schema_health": params.schema_health_weight,
                 "uniqueness": params.uniqueness_weight}
        wsum = sum(raw_w.values()) or 1.0
        weights = {k: v / wsum for k, v in raw_w.items()}
        score = sum(weights[k] * comps[k] for k in comps)
        deductions = _deductions(causes, weights, comps)
        defective = tq.defective_row_pct or 0.0
        status = _status(score, defective, params)
        dup_rows = dups.rows
        res = AgentResult(agent_id=self.id, score=rnd(score))
        component_scores = [{"component": k, "weight": round(weights[k], 4), "score": rnd(v), "band": _band(v),
                             "points_lost": round(weights[k] * (100 - v), 4)} for k, v in comps.items()]
        res.summary = {
            "readiness_score": rnd(score), "readiness_status": status,
            "components_ready": sum(v >= 80 for v in comps.values()),
            "components_needs_review": sum(50 <= v < 80 for v in comps.values()),
            "components_not_ready": sum(v < 50 for v in comps.values()),
            "total_deduction_points": round(100 - score, 4), "duplicate_rows": dups.exact.len(),
            "near_duplicate_rows": dups.near.len(), "defective_rows": tq.defective_rows,
            "defective_rows_pct": rnd(defective), "rows": rows,
        }
        res.data = {
            "readiness_assessment": {"overall_score": rnd(score), "overall_status": status,
                                     "status_description": {"ready": "ready for use",
                                                            "needs_review": "usable after review of the deductions",
                                                            "not_ready": "fix the main deductions before use"}[status],
                                     "defective_rows_pct": rnd(defective),
                                     "rule": f"ready: score >= {params.ready_threshold:g} and at most "
                                             f"{params.max_defective_rows_pct:g}% of rows with a defect; not ready: "
                                             f"score < {params.needs_review_threshold:g} or more than "
                                             f"{params.review_defective_rows_pct:g}% of rows with a defect"},
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
        res.row_issues = self._row_issues(lf, prof, params, dups, ctx)
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
        defective = res.summary.get("defective_rows_pct") or 0.0
        if defective > p.max_defective_rows_pct:
            res.alerts.append(Alert(severity="high" if status != "ready" else "medium", category="defective_rows",
                                    affected_fields=[],
                                    message=f"{defective:.1f}% of the rows carry a defect (missing, invalid or "
                                            f"inconsistently written cell, or a duplicate row); 'ready' allows at most "
                                            f"{p.max_defective_rows_pct:g}%"))
        if rows < p.min_rows:
            res.alerts.append(Alert(severity="medium", category="volume", affected_fields=[],
                                    message=f"only {rows} row(s): too few for reliable statistics"))
        issue_type = {"missing_values": "null_value", "type_mismatch": "invalid_format", "empty_column": "empty_column",
                      "inconsistent_values": "inconsistent_format", "near_duplicate_rows": "near_duplicate_record",
                      "renamed_column": "renamed_column",
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

    def _row_issues(self, lf: pl.LazyFrame, prof: DatasetProfile, p: ReadinessParams, dups: Duplicates,
                    ctx: RunContext) -> pl.DataFrame:
        cols = prof.columns
        if not cols:
            return empty_row_issues()
        parts = []
        for ids, kind, msg in ((dups.exact, "duplicate_row", "exact duplicate of an earlier row"),
                               (dups.near, "near_duplicate_row", "duplicate of an earlier row once normalised")):
            if ids.len():
                parts.append(pl.DataFrame({"row_index": ids}).select(
                    pl.col("row_index").cast(pl.Int64), pl.lit(None, dtype=pl.String).alias("column"),
                    pl.lit(kind).alias("issue_type"), pl.lit("medium").alias("severity"), pl.lit(msg).alias("message"),
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
