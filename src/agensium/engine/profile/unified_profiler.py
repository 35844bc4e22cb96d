"""Unified Profiler: exact statistics, semantic types, patterns, outliers and quality scores per column.

Quality model (stated in the report): completeness = share of cells that are present (not null,
NaN or blank); validity = share of present values that conform to the column's semantic type
(e.g. valid e-mails in an e-mail column, parseable numbers in a numbers-as-text column);
plausibility = share of numeric values inside the outlier bounds. A column's score is the weighted
mean of the dimensions that apply (0.5 / 0.3 / 0.2); the overall score is the mean over columns.
"""

from __future__ import annotations

from typing import Any, Literal

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
from agensium.engine.profile.presentation import band, bar_chart, fmt, grade, pct, rnd, table
from agensium.engine.profile.semantic import conformance_expr, pattern_summary
from agensium.engine.profile.shared import STATE_KEY, DatasetProfile, ProfileOptions, build_profile
from agensium.engine.profile.stats import QUANTILES, StatsOptions, quantile_key

QUALITY_WEIGHTS = {"completeness": 0.5, "validity": 0.3, "plausibility": 0.2}
PII_TYPES = {"email", "phone", "credit_card", "iban", "ssn", "ipv4", "ipv6"}


class ProfilerParams(AgentParams):
    null_alert_threshold: float = Field(50.0, ge=0, le=100,
                                        description="Alert when a column's missing share (%) exceeds this.")
    categorical_threshold: int = Field(20, ge=1, le=100_000,
                                       description="Columns with at most this many distinct values are categorical.")
    categorical_ratio_threshold: float = Field(
        0.05, ge=0, le=1, description="Columns whose distinct/non-null ratio is at most this (and at most 1000 "
        "distinct values) are categorical.")
    top_n_values: int = Field(10, ge=1, le=100, description="Most frequent values listed per column.")
    histogram_bins: int = Field(20, ge=2, le=200, description="Equal-width histogram bins per numeric column.")
    outlier_method: Literal["iqr", "mad"] = Field(
        "iqr", description="Outlier rule used for alerts, scores and row issues: IQR fences or robust z (MAD).")
    outlier_iqr_multiplier: float = Field(1.5, gt=0, le=20, description="k in [Q1 - k*IQR, Q3 + k*IQR].")
    outlier_mad_threshold: float = Field(3.5, gt=0, le=50,
                                         description="Robust z = |x - median| / (1.4826*MAD) above this is an outlier.")
    outlier_alert_threshold: float = Field(5.0, ge=0, le=100,
                                           description="Alert when a column's outlier share (%) exceeds this.")
    sample_size: int = Field(10_000, ge=100, le=1_000_000,
                             description="Rows sampled (seeded) for semantic types and patterns; counts stay exact.")
    semantic_min_share: float = Field(0.8, gt=0, le=1,
                                      description="Share of sampled values that must conform to assign a semantic type.")
    row_issue_outliers: bool = Field(True, description="Emit one row issue per outlier cell.")
    row_issue_type_mismatches: bool = Field(True, description="Emit one row issue per value that breaks the "
                                            "column's semantic type.")
    max_charts: int = Field(30, ge=0, le=200, description="Maximum number of per-column charts in the report.")


def _outliers(st_num: dict[str, Any], method: str) -> dict[str, Any] | None:
    return st_num.get("iqr_outliers" if method == "iqr" else "mad_outliers")


class UnifiedProfiler(Agent):
    id = "unified-profiler"
    Params = ProfilerParams

    def run(self, params: ProfilerParams, ctx: RunContext) -> AgentResult:
        opts = ProfileOptions(
            stats=StatsOptions(top_n=params.top_n_values, histogram_bins=params.histogram_bins,
                               iqr_multiplier=params.outlier_iqr_multiplier, mad_threshold=params.outlier_mad_threshold),
            sample_size=params.sample_size, semantic_min_share=params.semantic_min_share,
            categorical_threshold=params.categorical_threshold, categorical_ratio=params.categorical_ratio_threshold,
        )
        ctx.check_cancelled()
        issue_frames: list[pl.DataFrame] = []

        def hook(df: pl.DataFrame, batch: dict[str, Any], prof: DatasetProfile) -> None:
            ctx.check_cancelled()
            issue_frames.extend(self._batch_row_issues(df, batch, prof, params))

        prof = build_profile(ctx.data, opts, progress=lambda f: ctx.progress(0.8 * f, None), batch_hook=hook)
        ctx.state[STATE_KEY] = prof
        ctx.check_cancelled()
        columns = [self._column(prof, c, params) for c in prof.columns]
        scored = [c["quality"]["score"] for c in columns if c["quality"]["score"] is not None]
        overall = sum(scored) / len(scored) if scored else None
        res = AgentResult(agent_id=self.id, score=rnd(overall))
        self._findings(res, prof, columns, params, overall)
        res.summary = {
            "total_rows": prof.rows, "total_columns": len(prof.columns),
            "overall_quality_score": rnd(overall), "quality_grade": grade(overall),
            "columns_with_issues": len({i.field for i in res.issues if i.field and i.severity != "info"}),
            "total_missing_cells": sum(prof.stats[c].missing for c in prof.columns),
            "numeric_columns": sum(1 for c in columns if c["kind"] == "numeric"),
            "text_columns": sum(1 for c in columns if c["kind"] == "string"),
            "semantic_sample_rows": prof.sample_size,
        }
        dims = {k: [c["quality"][k] for c in columns if c["quality"][k] is not None] for k in QUALITY_WEIGHTS}
        res.data = {
            "columns": columns,
            "quality_summary": {
                "overall_quality_score": rnd(overall), "quality_grade": grade(overall),
                **{f"{k}_score": rnd(sum(v) / len(v)) if v else None for k, v in dims.items()},
                "columns_requiring_attention": sorted({i.field for i in res.issues
                                                       if i.field and i.severity in ("critical", "high", "medium")}),
            },
            "method": {
                "exact_statistics": True, "semantic_sample_rows": prof.sample_size, "sample_seed": opts.seed,
                "quantile_interpolation": "linear", "std_ddof": 1, "skewness": "adjusted Fisher-Pearson (bias=False)",
                "kurtosis": "adjusted excess kurtosis (bias=False)", "entropy": "Shannon, bits",
                "outlier_method": params.outlier_method, "quality_weights": QUALITY_WEIGHTS,
            },
            "tables": self._tables(columns),
            "charts": self._charts(columns, params),
        }
        res.cards = [
            SummaryCard(title="Overall Data Quality", value="n/a" if overall is None else f"{overall:.1f} ({grade(overall)})",
                        status=band(overall, 90, 80, 60),
                        description=f"{len(prof.columns)} columns, {prof.rows:,} rows profiled exactly"),
        ]
        res.row_issues = (pl.concat(issue_frames, how="vertical") if issue_frames else empty_row_issues())
        return res

    # -- per column ---------------------------------------------------------------------------------
    def _column(self, prof: DatasetProfile, c: str, p: ProfilerParams) -> dict[str, Any]:
        st = prof.stats[c]
        semantic = prof.semantics[c]
        out = st.to_dict()
        out["semantic"] = semantic.to_dict()
        out["semantic_type"] = semantic.type
        if st.kind == "string":
            out["patterns"] = pattern_summary(prof.sample[c], p.top_n_values)
        completeness = pct(st.present, st.rows) if st.rows else None
        validity = prof.validity_pct(c)
        if c in prof.conforming:
            out["conformance"] = {"type": semantic.type, "conforming": prof.conforming[c],
                                  "nonconforming": st.present - prof.conforming[c]}
        if c in prof.parsed_range:
            out["as_parsed"] = prof.parsed_range[c]
        plausibility = None
        if st.numeric and st.numeric.get("finite_count"):
            o = _outliers(st.numeric, p.outlier_method)
            plausibility = 100.0 - (o["pct"] if o else 0.0)
        dims = {"completeness": completeness, "validity": validity, "plausibility": plausibility}
        avail = {k: v for k, v in dims.items() if v is not None}
        score = (sum(QUALITY_WEIGHTS[k] * v for k, v in avail.items()) / sum(QUALITY_WEIGHTS[k] for k in avail)
                 if avail else None)
        out["quality"] = {**{k: rnd(v) for k, v in dims.items()}, "score": rnd(score), "grade": grade(score)}
        return out

    # -- alerts, issues, recommendations ------------------------------------------------------------
    def _findings(self, res: AgentResult, prof: DatasetProfile, columns: list[dict[str, Any]],
                  p: ProfilerParams, overall: float | None) -> None:
        groups: dict[str, list[str]] = {}

        def issue(col: str, kind: str, sev: Any, msg: str, count: int | None = None, **extras: Any) -> None:
            res.issues.append(Issue(field=col, issue_type=kind, severity=sev, message=msg, count=count, extras=extras))
            groups.setdefault(kind, []).append(col)

        for c in columns:
            name, st = c["name"], prof.stats[c["name"]]
            miss = c["missing_pct"]
            if st.rows and st.present == 0:
                issue(name, "empty_column", "high", f"'{name}' has no values at all", st.rows)
            elif miss > p.null_alert_threshold:
                issue(name, "high_missing", "critical" if miss >= 90 else "high",
                      f"'{name}' is {miss:.1f}% missing (null, NaN or blank)", st.missing, missing_pct=miss)
            elif miss > 10:
                issue(name, "missing_values", "medium", f"'{name}' is {miss:.1f}% missing", st.missing, missing_pct=miss)
            if st.distinct == 1 and st.rows > 1:
                issue(name, "constant_column", "low", f"'{name}' holds a single value", st.rows)
            if st.numeric and st.numeric.get("finite_count"):
                o = _outliers(st.numeric, p.outlier_method)
                if o and o["pct"] > p.outlier_alert_threshold:
                    issue(name, "high_outlier_share", "medium",
                          f"'{name}': {o['pct']:.2f}% of values are outliers ({p.outlier_method.upper()})",
                          o["count"], lower_bound=o["lower_bound"], upper_bound=o["upper_bound"])
            conf = c.get("conformance")
            if conf and conf["nonconforming"] > 0:
                v = c["quality"]["validity"] or 0
                issue(name, "type_mismatch", "medium" if v < 95 else "low",
                      f"'{name}' looks like {conf['type']} but {conf['nonconforming']:,} value(s) do not conform "
                      f"(validity {v:.2f}%)", conf["nonconforming"], semantic_type=conf["type"])
            sem_type = c["semantic_type"]
            if sem_type in ("number_text", "date_text", "boolean_text"):
                issue(name, "typed_as_text", "low", f"'{name}' stores {sem_type.replace('_text', '')} values as text")
            if sem_type in PII_TYPES:
                issue(name, "possible_pii", "info", f"'{name}' holds {sem_type} values (see the Risk Scorer)")
            if st.text and st.text.get("untrimmed_count"):
                issue(name, "untrimmed_whitespace", "low",
                      f"'{name}': {st.text['untrimmed_count']:,} value(s) with leading/trailing spaces",
                      st.text["untrimmed_count"])
            q = c["quality"]["score"]
            if q is not None and q < 80:
                issue(name, "low_quality_score", "high" if q < 60 else "medium", f"'{name}' quality score {q:.1f}",
                      None, quality=c["quality"])

        if overall is not None and overall < 80:
            sev = "critical" if overall < 50 else ("high" if overall < 60 else "medium")
            res.alerts.append(Alert(severity=sev, category="quality", message=f"Overall data quality is {overall:.1f}/100",
                                    affected_fields=groups.get("low_quality_score", []),
                                    recommendation="Fix the lowest-scoring columns first (see the column table)."))
        texts = {
            "empty_column": ("high", "completeness", "{n} column(s) are entirely empty", "Drop them or fix the extract."),
            "high_missing": ("high", "completeness",
                             f"{{n}} column(s) exceed the {p.null_alert_threshold:g}% missing threshold",
                             "Decide per column: fill from the source, impute, or drop."),
            "high_outlier_share": ("medium", "outliers",
                                   f"{{n}} column(s) have more than {p.outlier_alert_threshold:g}% outliers",
                                   "Check units and data-entry errors; consider capping in Clean My Data."),
            "type_mismatch": ("medium", "validity", "{n} column(s) contain values that break their type",
                              "Review the type_mismatch rows in row_issues.csv."),
            "typed_as_text": ("low", "types", "{n} column(s) store numbers, dates or booleans as text",
                              "Convert them with the Type Fixer."),
            "possible_pii": ("info", "privacy", "{n} column(s) look like personal data",
                             "Review the Risk Scorer's findings before sharing this data."),
            "constant_column": ("low", "information", "{n} column(s) hold a single value",
                                "Constant columns carry no information; consider dropping them."),
        }
        for kind, (sev, cat, msg, rec) in texts.items():
            cols = groups.get(kind)
            if not cols:
                continue
            worst = "critical" if kind == "high_missing" and any(
                i.severity == "critical" for i in res.issues if i.issue_type == kind) else sev
            res.alerts.append(Alert(severity=worst, category=cat, message=msg.format(n=len(cols)),
                                    affected_fields=cols, recommendation=rec))
            if sev != "info" or kind == "possible_pii":
                res.recommendations.append(Recommendation(field=cols[0] if len(cols) == 1 else None, priority=worst,
                                                          recommendation=rec,
                                                          rationale=f"{kind.replace('_', ' ')}: {', '.join(cols[:10])}"))

    # -- presentation ------------------------------------------------------------------------------
    def _tables(self, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        overview = [[c["name"], c["dtype"], c["semantic_type"], c["count"], c["missing_count"], c["missing_pct"],
                     c["distinct"], c["quality"]["completeness"], c["quality"]["validity"],
                     c["quality"]["plausibility"], c["quality"]["score"], c["quality"]["grade"]] for c in columns]
        numeric = []
        for c in columns:
            n = c.get("numeric")
            if not n or not n.get("finite_count"):
                continue
            q = n["quantiles"]
            numeric.append([c["name"], n["finite_count"], n["min"], *[q[quantile_key(x)] for x in QUANTILES],
                            n["max"], n["mean"], n["std"], n["skewness"], n["kurtosis"],
                            n["iqr_outliers"]["count"], n["mad_outliers"]["count"]])
        ranges = [[c["name"], c["semantic_type"], r["min"], r["max"], (c.get("conformance") or {}).get("nonconforming")]
                  for c in columns if (r := c.get("as_parsed") or c.get("temporal"))]
        top = [[c["name"], t["value"], t["count"], t["pct"]] for c in columns for t in c["top_values"][:5]]
        patterns = [[c["name"], t["pattern"], t["count"], t["pct"]]
                    for c in columns for t in (c.get("patterns") or {}).get("top_patterns", [])[:5]]
        return [
            table("Column overview", ["column", "dtype", "semantic type", "rows", "missing", "missing %", "distinct",
                                      "completeness", "validity", "plausibility", "quality score", "grade"], overview),
            table("Numeric statistics", ["column", "count", "min", *[quantile_key(x) for x in QUANTILES], "max", "mean",
                                         "std", "skewness", "kurtosis", "IQR outliers", "MAD outliers"], numeric),
            table("Dates, times and numbers written as text: ranges",
                  ["column", "semantic type", "min", "max", "values that do not parse"], ranges),
            table("Top values", ["column", "value", "count", "%"], top),
            table("Text patterns (sample)", ["column", "pattern", "count", "%"], patterns),
        ]

    def _charts(self, columns: list[dict[str, Any]], p: ProfilerParams) -> list[dict[str, Any]]:
        charts = [bar_chart("Quality score by column", [c["name"] for c in columns],
                            [c["quality"]["score"] or 0 for c in columns], "quality score", "column", "score")]
        per_col: list[dict[str, Any]] = []
        for c in columns:
            n = c.get("numeric")
            if n and n.get("histogram") and c["semantic_type"] not in ("id_like",):
                h = n["histogram"]
                per_col.append(bar_chart(f"Distribution of {c['name']}", [float(fmt(e, 4)) for e in h["edges"][:-1]],
                                         h["counts"], "rows", f"{c['name']} (bin start)", "rows", kind="histogram"))
            elif c["top_values"] and c["semantic_type"] in ("categorical", "boolean", "boolean_text", "boolean_like"):
                per_col.append(bar_chart(f"Top values of {c['name']}", [str(t["value"]) for t in c["top_values"]],
                                         [t["count"] for t in c["top_values"]], "rows", c["name"], "rows"))
        return charts + per_col[: p.max_charts]

    # -- row issues --------------------------------------------------------------------------------
    def _batch_row_issues(self, df: pl.DataFrame, batch: dict[str, Any], prof: DatasetProfile,
                          p: ProfilerParams) -> list[pl.DataFrame]:
        """Outlier cells and type mismatches of one in-memory batch (vectorised filters, ROW_ID kept)."""
        lazies: list[pl.LazyFrame] = []
        lf = df.lazy()
        for name, st in batch.items():
            n = st.numeric
            if p.row_issue_outliers and n and n.get("finite_count"):
                o = _outliers(n, p.outlier_method)
                if o and o["count"] and o["lower_bound"] is not None:
                    x = pl.col(name).cast(pl.Float64)
                    rule = "IQR" if p.outlier_method == "iqr" else "robust z (MAD)"
                    msg = f"outside {rule} bounds [{fmt(o['lower_bound'])}, {fmt(o['upper_bound'])}]"
                    lazies.append(lf.filter(x.is_finite() & ((x < o["lower_bound"]) | (x > o["upper_bound"])))
                                  .select(pl.col(ROW_ID).alias("row_index"), pl.lit(name).alias("column"),
                                          pl.lit("outlier").alias("issue_type"), pl.lit("low").alias("severity"),
                                          pl.lit(msg).alias("message"), pl.col(name).cast(pl.String).alias("value")))
            semantic = prof.semantics.get(name)
            ok = prof.conforming.get(name)
            if p.row_issue_type_mismatches and semantic is not None and ok is not None and ok < st.present:
                expr = conformance_expr(semantic, name)
                present = pl.col(name).is_not_null() & pl.col(name).cast(pl.String).str.contains(r"\S")
                msg = f"not a valid {semantic.type} (the column is {semantic.confidence * 100:.0f}% {semantic.type})"
                lazies.append(lf.filter(present & ~expr)
                              .select(pl.col(ROW_ID).alias("row_index"), pl.lit(name).alias("column"),
                                      pl.lit("type_mismatch").alias("issue_type"), pl.lit("medium").alias("severity"),
                                      pl.lit(msg).alias("message"), pl.col(name).cast(pl.String).alias("value")))
        return [f.cast(ROW_ISSUE_SCHEMA) for f in pl.collect_all(lazies)] if lazies else []
