"""Unified Profiler: exact statistics, semantic types, patterns, outliers and quality scores per column.

The quality model is `agensium.engine.profile.quality` (stated in the report itself): a cell is good when
it is present, valid and written its column's usual way; a column scores its share of good cells, the
table the mean of its columns times the share of rows that are not duplicates.
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
    RunContext,
    SummaryCard,
    empty_row_issues,
)
from agensium.engine.profile.duplicates import find_duplicates
from agensium.engine.profile.findings import Thresholds, add_findings
from agensium.engine.profile.presentation import band, bar_chart, fmt, grade, rnd, table
from agensium.engine.profile.quality import ColumnQuality, column_quality, table_quality
from agensium.engine.profile.semantic import pattern_summary
from agensium.engine.profile.shared import STATE_KEY, DatasetProfile, ProfileOptions, build_profile
from agensium.engine.profile.stats import QUANTILES, StatsOptions, quantile_key
from agensium.engine.values import ColumnValues, MissingTokens
from agensium.engine.values.measure import SEP, present_expr


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
    semantic_min_share: float = Field(0.5, gt=0, le=1,
                                      description="Share of a text column's present values (sampled) that must be of "
                                      "one kind (e-mail, date, number, …) for the column to be of that kind.")
    hinted_min_share: float = Field(0.3, gt=0, le=1, description="The same share when the column's name suggests "
                                    "that kind (a column named 'email').")
    missing_tokens: list[str] = Field([], max_length=200, description="More values that mean 'no value' in this "
                                      "data, besides NULL, N/A, NA, -, none, nan, … (compared case-insensitively).")
    phone_regions: list[str] = Field([], max_length=50, description="ISO regions (e.g. ['GB']) to read phone "
                                     "numbers without a country code in; by default those the values suggest.")
    row_issue_outliers: bool = Field(True, description="Emit one row issue per outlier cell.")
    row_issue_type_mismatches: bool = Field(True, description="Emit one row issue per value that breaks the "
                                            "column's semantic type.")
    max_charts: int = Field(30, ge=0, le=200, description="Maximum number of per-column charts in the report.")


def _outliers(st_num: dict[str, Any], method: str) -> dict[str, Any] | None:
    return st_num.get("iqr_outliers" if method == "iqr" else "mad_outliers")


def _outlier_pct(st_num: dict[str, Any] | None, method: str) -> float | None:
    if not st_num or not st_num.get("finite_count"):
        return None
    o = _outliers(st_num, method)
    return o["pct"] if o else 0.0


class UnifiedProfiler(Agent):
    id = "unified-profiler"
    Params = ProfilerParams

    def run(self, params: ProfilerParams, ctx: RunContext) -> AgentResult:
        opts = ProfileOptions(
            stats=StatsOptions(top_n=params.top_n_values, histogram_bins=params.histogram_bins,
                               iqr_multiplier=params.outlier_iqr_multiplier, mad_threshold=params.outlier_mad_threshold),
            sample_size=params.sample_size, semantic_min_share=params.semantic_min_share,
            hinted_min_share=params.hinted_min_share, phone_regions=tuple(r.upper() for r in params.phone_regions),
            missing_tokens=MissingTokens.of(params.missing_tokens),
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
        qualities = [column_quality(prof, c, _outlier_pct(prof.stats[c].numeric, params.outlier_method))
                     for c in prof.columns]
        tq = table_quality(prof, qualities, find_duplicates(ctx.data.lazy(), prof))
        columns = [self._column(prof, c, params, q) for c, q in zip(prof.columns, qualities, strict=True)]
        overall = tq.score
        res = AgentResult(agent_id=self.id, score=rnd(overall))
        add_findings(res, prof, columns, Thresholds(params.null_alert_threshold, params.outlier_alert_threshold,
                                                    params.outlier_method), tq)
        res.summary = {
            "total_rows": prof.rows, "total_columns": len(prof.columns),
            "overall_quality_score": rnd(overall), "quality_grade": grade(overall),
            "columns_with_issues": len({i.field for i in res.issues if i.field and i.severity != "info"}),
            "total_missing_cells": sum(prof.stats[c].missing for c in prof.columns),
            "placeholder_cells": sum(prof.stats[c].placeholder_count for c in prof.columns),
            "duplicate_rows": tq.duplicates.exact.len(), "near_duplicate_rows": tq.duplicates.near.len(),
            "defective_rows": tq.defective_rows,
            "numeric_columns": sum(1 for c in columns if c["kind"] == "numeric"),
            "text_columns": sum(1 for c in columns if c["kind"] == "string"),
            "semantic_sample_rows": prof.sample_size,
        }
        dims = tq.dimensions
        res.data = {
            "columns": columns,
            "quality_summary": {
                "overall_quality_score": rnd(overall), "quality_grade": grade(overall),
                **{f"{k}_score": rnd(dims.get(k)) for k in ("completeness", "validity", "consistency", "uniqueness",
                                                            "plausibility")},
                "duplicate_rows": tq.duplicates.exact.len(), "near_duplicate_rows": tq.duplicates.near.len(),
                "near_duplicates_compared_without": list(tq.duplicates.compared_without),
                "defective_rows": tq.defective_rows, "defective_row_pct": rnd(tq.defective_row_pct),
                "columns_requiring_attention": sorted({i.field for i in res.issues
                                                       if i.field and i.severity in ("critical", "high", "medium")}),
                "method": tq.method(),
            },
            "method": {
                "exact_statistics": True, "semantic_sample_rows": prof.sample_size, "sample_seed": opts.seed,
                "quantile_interpolation": "linear", "std_ddof": 1, "skewness": "adjusted Fisher-Pearson (bias=False)",
                "kurtosis": "adjusted excess kurtosis (bias=False)", "entropy": "Shannon, bits",
                "outlier_method": params.outlier_method, "quality": tq.method(),
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
    def _column(self, prof: DatasetProfile, c: str, p: ProfilerParams, q: ColumnQuality) -> dict[str, Any]:
        st = prof.stats[c]
        semantic = prof.semantics[c]
        out = st.to_dict()
        out["semantic"] = semantic.to_dict()
        out["semantic_type"] = semantic.type
        if st.kind == "string":
            out["patterns"] = pattern_summary(prof.sample[c], p.top_n_values)
        cv = prof.values.get(c)
        if cv is not None:
            out["values"] = cv.summary()
            if cv.conforming is not None:
                out["conformance"] = {"type": semantic.type, "conforming": cv.conforming,
                                      "nonconforming": cv.nonconforming}
        if c in prof.parsed_range:
            out["as_parsed"] = prof.parsed_range[c]
        out["quality"] = {**q.as_dict(), "grade": grade(q.score)}
        return out

    # -- presentation ------------------------------------------------------------------------------
    def _tables(self, columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
        overview = [[c["name"], c["dtype"], c["semantic_type"], c["count"], c["missing_count"], c["placeholder_count"],
                     c["missing_pct"], c["distinct"], c["quality"]["completeness"], c["quality"]["validity"],
                     c["quality"]["consistency"], c["quality"]["plausibility"], c["quality"]["score"],
                     c["quality"]["grade"]] for c in columns]
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
            table("Column overview", ["column", "dtype", "semantic type", "rows", "missing", "of which placeholders",
                                      "missing %", "distinct", "completeness", "validity", "consistency",
                                      "plausibility (not scored)", "quality score", "grade"], overview),
            table("How values are written", ["column", "kind", "placeholders", "not valid (examples)", "formats",
                                             "currencies", "spelling variants"], self._writing(columns)),
            table("Numeric statistics", ["column", "count", "min", *[quantile_key(x) for x in QUANTILES], "max", "mean",
                                         "std", "skewness", "kurtosis", "IQR outliers", "MAD outliers"], numeric),
            table("Dates, times and numbers written as text: ranges",
                  ["column", "semantic type", "min", "max", "values that do not parse"], ranges),
            table("Top values", ["column", "value", "count", "%"], top),
            table("Text patterns (sample)", ["column", "pattern", "count", "%"], patterns),
        ]

    @staticmethod
    def _writing(columns: list[dict[str, Any]]) -> list[list[Any]]:
        rows = []
        for c in columns:
            v = c.get("values")
            if not v:
                continue
            spell = "; ".join(" / ".join(g["spellings"]) for g in v.get("variant_groups", [])[:3])
            rows.append([c["name"], v["kind"],
                         ", ".join(f"{k} x{n:,}" for k, n in v["placeholders"].items()) or None,
                         f"{v['nonconforming']:,} ({', '.join(v['nonconforming_examples'][:3])})"
                         if v["nonconforming"] else None,
                         ", ".join(f"{k} x{n:,}" for k, n in (v.get("formats") or {}).items()) or None,
                         ", ".join(f"{k} x{n:,}" for k, n in (v.get("currencies") or {}).items()) or None,
                         spell or None])
        return rows

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
            cv = prof.values.get(name)
            if cv is not None:
                lazies += _value_row_issues(lf, cv, p)
        return [f.cast(ROW_ISSUE_SCHEMA) for f in pl.collect_all(lazies)] if lazies else []


def _issue_rows(lf: pl.LazyFrame, mask: pl.Expr, column: str, kind: str, severity: str, message: pl.Expr | str
                ) -> pl.LazyFrame:
    msg = pl.lit(message) if isinstance(message, str) else message
    return lf.filter(mask).select(pl.col(ROW_ID).alias("row_index"), pl.lit(column).alias("column"),
                                  pl.lit(kind).alias("issue_type"), pl.lit(severity).alias("severity"),
                                  msg.alias("message"), pl.col(column).cast(pl.String).alias("value"))


def _value_row_issues(lf: pl.LazyFrame, cv: ColumnValues, p: ProfilerParams) -> list[pl.LazyFrame]:
    """Row issues of a text column from the value layer's row columns (present in the batch frame)."""
    c, kind = cv.column, cv.kind.value
    out = []
    if cv.placeholder_count:
        out.append(_issue_rows(lf, pl.col(f"{c}{SEP}tok").is_not_null(), c, "placeholder_value", "low",
                               "text that means 'no value': counted as missing"))
    if p.row_issue_type_mismatches and cv.nonconforming:
        out.append(_issue_rows(lf, present_expr(c) & ~pl.col(f"{c}{SEP}ok"), c, "type_mismatch", "medium",
                               f"not a valid {kind} (the column holds {kind} values)"))
    fmt_, cur = cv.dominant_format, cv.dominant_currency
    if fmt_ and len(cv.formats) > 1:
        out.append(_issue_rows(lf, (pl.col(f"{c}{SEP}fmt") != fmt_).fill_null(False), c, "inconsistent_format", "low",
                               pl.format("written {} where the column usually writes " + fmt_,
                                         pl.col(f"{c}{SEP}fmt"))))
    if cur and len(cv.currencies) > 1:
        out.append(_issue_rows(lf, (pl.col(f"{c}{SEP}cur") != cur).fill_null(False), c, "mixed_currency", "medium",
                               pl.format("amount in {} where the column is mostly in " + cur, pl.col(f"{c}{SEP}cur"))))
    if cv.variants is not None and cv.variants.inconsistent:
        canon = {v: g.canonical for g in cv.variants.groups for v, _ in g.members[1:]}
        out.append(_issue_rows(lf, pl.col(c).is_in(list(canon)), c, "spelling_variant", "low",
                               pl.format("usually written '{}'",
                                         pl.col(c).replace_strict(canon, default=None, return_dtype=pl.String))))
    return out
