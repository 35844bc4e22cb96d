"""null-handler: find missing values (real nulls and placeholders written as text) and fill or drop them
when asked.

Default: placeholders become real missing values, counted per column in the audit (the value layer's
vocabulary: NULL, N/A, NA, -, none, nan, #N/A, …, decided per column, so "NA" stays Namibia in a column of
country codes and "-" stays a value in a column of symbols); nothing is filled or dropped.
`convert_null_tokens="unambiguous"` converts only tokens that never mean data, `"all"` every token in every
column, `"none"` reports only. Strategies per column: mean, median, mode, constant, forward_fill,
backward_fill, drop_rows (rows go to quarantine, never lost), drop_column. Fill statistics are computed
from the non-null values; integer columns filled with a mean or median are rounded.
"""

from __future__ import annotations

from typing import Any, Literal

import polars as pl
from pydantic import Field

from agensium.engine.agent import (
    ROW_ID,
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Issue,
    Recommendation,
    RunContext,
)
from agensium.engine.clean import audit, ledger
from agensium.engine.clean.common import card, check_columns, manifest, pct, row_issues, user_columns
from agensium.engine.values import MissingTokens, present_values

Strategy = Literal[
    "none", "mean", "median", "mode", "constant", "forward_fill", "backward_fill", "drop_rows", "drop_column"
]


class NullHandlerParams(AgentParams):
    convert_null_tokens: Literal["auto", "none", "unambiguous", "all"] = Field(
        default="auto",
        description="Turn placeholders into real missing values: auto (every token, except ambiguous ones "
        "such as NA or - in a column whose values are written like them), none (report only), only the "
        "unambiguous tokens, or all tokens in every column",
    )
    extra_null_tokens: list[str] = Field(
        default=[], description="More tokens meaning 'no value' in this data"
    )
    global_strategy: Strategy = Field(default="none", description="Strategy for every column with nulls")
    column_strategies: dict[str, Strategy] = Field(
        default={}, description="Column -> strategy (overrides global)"
    )
    fill_values: dict[str, Any] = Field(default={}, description="Column -> value for the constant strategy")
    sparse_row_threshold: float = Field(
        default=50.0, ge=0, le=100, description="Rows with at least this % of null cells are reported"
    )


SAMPLE_ROWS = 5000
"""Rows a column's ambiguous tokens are judged on (the counts and conversions are exact)."""


def _column_tokens(lf: pl.LazyFrame, texts: list[str], tokens: MissingTokens, mode: str) -> dict[str, MissingTokens]:
    if mode == "none":
        return {}
    if mode == "unambiguous":
        return dict.fromkeys(texts, MissingTokens(tokens.unambiguous, (), tokens.extra))
    if mode == "all" or not texts:
        return dict.fromkeys(texts, tokens)
    sample = lf.select(texts).head(SAMPLE_ROWS).collect(engine="streaming")
    return {c: present_values(sample[c], tokens)[1] for c in texts}


def _suggest(dtype: pl.DataType, null_pct: float, skew: float | None) -> str:
    if null_pct > 70:
        return "drop_column"
    if dtype.is_numeric():
        return "median" if skew is not None and skew > 0.5 else "mean"
    if dtype.is_temporal():
        return "forward_fill"
    return "mode"


class NullHandler(Agent):
    id = "null-handler"
    Params = NullHandlerParams

    def run(self, params: NullHandlerParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        check_columns(self.id, "column_strategies", params.column_strategies, schema)
        check_columns(self.id, "fill_values", params.fill_values, schema)
        cols = user_columns(schema)
        total = ctx.data.row_count
        vocabulary = MissingTokens.of(params.extra_null_tokens)
        texts = [c for c in cols if schema[c] == pl.String]
        found = _column_tokens(lf, texts, vocabulary, "auto")
        convert = _column_tokens(lf, texts, vocabulary, params.convert_null_tokens)

        def token(c: str, tokens: MissingTokens) -> pl.Expr:
            return (tokens.is_placeholder(pl.col(c)) | ~pl.col(c).str.contains(r"\S")).fill_null(False)

        stats_exprs: list[pl.Expr] = []
        for c in cols:
            stats_exprs.append(pl.col(c).null_count().alias(f"null:{c}"))
            if c in texts:
                stats_exprs.append(token(c, found[c]).sum().alias(f"tok:{c}"))
        threshold = params.sparse_row_threshold / 100.0
        null_share = (
            pl.sum_horizontal([pl.col(c).is_null() for c in cols]) / len(cols) if cols else pl.lit(0.0)
        )
        sparse_q = (
            lf.filter(null_share >= threshold).select(ROW_ID, null_share.alias("share"))
            if cols and threshold
            else lf.head(0).select(ROW_ID, pl.lit(0.0).alias("share"))
        )
        stats_df, sparse = pl.collect_all(
            [lf.select(stats_exprs or [pl.len()]), sparse_q], engine="streaming"
        )
        stats = stats_df.row(0, named=True) if stats_exprs else {}
        # skewness (for the suggested strategy) only where a numeric column has nulls
        skewed = [c for c in cols if schema[c].is_numeric() and stats.get(f"null:{c}")]
        if skewed:
            stats.update(
                lf.select(
                    [
                        (
                            (pl.col(c).cast(pl.Float64).mean() - pl.col(c).cast(pl.Float64).median()).abs()
                            / pl.col(c).cast(pl.Float64).std()
                        ).alias(f"skew:{c}")
                        for c in skewed
                    ]
                )
                .collect(engine="streaming")
                .row(0, named=True)
            )
        ctx.progress(0.3)
        ctx.check_cancelled()

        # 1. tokens -> null (only when asked)
        exprs: dict[str, pl.Expr] = {c: pl.col(c) for c in cols}
        changes: list[audit.Change] = []
        nulls_introduced: dict[str, int] = {}
        if convert:
            for c in texts:
                if stats.get(f"tok:{c}"):
                    new = pl.when(token(c, convert[c])).then(None).otherwise(pl.col(c))
                    changes.append(audit.Change(c, "null_token_to_null", exprs[c], new))
                    exprs[c] = new

        # 2. strategies
        applied: dict[str, str] = {}
        dropped_cols: list[str] = []
        drop_row_cols: list[str] = []
        fill_exprs: dict[str, pl.Expr] = {}
        for c in cols:
            strat = params.column_strategies.get(c, params.global_strategy)
            if strat == "none":
                continue
            cur = exprs[c]
            if strat in ("mean", "median"):
                if not schema[c].is_numeric():
                    if c in params.column_strategies:  # asked for this column explicitly: say why not
                        result.issues.append(
                            Issue(
                                field=c,
                                issue_type="strategy_not_applicable",
                                severity="low",
                                message=f"{strat} needs a numeric column; '{c}' is "
                                f"{schema[c]} and was left as it is",
                            )
                        )
                    continue
                stat = cur.mean() if strat == "mean" else cur.median()
                if schema[c].is_integer():
                    stat = stat.round(0)
                new = cur.fill_null(stat.cast(schema[c]))
            elif strat == "mode":
                new = cur.fill_null(cur.drop_nulls().mode().sort().first())
            elif strat == "constant":
                if c not in params.fill_values:
                    from agensium.errors import AgensiumError, ErrorCode

                    raise AgensiumError(
                        ErrorCode.INVALID_PARAMETERS,
                        f"{self.id}: constant strategy for '{c}' needs fill_values['{c}']",
                        {"column": c},
                    )
                new = cur.fill_null(pl.lit(params.fill_values[c]).cast(schema[c]))
            elif strat == "forward_fill":
                new = cur.forward_fill()
            elif strat == "backward_fill":
                new = cur.backward_fill()
            elif strat == "drop_rows":
                drop_row_cols.append(c)
                applied[c] = strat
                continue
            else:  # drop_column
                dropped_cols.append(c)
                applied[c] = strat
                continue
            changes.append(audit.Change(c, f"fill_{strat}", cur, new))
            fill_exprs[c] = new
            exprs[c] = new
            applied[c] = strat

        out_cols = [c for c in cols if c not in dropped_cols]
        work = lf.with_columns([exprs[c].alias(c) for c in cols])
        entries = audit.measure(lf, changes)
        ctx.progress(0.6)
        ctx.check_cancelled()
        quarantined = pl.DataFrame(schema={ROW_ID: pl.Int64, "quarantine_reason": pl.String})
        if drop_row_cols:
            quarantined = (
                work.filter(pl.any_horizontal([pl.col(c).is_null() for c in drop_row_cols]))
                .select(
                    ROW_ID,
                    pl.concat_str(
                        [
                            pl.lit("null_value: empty "),
                            pl.concat_list(
                                [pl.when(pl.col(c).is_null()).then(pl.lit(c)) for c in drop_row_cols]
                            )
                            .list.drop_nulls()
                            .list.join(", "),
                        ]
                    ).alias("quarantine_reason"),
                )
                .collect(engine="streaming")
            )
            if quarantined.height:
                ledger.quarantine(ctx, result, self.id, quarantined)
                work = ledger.drop_rows(work, quarantined)
        changed = any(e["changed_cells"] for e in entries) or dropped_cols or quarantined.height
        if changed:
            result.data_out = (
                work.select(ROW_ID, *out_cols) if ROW_ID in schema.names() else work.select(out_cols)
            )
            for e in entries:
                if e["rule"] == "null_token_to_null":
                    nulls_introduced[e["column"]] = e["changed_cells"]

        result.row_issues = row_issues(
            sparse,
            column=None,
            issue_type="sparse_row",
            severity="low",
            message=pl.format("{}% of the cells are null", (pl.col("share") * 100).round(1)),
            value=None,
        ).collect(engine="streaming")
        self._report(
            result,
            params,
            schema,
            cols,
            texts,
            stats,
            applied,
            entries,
            dropped_cols,
            quarantined.height,
            nulls_introduced,
            total,
        )
        return result

    def _report(
        self,
        result: AgentResult,
        p: NullHandlerParams,
        schema: pl.Schema,
        cols: list[str],
        texts: list[str],
        stats: dict[str, Any],
        applied: dict[str, str],
        entries: list[dict[str, Any]],
        dropped_cols: list[str],
        n_quarantined: int,
        nulls_introduced: dict[str, int],
        total: int,
    ) -> None:
        summary: dict[str, Any] = {}
        for c in cols:
            nulls = int(stats.get(f"null:{c}") or 0)
            toks = int(stats.get(f"tok:{c}") or 0)
            if nulls or toks:
                share = pct(nulls + toks, total)
                summary[c] = {
                    "null_count": nulls,
                    "null_token_count": toks,
                    "missing_percentage": share,
                    "data_type": str(schema[c]),
                    "suggested_strategy": _suggest(schema[c], share, stats.get(f"skew:{c}")),
                    "applied_strategy": applied.get(c),
                }
        filled = sum(e["changed_cells"] for e in entries if e["rule"].startswith("fill_"))
        missing = sum(v["null_count"] + v["null_token_count"] for v in summary.values())
        converted = sum(e["changed_cells"] for e in entries if e["rule"] == "null_token_to_null")
        result.summary = {
            "total_rows_processed": total,
            "columns_with_missing": len(summary),
            "missing_cells": missing,
            "null_tokens_found": sum(v["null_token_count"] for v in summary.values()),
            "null_tokens_converted": converted,
            "cells_filled": filled,
            "rows_quarantined": n_quarantined,
            "columns_dropped": len(dropped_cols),
        }
        cells = total * max(len(cols), 1)
        if missing == 0:
            result.score = None
        else:
            # share of cells that hold a value afterwards (converted tokens are still missing values)
            handled = filled + sum(int(stats.get(f"null:{c}") or 0) for c in dropped_cols)
            result.score = round(100.0 - pct(max(missing - handled, 0), cells), 2)
        aud = audit.summarise(entries, self.id)
        result.data = {
            "null_summary": summary,
            "manifest": manifest(
                total, quarantined=n_quarantined, dropped=dropped_cols, nulls_introduced=nulls_introduced
            ),
            "tables": [
                {
                    "title": "Missing values per column",
                    "columns": ["column", "nulls", "null_tokens", "missing_%", "suggested", "applied"],
                    "rows": [
                        [
                            c,
                            v["null_count"],
                            v["null_token_count"],
                            v["missing_percentage"],
                            v["suggested_strategy"],
                            v["applied_strategy"],
                        ]
                        for c, v in summary.items()
                    ],
                }
            ],
            "charts": [
                {
                    "title": "Missing values per column",
                    "type": "bar",
                    "labels": list(summary),
                    "series": [
                        {
                            "name": "missing",
                            "values": [v["null_count"] + v["null_token_count"] for v in summary.values()],
                        }
                    ],
                }
            ]
            if summary
            else [],
        }
        audit.add_to(result.data, aud)
        for c, v in summary.items():
            if v["null_token_count"]:
                result.issues.append(
                    Issue(
                        field=c,
                        issue_type="null_tokens",
                        severity="low",
                        message=f"{v['null_token_count']} null-like text value(s) in '{c}'",
                        count=v["null_token_count"],
                    )
                )
            if v["applied_strategy"] is None:
                result.recommendations.append(
                    Recommendation(
                        field=c,
                        priority="medium" if v["missing_percentage"] > 20 else "low",
                        recommendation=f"'{c}' is {v['missing_percentage']:.1f}% missing: suggested strategy "
                        f"{v['suggested_strategy']}",
                    )
                )
        high = [c for c, v in summary.items() if v["missing_percentage"] > 50]
        if high:
            result.alerts.append(
                Alert(
                    severity="high",
                    category="missing_values",
                    message=f"{len(high)} column(s) are more than half missing",
                    affected_fields=high,
                )
            )
        value = "No missing values" if missing == 0 else f"{missing} missing cells"
        result.cards.append(
            card(
                "Missing values",
                value,
                result.score,
                f"{filled} filled, {converted} tokens converted, {n_quarantined} rows quarantined",
            )
        )
