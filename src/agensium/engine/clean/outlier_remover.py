"""outlier-remover: find outliers in numeric columns and handle them only as asked.

Methods: IQR (Tukey fences), MAD (robust z = 0.6745 (x - median) / MAD), z-score, percentiles.
Default action is `report`: every outlier is counted and listed (row issues), nothing changes.
`flag` adds a boolean `<col>__outlier` column; `cap` winsorizes to the bounds; `impute_mean` /
`impute_median` replace outliers by the statistic of the *non-outlier* values; `remove` moves the
rows to quarantine (never lost). Every outlier is handled, not a capped first few.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl
from pydantic import AliasChoices, Field, field_validator

from agensium.engine.agent import ROW_ID, Agent, AgentParams, AgentResult, Alert, Issue, RunContext
from agensium.engine.clean import audit, ledger
from agensium.engine.clean.common import (
    card,
    check_columns,
    manifest,
    numeric_columns,
    pct,
    row_issues,
    select_columns,
)

FLAG_SUFFIX = "__outlier"
STATS_BATCH = 4


class OutlierRemoverParams(AgentParams):
    method: Literal["iqr", "mad", "zscore", "percentile"] = Field(
        default="iqr",
        validation_alias=AliasChoices("method", "detection_method"),
        description="Detection method (earlier name: detection_method)",
    )
    iqr_multiplier: float = Field(
        default=1.5, ge=0.5, le=10, description="k of the IQR fences Q1-k*IQR, Q3+k*IQR"
    )
    z_threshold: float = Field(
        default=3.5, ge=1, le=10, description="|z| (or robust |z| for mad) above which a value is an outlier"
    )
    lower_percentile: float = Field(default=1.0, ge=0, le=50, description="percentile method: lower bound")
    upper_percentile: float = Field(default=99.0, ge=50, le=100, description="percentile method: upper bound")
    action: Literal["report", "flag", "cap", "impute_mean", "impute_median", "remove"] = Field(
        default="report",
        validation_alias=AliasChoices("action", "removal_strategy"),
        description="What to do with outliers; report changes nothing (earlier name: removal_strategy)",
    )
    columns: list[str] = Field(default=[], description="Numeric columns to check (empty = all numeric)")
    exclude_columns: list[str] = Field(default=[], description="Numeric columns never checked")

    @field_validator("method", mode="before")
    @classmethod
    def _earlier_spelling(cls, v: object) -> object:
        return "zscore" if v == "z_score" else v


def _stats(c: str, p: OutlierRemoverParams) -> pl.Expr:
    """The statistics the bounds need, as one list per column (one sort for both quantiles)."""
    x = pl.col(c).cast(pl.Float64)
    if p.method == "iqr":
        return x.quantile([0.25, 0.75], "linear")
    if p.method == "percentile":
        return x.quantile([p.lower_percentile / 100, p.upper_percentile / 100], "linear")
    if p.method == "zscore":
        return pl.concat_list([x.mean(), x.std()])
    med = x.median()
    return pl.concat_list([med, (x - med).abs().median()])


def _bounds(stats: list[float] | None, p: OutlierRemoverParams) -> tuple[float | None, float | None]:
    if not stats or any(v is None for v in stats):
        return None, None
    a, b = stats
    if p.method == "iqr":
        return a - p.iqr_multiplier * (b - a), b + p.iqr_multiplier * (b - a)
    if p.method == "percentile":
        return a, b
    if p.method == "zscore":
        return a - p.z_threshold * b, a + p.z_threshold * b
    return a - p.z_threshold * b / 0.6745, a + p.z_threshold * b / 0.6745


class OutlierRemover(Agent):
    id = "outlier-remover"
    Params = OutlierRemoverParams

    def run(self, params: OutlierRemoverParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        check_columns(self.id, "columns", params.columns, schema)
        check_columns(self.id, "exclude_columns", params.exclude_columns, schema)
        cols = select_columns(numeric_columns(schema), params.columns, params.exclude_columns)
        total = ctx.data.row_count
        bounds: dict[str, tuple[float | None, float | None]] = {}
        if cols:
            # a few columns per query: quantiles hold a whole column in memory (10M rows = 80 MB each)
            for i in range(0, len(cols), STATS_BATCH):
                part = cols[i : i + STATS_BATCH]
                row = lf.select([_stats(c, params).alias(c) for c in part]).collect(engine="streaming").row(0)
                bounds.update({c: _bounds(v, params) for c, v in zip(part, row, strict=True)})
        # a column whose bounds collapse (constant, or MAD = 0) has no meaningful outliers
        active = {c: b for c, b in bounds.items() if b[0] is not None and b[1] is not None and b[1] > b[0]}

        def is_out(c: str) -> pl.Expr:
            lo, hi = active[c]
            x = pl.col(c).cast(pl.Float64)
            return ((x < lo) | (x > hi)).fill_null(False)

        # One pass lists every outlier cell (row issues); the counts come from that list.
        found_cells = pl.DataFrame(schema={ROW_ID: pl.Int64, "column": pl.String, "value": pl.String})
        if active:
            # values stay numeric until the (few) outlier cells are selected; only those become text
            ints = [c for c in active if schema[c].is_integer()]
            found_cells = (
                lf.select(
                    ROW_ID, *[pl.when(is_out(c)).then(pl.col(c).cast(pl.Float64)).alias(c) for c in active]
                )
                .filter(pl.any_horizontal([pl.col(c).is_not_null() for c in active]))
                .unpivot(index=ROW_ID, variable_name="column", value_name="value")
                .drop_nulls("value")
                .with_columns(
                    pl.when(pl.col("column").is_in(ints))
                    .then(pl.col("value").cast(pl.Int64).cast(pl.String))
                    .otherwise(pl.col("value").cast(pl.String))
                    .alias("value")
                )
                .collect(engine="streaming")
            )
        counts = dict.fromkeys(active, 0)
        for c, k in found_cells.group_by("column").len().iter_rows():
            counts[c] = int(k)
        found = {c: n for c, n in counts.items() if n}
        ctx.progress(0.4)
        ctx.check_cancelled()
        bounds_text = {
            c: f"outside [{lo:.6g}, {hi:.6g}] ({params.method}); action: {params.action}"
            for c, (lo, hi) in active.items()
        }
        result.row_issues = row_issues(
            found_cells.sort(ROW_ID),
            column=pl.col("column"),
            issue_type="outlier",
            severity="low",
            message=pl.col("column").replace_strict(bounds_text, return_dtype=pl.String)
            if bounds_text
            else "",
            value=pl.col("value"),
        ).collect(engine="streaming")

        changes: list[audit.Change] = []
        new_cols: list[pl.Expr] = []
        added: list[str] = []
        n_quarantined = 0
        if found and params.action != "report":
            if params.action == "remove":
                q = pl.concat(
                    [
                        lf.filter(is_out(c)).select(
                            ROW_ID,
                            pl.lit(
                                f"outlier: '{c}' outside [{active[c][0]:.6g}, {active[c][1]:.6g}] ({params.method})"
                            ).alias("quarantine_reason"),
                        )
                        for c in found
                    ]
                ).collect(engine="streaming")
                ledger.quarantine(ctx, result, self.id, q)
                n_quarantined = q.get_column(ROW_ID).n_unique()
                result.data_out = ledger.drop_rows(lf, q)
            else:
                for c in found:
                    lo, hi = active[c]
                    x = pl.col(c)
                    if params.action == "flag":
                        new_cols.append(is_out(c).alias(c + FLAG_SUFFIX))
                        added.append(c + FLAG_SUFFIX)
                        continue
                    if params.action == "cap":
                        new = x.cast(pl.Float64).clip(lo, hi)
                    else:
                        inliers = x.cast(pl.Float64).filter(~is_out(c))
                        stat = inliers.mean() if params.action == "impute_mean" else inliers.median()
                        new = pl.when(is_out(c)).then(stat).otherwise(x.cast(pl.Float64))
                    if schema[c].is_integer():
                        new = new.round(0).cast(schema[c])
                    changes.append(audit.Change(c, params.action, x, new))
                    new_cols.append(new.alias(c))
                result.data_out = lf.with_columns(new_cols)
        entries = audit.measure(lf, changes)
        self._report(result, params, cols, active, counts, entries, added, n_quarantined, total)
        return result

    def _report(
        self,
        result: AgentResult,
        p: OutlierRemoverParams,
        cols: list[str],
        active: dict[str, tuple[Any, Any]],
        counts: dict[str, int],
        entries: list[dict[str, Any]],
        added: list[str],
        n_quarantined: int,
        total: int,
    ) -> None:
        n = sum(counts.values())
        handled = n if p.action != "report" else 0
        result.summary = {
            "total_rows_processed": total,
            "numeric_columns_checked": len(cols),
            "outliers_found": n,
            "outliers_handled": handled,
            "action": p.action,
            "rows_quarantined": n_quarantined,
            "columns_with_outliers": sum(1 for v in counts.values() if v),
        }
        cells = total * max(len(cols), 1)
        result.score = None if n == 0 else round(100.0 - pct(n - handled, cells), 2)
        summary = {
            c: {
                "outlier_count": counts.get(c, 0),
                "outlier_percentage": pct(counts.get(c, 0), total),
                "lower_bound": active[c][0],
                "upper_bound": active[c][1],
                "method": p.method,
            }
            for c in active
        }
        aud = audit.summarise(entries, self.id)
        result.data = {
            "outlier_summary": summary,
            "skipped_columns": [c for c in cols if c not in active],
            "manifest": manifest(total, quarantined=n_quarantined, added=added),
            "tables": [
                {
                    "title": "Outliers per column",
                    "columns": ["column", "outliers", "%", "lower", "upper"],
                    "rows": [
                        [c, v["outlier_count"], v["outlier_percentage"], v["lower_bound"], v["upper_bound"]]
                        for c, v in summary.items()
                    ],
                }
            ],
            "charts": [
                {
                    "title": "Outliers per column",
                    "type": "bar",
                    "labels": list(summary),
                    "series": [
                        {"name": "outliers", "values": [v["outlier_count"] for v in summary.values()]}
                    ],
                }
            ]
            if summary
            else [],
        }
        audit.add_to(result.data, aud)
        for c, v in summary.items():
            if v["outlier_count"]:
                result.issues.append(
                    Issue(
                        field=c,
                        issue_type="outliers",
                        severity="low",
                        message=f"{v['outlier_count']} outlier(s) in '{c}' ({p.method})",
                        count=v["outlier_count"],
                        extras={"bounds": [v["lower_bound"], v["upper_bound"]]},
                    )
                )
        heavy = [c for c, v in summary.items() if v["outlier_percentage"] > 5]
        if heavy:
            result.alerts.append(
                Alert(
                    severity="medium",
                    category="outliers",
                    message=f"{len(heavy)} column(s) have more than 5% outliers: the "
                    f"distribution may be skewed rather than dirty",
                    affected_fields=heavy,
                    recommendation="Try method=mad or percentile",
                )
            )
        value = "No outliers" if n == 0 else f"{n} outliers"
        result.cards.append(card("Outliers", value, result.score, f"{handled} handled ({p.action})"))
