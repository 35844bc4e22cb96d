"""stewardship-flagger: flags and a prioritised task list for data stewards.

Every check is a vectorised mask over the whole table (no cell loops, no first-1000-rows limit):
missing required values, invalid formats (by semantic type and user patterns), low confidence or
trust, out-of-range values, suspected duplicates, business-rule violations, and, after entity
resolution, unresolved field conflicts, low-confidence merges and possible matches left unmerged.
The data gets `__needs_review__`, `__stewardship_priority__`, `__stewardship_issues__` and
`__flagged_at__`; the full task list goes to `stewardship_tasks.csv`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict, Field

from agensium.engine.agent import (
    ROW_ID,
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Issue,
    OutputFile,
    Recommendation,
    RunContext,
    SummaryCard,
)
from agensium.engine.master.common import (
    bar_chart,
    resolve_column,
    resolve_columns,
    resolve_keys,
    status_of,
    table,
    user_columns,
)
from agensium.engine.master.semantic_types import detect_all
from agensium.engine.master.survivorship import validity

SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}
FORMAT_KINDS = {"email", "phone", "dob", "date", "postcode"}
DEFAULT_RANGES = {"age": (0, 120), "percentage": (0, 100), "percent": (0, 100), "year": (1900, 2100)}
FINDING_SCHEMA = {ROW_ID: pl.Int64, "column": pl.String, "issue_type": pl.String, "severity": pl.String,
                  "value": pl.String, "message": pl.String, "recommended_action": pl.String}


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    operator: Literal["eq", "ne", "gt", "ge", "lt", "le", "contains", "in", "not_in", "is_null", "not_null",
                      "matches"]
    value: Any = None


class BusinessRule(BaseModel):
    """A rule states what must be TRUE for a row; rows where it is false (or unknown) are violations."""

    model_config = ConfigDict(extra="forbid")
    name: str
    condition: Condition
    severity: Literal["critical", "high", "medium", "low"] = "medium"
    action: str = "review"
    when: Condition | None = Field(None, description="Only rows matching this condition are checked")


class StewardshipFlaggerParams(AgentParams):
    required_columns: list[str] = Field(default_factory=list, description="Columns that must have a value")
    confidence_threshold: float = Field(0.7, ge=0, le=1, description="Confidence/trust below this needs review")
    confidence_columns: list[str] = Field(default_factory=list,
                                          description="Columns holding 0-1 confidences (empty = by name: "
                                                      "confidence, score, trust, quality)")
    merge_confidence_threshold: float = Field(0.95, ge=0, le=1,
                                              description="Entities merged with a weaker link need review")
    field_validation_rules: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="{column: {pattern, min_length, allowed_values}}")
    outlier_thresholds: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="{column: {min, max}}; defaults for age, percentage, year")
    duplicate_key_columns: list[str] = Field(default_factory=list,
                                             description="Rows sharing these values are suspected duplicates")
    business_rules: list[BusinessRule] = Field(default_factory=list, description="Rules every row must satisfy")
    severity_weights: dict[str, float] = Field(
        default_factory=lambda: {"critical": 4, "high": 3, "medium": 2, "low": 1},
        description="Weight of each severity in the score")
    max_tasks_in_report: int = Field(200, ge=0, le=1000, description="Tasks listed in the report")
    excellent_threshold: float = Field(90, ge=0, le=100, description="Score for 'excellent'")
    good_threshold: float = Field(75, ge=0, le=100, description="Score for 'good'")


def condition_expr(c: Condition, col: str) -> pl.Expr:
    e, v = pl.col(col), c.value
    ops = {
        "eq": lambda: e == v, "ne": lambda: e != v, "gt": lambda: e > v, "ge": lambda: e >= v,
        "lt": lambda: e < v, "le": lambda: e <= v,
        "contains": lambda: e.cast(pl.String).str.contains(str(v), literal=True),
        "matches": lambda: e.cast(pl.String).str.contains(f"^(?:{v})$"),
        "in": lambda: e.cast(pl.String).is_in([str(x) for x in (v or [])]),
        "not_in": lambda: ~e.cast(pl.String).is_in([str(x) for x in (v or [])]),
        "is_null": lambda: e.is_null(), "not_null": lambda: e.is_not_null(),
    }
    return ops[c.operator]()


def _finding(lf: pl.LazyFrame, mask: pl.Expr, column: str | None, itype: str, severity: str | pl.Expr,
             message: str | pl.Expr, action: str, value: pl.Expr | None = None) -> pl.LazyFrame:
    sev = pl.lit(severity) if isinstance(severity, str) else severity
    msg = pl.lit(message) if isinstance(message, str) else message
    val = value if value is not None else (pl.col(column) if column else pl.lit(None))
    return lf.filter(mask).select(pl.col(ROW_ID).cast(pl.Int64), pl.lit(column, dtype=pl.String).alias("column"),
                                  pl.lit(itype).alias("issue_type"), sev.alias("severity"),
                                  val.cast(pl.String).alias("value"), msg.alias("message"),
                                  pl.lit(action).alias("recommended_action"))


class StewardshipFlagger(Agent):
    id = "stewardship-flagger"
    Params = StewardshipFlaggerParams

    def run(self, params: StewardshipFlaggerParams, ctx: RunContext) -> AgentResult:
        p = params
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        cols = user_columns(schema)
        all_cols = [c for c in schema.names() if c != ROW_ID]
        n = ctx.data.row_count
        kinds = {c: k for c, (k, _, _) in detect_all(lf.select(cols)).items()}
        kinds.update({c: k for c, k in ctx.state.get("semantic_types", {}).items() if c in cols})
        finds: list[pl.LazyFrame] = []
        column_tasks: list[dict] = []
        for req in p.required_columns:
            c = resolve_column(ctx, req, cols)
            if c is None:
                column_tasks.append({"column": req, "issue_type": "MISSING_REQUIRED_COLUMN", "severity": "critical",
                                     "message": f"Required column '{req}' is absent",
                                     "recommended_action": "fix the source extract"})
                continue
            finds.append(_finding(lf, pl.col(c).is_null(), c, "MISSING_REQUIRED", "high",
                                  f"{c} is required but empty", "fill from source"))
        rules = resolve_keys(ctx, self.id, "field_validation_rules", p.field_validation_rules, cols)
        for c in cols:
            if kinds.get(c) in FORMAT_KINDS or c in rules:
                bad = pl.col(c).is_not_null() & (validity(c, kinds.get(c), schema[c], rules.get(c)) == 0)
                finds.append(_finding(lf, bad, c, "INVALID_FORMAT", "medium",
                                      f"{c} does not look like a valid {kinds.get(c) or 'value'}", "correct format"))
        conf_cols = resolve_columns(ctx, self.id, "confidence_columns", p.confidence_columns, all_cols) \
            if p.confidence_columns else self._confidence_columns(lf, schema, all_cols)
        for c in conf_cols:
            low = pl.col(c) < p.confidence_threshold
            sev = pl.when(pl.col(c) < 0.3).then(pl.lit("high")).otherwise(pl.lit("medium"))
            finds.append(_finding(lf, low, c, "LOW_CONFIDENCE", sev,
                                  pl.format("{} = {} is below {}", pl.lit(c), pl.col(c).round(3),
                                            pl.lit(p.confidence_threshold)), "verify the values"))
        ranges = self._ranges(ctx, p, cols, schema, kinds)
        for c, (lo, hi) in ranges.items():
            out = pl.col(c).is_not_null() & ((pl.col(c) < lo) | (pl.col(c) > hi))
            finds.append(_finding(lf, out, c, "OUTLIER_VALUE", "medium", f"{c} outside [{lo}, {hi}]",
                                  "check the value"))
        if p.duplicate_key_columns:
            keys = resolve_columns(ctx, self.id, "duplicate_key_columns", p.duplicate_key_columns, cols)
            dup = pl.all_horizontal([pl.col(k).is_not_null() for k in keys]) & pl.struct(keys).is_duplicated()
            finds.append(_finding(lf, dup, ", ".join(keys), "DUPLICATE_SUSPECTED", "high",
                                  f"another row has the same ({', '.join(keys)})", "merge or deduplicate",
                                  value=pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator="|")))
        for rule in p.business_rules:
            c = resolve_columns(ctx, self.id, f"business_rules[{rule.name}]", [rule.condition.column], cols)[0]
            ok = condition_expr(rule.condition, c).fill_null(False)
            scope = pl.lit(True)
            if rule.when:
                wc = resolve_columns(ctx, self.id, f"business_rules[{rule.name}].when", [rule.when.column], cols)[0]
                scope = condition_expr(rule.when, wc).fill_null(False)
            finds.append(_finding(lf, scope & ~ok, c, "BUSINESS_RULE_VIOLATION", rule.severity,
                                  f"rule '{rule.name}' fails", rule.action))
        finds += self._entity_findings(ctx, lf, schema, p)
        ctx.progress(0.6)
        findings = pl.concat([f.collect().cast(FINDING_SCHEMA) for f in finds]) if finds else \
            pl.DataFrame(schema=FINDING_SCHEMA)
        return self._result(ctx, p, lf, findings, column_tasks, n, len(cols))

    @staticmethod
    def _confidence_columns(lf: pl.LazyFrame, schema: pl.Schema, cols: list[str]) -> list[str]:
        """Float columns named like a confidence whose values really are 0..1 (a z-'score' is not one)."""
        named = [c for c in cols if schema[c].is_float()
                 and any(w in c.lower() for w in ("confidence", "trust", "score", "quality"))]
        if not named:
            return []
        row = lf.select([pl.col(c).min().alias(f"lo|{c}") for c in named]
                        + [pl.col(c).max().alias(f"hi|{c}") for c in named]).collect().row(0, named=True)
        return [c for c in named if row[f"lo|{c}"] is not None and row[f"lo|{c}"] >= 0 and row[f"hi|{c}"] <= 1]

    @staticmethod
    def _ranges(ctx, p, cols, schema, kinds) -> dict[str, tuple[float, float]]:
        out = {}
        given = resolve_keys(ctx, StewardshipFlagger.id, "outlier_thresholds", p.outlier_thresholds, cols)
        for c in cols:
            if not schema[c].is_numeric():
                continue
            if c in given:
                out[c] = (given[c].get("min", float("-inf")), given[c].get("max", float("inf")))
                continue
            token = next((k for k in DEFAULT_RANGES if k == (kinds.get(c) or "") or k in c.lower().split("_")), None)
            if token:
                out[c] = DEFAULT_RANGES[token]
        return out

    @staticmethod
    def _entity_findings(ctx, lf, schema, p) -> list[pl.LazyFrame]:
        out = []
        prov = (ctx.state.get("golden") or ctx.state.get("survivorship") or {}).get("provenance")
        er = ctx.state.get("er")
        if "__cluster_id__" not in schema.names() or er is None:
            return out
        if prov is not None and prov.height:
            bad = prov.filter(pl.col("conflict") & (pl.col("confidence") < p.confidence_threshold))
            out.append(bad.lazy().select(
                pl.col("cluster_id").cast(pl.Int64).alias(ROW_ID), "column",
                pl.lit("CONFLICT_UNRESOLVED").alias("issue_type"), pl.lit("high").alias("severity"),
                pl.col("value"), pl.format("{} distinct values; chose by {} (confidence {})", pl.col("distinct_values"),
                                           pl.col("rule"), pl.col("confidence")).alias("message"),
                pl.lit("confirm the surviving value").alias("recommended_action")))
        clusters: pl.DataFrame = er["clusters"]
        weak = (clusters.filter((pl.col("cluster_size") > 1) & (pl.col("match_score") < p.merge_confidence_threshold))
                .group_by("cluster_id").agg(pl.col("match_score").min().alias("s")))
        out.append(weak.lazy().select(
            pl.col("cluster_id").cast(pl.Int64).alias(ROW_ID), pl.lit(None, dtype=pl.String).alias("column"),
            pl.lit("LOW_CONFIDENCE_MERGE").alias("issue_type"), pl.lit("high").alias("severity"),
            pl.col("s").round(4).cast(pl.String).alias("value"),
            pl.format("a record joined this entity with match probability {}", pl.col("s").round(4)).alias("message"),
            pl.lit("confirm or split the merge").alias("recommended_action")))
        pairs: pl.DataFrame = er["pairs"]
        if pairs.height:
            cl = clusters.select("row_id", "cluster_id")
            maybe = (pairs.filter(pl.col("match_probability") < er["match_threshold"])
                     .join(cl.rename({"row_id": "row_id_l", "cluster_id": "ca"}), on="row_id_l")
                     .join(cl.rename({"row_id": "row_id_r", "cluster_id": "cb"}), on="row_id_r")
                     .filter(pl.col("ca") != pl.col("cb")))
            out.append(maybe.lazy().select(
                pl.col("ca").cast(pl.Int64).alias(ROW_ID), pl.lit(None, dtype=pl.String).alias("column"),
                pl.lit("POSSIBLE_MATCH").alias("issue_type"), pl.lit("medium").alias("severity"),
                pl.col("cb").cast(pl.String).alias("value"),
                pl.format("may be the same entity as cluster {} (probability {})", pl.col("cb"),
                          pl.col("match_probability").round(3)).alias("message"),
                pl.lit("decide whether to merge").alias("recommended_action")))
        present = lf.select(ROW_ID)
        return [f.join(present, on=ROW_ID, how="semi") for f in out]

    def _result(self, ctx, p, lf, findings: pl.DataFrame, column_tasks, n, ncols) -> AgentResult:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rank = pl.col("severity").replace_strict(SEVERITY_RANK, default=0, return_dtype=pl.Int8)
        findings = findings.with_columns(rank.alias("__rank")).sort(["__rank", ROW_ID], descending=[True, False])
        per_row = findings.group_by(ROW_ID).agg(
            pl.len().alias("__issue_count__"),
            pl.col("__rank").max().alias("__r"),
            pl.concat_str([pl.col("issue_type"), pl.col("column").fill_null("*")], separator=":")
            .head(5).str.join("; ").alias("__stewardship_issues__"))
        inv = {v: k for k, v in SEVERITY_RANK.items()}
        per_row = per_row.with_columns(
            pl.col("__r").replace_strict(inv, return_dtype=pl.String).alias("__stewardship_priority__"),
            pl.lit(True).alias("__needs_review__"), pl.lit(now).alias("__flagged_at__")).drop("__r")
        out = lf.join(per_row.lazy(), on=ROW_ID, how="left").with_columns(
            pl.col("__needs_review__").fill_null(False), pl.col("__issue_count__").fill_null(0))
        weights = p.severity_weights
        entity_col = "__cluster_id__" if "__cluster_id__" in lf.collect_schema().names() else None
        tasks = findings.select(
            pl.format("T{}", pl.int_range(1, pl.len() + 1)).alias("task_id"),
            pl.col(ROW_ID).cast(pl.String).alias("entity_id") if entity_col
            else pl.format("row_{}", pl.col(ROW_ID)).alias("entity_id"),
            pl.col(ROW_ID).alias("row_index"), "column", "issue_type", pl.col("severity").alias("priority"),
            "value", "message", "recommended_action", pl.lit(now).alias("detected_at"))
        tpath = ctx.output_path("stewardship_tasks.csv")
        col_tasks = pl.DataFrame([{"task_id": f"C{i + 1}", "entity_id": None, "row_index": None, "column": t["column"],
                                   "issue_type": t["issue_type"], "priority": t["severity"], "value": None,
                                   "message": t["message"], "recommended_action": t["recommended_action"],
                                   "detected_at": now} for i, t in enumerate(column_tasks)],
                                 schema=tasks.schema) if column_tasks else tasks.clear()
        all_tasks = pl.concat([col_tasks, tasks])
        all_tasks.write_csv(tpath)
        by_type = findings.group_by("issue_type").agg(pl.len().alias("n")).sort("n", descending=True)
        by_sev = {s: int(findings.filter(pl.col("severity") == s).height) for s in SEVERITY_RANK}
        by_col = findings.group_by("column").agg(pl.len().alias("n")).sort("n", descending=True)
        flagged = per_row.height
        cells = max(1, n * ncols)
        clean_rate = 100.0 - min(100.0, 10.0 * 100.0 * findings.height / cells)
        wsum = sum(weights.get(s, 0) * k for s, k in by_sev.items()) + 4 * len(column_tasks)
        weighted = max(0.0, 100.0 - 100.0 * wsum / (max(1, n) * 4))
        score = round(0.6 * clean_rate + 0.4 * weighted, 2) if n else None
        ri = findings.head(50_000).select(pl.col(ROW_ID).alias("row_index"), "column",
                                          pl.col("issue_type").str.to_lowercase(), "severity", "message", "value")
        alerts = []
        if by_sev["critical"] or column_tasks:
            alerts.append(Alert(severity="critical", category="stewardship",
                                message=f"{by_sev['critical'] + len(column_tasks)} critical stewardship task(s)"))
        issues = [Issue(field=None, issue_type=r["issue_type"].lower(), severity="medium", count=r["n"],
                        message=f"{r['n']} finding(s) of type {r['issue_type']}") for r in by_type.to_dicts()]
        issues += [Issue(field=t["column"], issue_type=t["issue_type"].lower(), severity="critical",
                         message=t["message"]) for t in column_tasks]
        recs = []
        if flagged:
            recs.append(Recommendation(field=None, priority="high" if by_sev["critical"] + by_sev["high"] else "medium",
                                       recommendation=f"Work through {all_tasks.height} stewardship task(s) on "
                                                      f"{flagged} record(s), highest priority first"))
        summary = {"total_records": n, "total_columns": ncols, "total_issues": findings.height + len(column_tasks),
                   "tasks_created": all_tasks.height, "records_flagged": flagged,
                   "critical_issues": by_sev["critical"] + len(column_tasks), "high_priority_issues": by_sev["high"],
                   "medium_priority_issues": by_sev["medium"], "low_priority_issues": by_sev["low"],
                   "clean_data_rate": round(100.0 * (n - flagged) / n, 2) if n else 100.0}
        data = {"stewardship_score": score, "quality_status": status_of(score, p.excellent_threshold,
                                                                          p.good_threshold),
                "statistics": summary, "task_list": all_tasks.head(p.max_tasks_in_report).to_dicts(),
                "issue_distribution": {r["issue_type"]: r["n"] for r in by_type.to_dicts()},
                "issues_by_column": {str(r["column"]): r["n"] for r in by_col.to_dicts()},
                "issues_by_severity": by_sev,
                "tables": [table("Stewardship tasks (highest priority first)",
                                 ["task", "entity", "column", "issue", "priority", "value", "message"],
                                 ([t["task_id"], t["entity_id"], t["column"], t["issue_type"], t["priority"],
                                   t["value"], t["message"]] for t in all_tasks.head(p.max_tasks_in_report).to_dicts()))],
                "charts": [bar_chart("Findings by type", by_type["issue_type"].to_list(), by_type["n"].to_list())]
                if by_type.height else []}
        card = SummaryCard(title="Records needing review", value=f"{flagged:,}",
                           status="excellent" if not flagged else "warning" if not by_sev["critical"] else "critical",
                           description=f"{all_tasks.height} task(s); score {score}")
        outputs = [OutputFile(name=tpath.name, path=tpath, kind="other", mime_type="text/csv", rows=all_tasks.height)]
        return AgentResult(agent_id=self.id, summary=summary, data=data, score=score, alerts=alerts, issues=issues,
                           recommendations=recs, cards=[card], row_issues=ri, outputs=outputs, data_out=out)
