"""type-fixer: give text columns their real type (number, date, boolean) without losing information.

A text column converts only when at least `min_parse_ratio` of its non-missing values parse as the
type (decided on the column's distinct values, weighted by frequency). Values that still fail are
never silently dropped: by default the converted column gets a companion `<col>__original` holding
the text of the failed cells; `on_failure="quarantine"` moves those rows to quarantine instead, and
`"null"` (explicit) nulls them, counted. Null-like tokens ("N/A", "-", ...) in a converted column
become nulls (a typed column cannot hold them) and are counted in the manifest. Identifier-like
digit strings (leading zeros, '+', > 15 digits) are never made numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl
from pydantic import AliasChoices, Field

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
from agensium.engine.clean.common import (
    card,
    check_columns,
    manifest,
    pct,
    row_issues,
    select_columns,
    string_columns,
)
from agensium.engine.values import DEFAULT_TOKENS, booleans, numbers
from agensium.engine.values.dates import DatePlan, plan_dates
from agensium.engine.values.missing import is_blank


def is_null_token(s: pl.Expr) -> pl.Expr:
    """Blank or a placeholder: a value a typed column holds as missing."""
    return is_blank(s) | DEFAULT_TOKENS.is_placeholder(s)

TargetType = Literal["numeric", "integer", "float", "date", "datetime", "boolean", "string"]
SAMPLE_ROWS = 5000
MAX_EXACT_INT = 2**53
COMPANION = "__original"
CURRENCY = "__currency"


def _currencies(present: pl.DataFrame) -> dict[str, int]:
    """Currency (ISO 4217) → values, among a column's distinct values `v` with counts `n`."""
    cur = present.select(numbers.currency(pl.col("v")).alias("c"), "n").drop_nulls("c")
    return {c: int(n) for c, n in cur.group_by("c").agg(pl.col("n").sum()).sort("n", descending=True).iter_rows()}


class TypeFixerParams(AgentParams):
    convert_numeric: bool = Field(
        default=True,
        validation_alias=AliasChoices("convert_numeric", "auto_convert_numeric"),
        description="Convert text columns of numbers (1,234.50 $ % (5))",
    )
    convert_datetime: bool = Field(
        default=True,
        validation_alias=AliasChoices("convert_datetime", "auto_convert_datetime"),
        description="Convert text columns of dates and timestamps",
    )
    convert_boolean: bool = Field(default=True, description="Convert yes/no, y/n, true/false, t/f columns")
    downcast_integers: bool = Field(
        default=True, description="Make float columns holding only whole numbers integer"
    )
    min_parse_ratio: float = Field(
        default=0.8,
        ge=0.5,
        le=1.0,
        description="A column converts only if at least this share of its non-missing values parse (the "
        "text of the others is kept, see on_failure)",
    )
    mixed_currencies: Literal["split", "keep_as_text"] = Field(
        default="split",
        description="A money column in several currencies: split it into the amount and a <col>__currency "
        "column (ISO 4217 codes), or keep it as text (reported). A column in one currency is converted and "
        "its currency reported.",
    )
    on_failure: Literal["keep_original_column", "quarantine", "null"] = Field(
        default="keep_original_column",
        description="Values of a converted column that do not parse: keep their text in <col>__original, move "
        "their rows to quarantine, or (destructive, explicit) make them null",
    )
    decimal_separator: Literal["auto", ".", ","] = Field(
        default="auto", description="Decimal separator; auto decides per column from unambiguous values"
    )
    percent_as_fraction: bool = Field(default=True, description="Read '12%' as 0.12 (else as 12)")
    day_first: Literal["auto", "day_first", "month_first"] = Field(
        default="auto", description="Day/month order of dates like 03/04/2024; auto decides per column"
    )
    target_columns: list[str] = Field(
        default=[], description="Only these columns (empty = every text column)"
    )
    exclude_columns: list[str] = Field(default=[], description="Columns never converted")
    column_types: dict[str, TargetType] = Field(
        default={},
        description="Column -> type to convert to, whatever the parse ratio (failures per on_failure)",
    )


@dataclass
class Plan:
    column: str
    kind: str
    expr: pl.Expr
    non_missing: int
    parsed: int
    tokens: int
    detail: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, pl.Expr] = field(default_factory=dict)
    """Columns added beside the converted one (e.g. the currency of each amount)."""

    @property
    def failures(self) -> int:
        return self.non_missing - self.parsed


def _decide_decimal(values: pl.DataFrame, setting: str) -> Literal[".", ","]:
    if setting in (".", ","):
        return setting  # type: ignore[return-value]
    dot, comma = values.select(numbers.decimal_evidence(pl.col("v"))).row(0)
    return "," if (comma or 0) > (dot or 0) else "."


def _weighted(values: pl.DataFrame, mask: pl.Expr) -> int:
    return int(values.select(pl.col("n").filter(mask).sum()).item() or 0)


class TypeFixer(Agent):
    id = "type-fixer"
    Params = TypeFixerParams

    def _plan_column(
        self,
        c: str,
        values: pl.DataFrame,
        p: TypeFixerParams,
        forced: str | None,
        notes: dict[str, Any],
        families: set[str],
    ) -> Plan | None:
        v = pl.col("v")
        missing = v.is_null() | is_null_token(v)
        tokens = _weighted(values, v.is_not_null() & is_null_token(v))
        present = values.filter(~missing)
        non_missing = int(present.get_column("n").sum() or 0)
        if non_missing == 0:
            notes[c] = {"kept_as": "text", "reason": "no values"}
            return None
        col_text = pl.col(c).cast(pl.String)
        code_note: dict[str, Any] | None = None
        candidates: dict[str, tuple[int, pl.Expr, dict[str, Any]]] = {}
        if "boolean" in families or forced == "boolean":
            low = v.str.strip_chars().str.to_lowercase()
            ok = _weighted(present, low.is_in(sorted(booleans.WORDS)))
            words = _weighted(present, ~low.is_in(["0", "1"]))
            if words or forced == "boolean":
                candidates["boolean"] = (ok, booleans.parse_boolean(col_text), {})
        codes = _weighted(present, numbers.looks_like_code(v))
        if "numeric" in families or forced in ("numeric", "integer", "float"):
            dec = _decide_decimal(present, p.decimal_separator)
            num = numbers.parse_number(v, dec, p.percent_as_fraction)
            parsed = present.with_columns(num.alias("x"))
            ok = _weighted(parsed, pl.col("x").is_not_null())
            whole = parsed.select(
                ((pl.col("x") == pl.col("x").floor()) | pl.col("x").is_null()).all()
                & (pl.col("x").abs().max().fill_null(0) < MAX_EXACT_INT)
                & ~(pl.col("x").is_not_null() & pl.col("v").str.contains(r"[.,]\d*[1-9]|%|[eE]")).any()
            ).item()
            as_int = (forced != "float") and (forced == "integer" or bool(whole))
            expr = numbers.parse_number(col_text, dec, p.percent_as_fraction)
            expr = expr.round(0).cast(pl.Int64) if as_int else expr
            money = _currencies(present)
            if codes and forced is None:
                code_note = {
                    "kept_as": "text",
                    "reason": f"{codes} value(s) look like codes (leading zero, '+', or more than 15 digits)",
                }
            elif len(money) > 1 and p.mixed_currencies == "keep_as_text" and forced is None:
                code_note = {"kept_as": "text", "currencies": money,
                             "reason": f"amounts in {len(money)} currencies ({', '.join(money)}); mixed_currencies="
                                       "keep_as_text"}
            else:
                detail: dict[str, Any] = {"decimal_separator": dec}
                if money:
                    detail["currencies" if len(money) > 1 else "currency"] = money if len(money) > 1 else next(
                        iter(money))
                candidates["integer" if as_int else "float"] = (ok, expr, detail)
        numeric_ok = any(
            k in candidates and candidates[k][0] >= p.min_parse_ratio * non_missing
            for k in ("integer", "float")
        )
        if ("date" in families and not numeric_ok and forced is None) or forced in ("date", "datetime"):
            plan: DatePlan | None = plan_dates(present, p.day_first)
            if plan is not None:
                # an ambiguous date (03/04/2024 in a column that never says its order) is a date, so it counts
                # for the decision; it is then left unconverted, never guessed
                ok = _weighted(present.with_columns(plan.parse(v, guess=True).alias("x")), pl.col("x").is_not_null())
                strict = _weighted(present.with_columns(plan.parse(v).alias("x")), pl.col("x").is_not_null())
                kind = "datetime" if plan.has_time or forced == "datetime" else "date"
                expr = plan.parse(col_text)
                if forced == "datetime" and not plan.has_time:
                    expr = expr.cast(pl.Datetime("us"))
                candidates[kind] = (ok, expr, {"dates": plan.describe(), "converted": strict})
        if forced is not None:
            wanted = {
                "numeric": ("integer", "float"),
                "integer": ("integer",),
                "float": ("float",),
                "date": ("date",),
                "datetime": ("datetime",),
                "boolean": ("boolean",),
            }[forced]
            pick = next((k for k in wanted if k in candidates), None)
            if pick is None:
                notes[c] = {"kept_as": "text", "reason": f"no value parses as {forced}"}
                return None
        else:
            ranked = sorted(candidates.items(), key=lambda kv: -kv[1][0])
            best = ranked[0] if ranked else None
            if best is None or best[1][0] < p.min_parse_ratio * non_missing:
                if code_note is not None:
                    notes[c] = code_note
                elif best is not None and best[1][0] >= 0.5 * non_missing:
                    notes[c] = {
                        "kept_as": "text",
                        "best_type": best[0],
                        "parse_ratio": round(best[1][0] / non_missing, 4),
                        "values": non_missing,
                        "reason": f"only {pct(best[1][0], non_missing):.2f}% parse as {best[0]}, "
                        f"below min_parse_ratio {p.min_parse_ratio}",
                    }
                    self._near_misses[c] = (best[0], best[1][1])
                return None
            pick = best[0]
        ok, expr, detail = candidates[pick]
        extra = {c + CURRENCY: numbers.currency(col_text)} if "currencies" in detail else {}
        return Plan(c, pick, expr, non_missing, detail.get("converted", ok), tokens, detail, extra)

    def run(self, params: TypeFixerParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        # columns kept as text although most values parse: (best type, its expression), so the
        # values that do not parse can be reported row by row
        self._near_misses: dict[str, tuple[str, pl.Expr]] = {}
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        for name, cols in (
            ("target_columns", params.target_columns),
            ("exclude_columns", params.exclude_columns),
            ("column_types", params.column_types),
        ):
            check_columns(self.id, name, cols, schema)
        texts = select_columns(string_columns(schema), params.target_columns, params.exclude_columns)
        forced = {c: t for c, t in params.column_types.items() if t != "string"}
        texts += [c for c in forced if c not in texts]
        # Cheap screen on the first rows, then exact decisions on the distinct values of candidates.
        sample = (
            lf.select([pl.col(c).cast(pl.String) for c in texts])
            .head(SAMPLE_ROWS)
            .collect(engine="streaming")
            if texts
            else None
        )
        families, codes = self._screen(sample, texts, params) if sample is not None else ({}, [])
        screened = [c for c in texts if c in forced or c in families]
        distinct = (
            pl.collect_all(
                [
                    lf.group_by(pl.col(c).cast(pl.String).alias("v")).agg(pl.len().cast(pl.Int64).alias("n"))
                    for c in screened
                ],
                engine="streaming",
            )
            if screened
            else []
        )
        notes: dict[str, Any] = {
            c: {
                "kept_as": "text",
                "reason": "values look like codes (leading zero, '+', or "
                "more than 15 digits), not quantities",
            }
            for c in codes
            if c not in forced
        }
        plans = [
            p
            for c, values in zip(screened, distinct, strict=True)
            if (p := self._plan_column(c, values, params, forced.get(c), notes, families.get(c, set())))
            is not None
        ]
        ctx.progress(0.4)
        ctx.check_cancelled()
        downcasts = self._downcasts(lf, schema, params)

        exprs: list[pl.Expr] = []
        changes: list[audit.Change] = []
        added: list[str] = []
        nulls_introduced: dict[str, int] = {}
        failures_expr: list[tuple[Plan, pl.Expr]] = []
        for plan in plans:
            orig = pl.col(plan.column).cast(pl.String)
            failed = orig.is_not_null() & ~is_null_token(orig) & plan.expr.is_null()
            exprs.append(plan.expr.alias(plan.column))
            changes.append(audit.Change(plan.column, f"to_{plan.kind}", pl.col(plan.column), plan.expr))
            for name, e in plan.extra.items():
                exprs.append(e.alias(name))
                added.append(name)
            if plan.tokens:
                nulls_introduced[plan.column] = plan.tokens
            if plan.failures:
                failures_expr.append((plan, failed))
                if params.on_failure == "keep_original_column":
                    name = plan.column + COMPANION
                    exprs.append(pl.when(failed).then(orig).alias(name))
                    added.append(name)
                if params.on_failure != "quarantine":  # null in the typed column (text kept in the companion)
                    nulls_introduced[plan.column] = nulls_introduced.get(plan.column, 0) + plan.failures
        for c in downcasts:
            e = pl.col(c).cast(pl.Int64)
            exprs.append(e.alias(c))
            changes.append(audit.Change(c, "float_to_integer", pl.col(c), e))

        entries = audit.measure(lf, changes)
        ctx.progress(0.7)
        ctx.check_cancelled()
        fail_rows = pl.DataFrame(schema={ROW_ID: pl.Int64, "column": pl.String, "value": pl.String})
        if failures_expr:
            fail_rows = pl.concat(
                [
                    lf.filter(f).select(
                        pl.col(ROW_ID),
                        pl.lit(p.column).alias("column"),
                        pl.col(p.column).cast(pl.String).alias("value"),
                    )
                    for p, f in failures_expr
                ]
            ).collect(engine="streaming")
        misses = [
            lf.filter(
                pl.col(c).is_not_null() & ~is_null_token(pl.col(c).cast(pl.String)) & expr.is_null()
            ).select(
                pl.col(ROW_ID),
                pl.lit(c).alias("column"),
                pl.col(c).cast(pl.String).alias("value"),
                pl.lit(kind).alias("kind"),
            )
            for c, (kind, expr) in self._near_misses.items()
        ]
        near = pl.concat(misses).collect(engine="streaming") if misses else None
        out = lf.with_columns(exprs) if exprs else None
        n_quarantined = 0
        if out is not None and params.on_failure == "quarantine" and fail_rows.height:
            kinds = {p.column: p.kind for p in plans}
            reasons = fail_rows.select(
                ROW_ID,
                pl.format(
                    "type_mismatch: '{}' value '{}' is not a valid {}",
                    "column",
                    "value",
                    pl.col("column").replace_strict(kinds, default="value"),
                ).alias("quarantine_reason"),
            )
            ledger.quarantine(ctx, result, self.id, reasons)
            out = ledger.drop_rows(out, reasons)
            n_quarantined = reasons.get_column(ROW_ID).n_unique()
        result.data_out = out
        action = {
            "keep_original_column": "text kept in <col>__original",
            "quarantine": "row quarantined",
            "null": "value set to null",
        }[params.on_failure]
        result.row_issues = row_issues(
            fail_rows,
            column=pl.col("column"),
            issue_type="type_conversion_failed",
            severity="medium",
            message=pl.format("value does not parse as the column's new type; {}", pl.lit(action)),
            value=pl.col("value"),
        ).collect(engine="streaming")
        if near is not None and near.height:
            kept = row_issues(
                near,
                column=pl.col("column"),
                issue_type="type_mismatch",
                severity="low",
                message=pl.format("column kept as text: this value is not a valid {}", "kind"),
                value=pl.col("value"),
            ).collect(engine="streaming")
            result.row_issues = pl.concat([result.row_issues, kept]).sort("row_index", maintain_order=True)

        self._report(
            result,
            params,
            plans,
            downcasts,
            notes,
            entries,
            added,
            nulls_introduced,
            n_quarantined,
            ctx.data.row_count,
        )
        return result

    @staticmethod
    def _screen(
        sample: pl.DataFrame, cols: list[str], p: TypeFixerParams
    ) -> tuple[dict[str, set[str]], list[str]]:
        """Which type families each column's sample could hold (cheap regexes, one pass).

        Keeps e-mails, names, free text and identifier codes out of the exact (costlier) analysis of
        distinct values; a family is kept when at least half the sample looks like it.
        """
        if not cols:
            return {}, []
        num = (
            rf"^\s*\(?\s*(?:{numbers.CURRENCY}\s?)?\s*[-+]?[\d.,]*\d[\d.,]*(?:[eE][-+]?\d+)?"
            rf"\s*%?\s*(?:{numbers.CURRENCY})?\s*\)?\s*$"
        )
        date = (
            r"^\s*\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T]\d{1,2}:\d{2}.*)?\s*$|^\s*\d{8}\s*$|"
            r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
        )
        boolean = r"(?i)^\s*(?:true|false|t|f|yes|no|y|n|1|0)\s*$"
        fams = {
            "numeric": (p.convert_numeric, num),
            "date": (p.convert_datetime, date),
            "boolean": (p.convert_boolean, boolean),
        }
        exprs = []
        for c in cols:
            v = pl.col(c).filter(pl.col(c).is_not_null() & ~is_null_token(pl.col(c)))
            exprs += [v.str.contains(rx).mean().alias(f"{f}:{c}") for f, (on, rx) in fams.items() if on]
            exprs.append(numbers.looks_like_code(v).any().alias(f"code:{c}"))
        row = sample.select(exprs).row(0, named=True)
        out: dict[str, set[str]] = {}
        codes: list[str] = []
        for c in cols:
            fam = {
                f for f, (on, _) in fams.items() if on and (row[f"{f}:{c}"] is None or row[f"{f}:{c}"] >= 0.5)
            }
            if row[f"code:{c}"] and "numeric" in fam:
                fam.discard("numeric")
                codes.append(c)
            if fam:
                out[c] = fam
        return out, codes

    @staticmethod
    def _downcasts(lf: pl.LazyFrame, schema: pl.Schema, p: TypeFixerParams) -> list[str]:
        if not p.downcast_integers:
            return []
        floats = [
            c
            for c in select_columns(
                [c for c, t in schema.items() if t in (pl.Float32, pl.Float64) and c != ROW_ID],
                p.target_columns,
                p.exclude_columns,
            )
        ]
        if not floats:
            return []
        row = (
            lf.select(
                [
                    (pl.col(c).drop_nulls().len() > 0)
                    & (pl.col(c).drop_nulls() == pl.col(c).drop_nulls().floor()).all()
                    & (pl.col(c).abs().max().fill_null(0) < MAX_EXACT_INT)
                    for c in floats
                ]
            )
            .collect(engine="streaming")
            .row(0)
        )
        return [c for c, ok in zip(floats, row, strict=True) if ok]

    def _report(
        self,
        result: AgentResult,
        p: TypeFixerParams,
        plans: list[Plan],
        downcasts: list[str],
        notes: dict[str, Any],
        entries: list[dict[str, Any]],
        added: list[str],
        nulls_introduced: dict[str, int],
        n_quarantined: int,
        total: int,
    ) -> None:
        converted = {
            pl_.column: {
                "to": pl_.kind,
                "values": pl_.non_missing,
                "parsed": pl_.parsed,
                "failed": pl_.failures,
                "null_tokens_to_null": pl_.tokens,
                **pl_.detail,
            }
            for pl_ in plans
        }
        for c in downcasts:
            converted[c] = {"to": "integer", "from": "float", "failed": 0}
        detected = len(plans) + len(downcasts) + sum(1 for n in notes.values() if "best_type" in n)
        typed = sum(pl_.parsed for pl_ in plans)
        # share of the values in type-problem columns that now have their proper type
        considered = sum(pl_.non_missing for pl_ in plans) + sum(
            n["values"] for n in notes.values() if "best_type" in n
        )
        score = None if detected == 0 else round(pct(typed, considered), 2) if considered else 100.0
        failures = sum(pl_.failures for pl_ in plans)
        result.score = score
        result.summary = {
            "total_rows_processed": total,
            "columns_converted": len(converted),
            "values_failed": failures,
            "columns_kept_as_text": len(notes),
            "companion_columns_added": len(added),
            "rows_quarantined": n_quarantined,
            "cells_changed": sum(e["changed_cells"] for e in entries),
        }
        aud = audit.summarise(entries, self.id)
        result.data = {
            "conversions": converted,
            "kept_as_text": notes,
            "manifest": manifest(
                total,
                quarantined=n_quarantined,
                added=added,
                type_changes={c: v["to"] for c, v in converted.items()},
                nulls_introduced=nulls_introduced,
            ),
            "tables": [
                {
                    "title": "Column conversions",
                    "columns": ["column", "to", "values", "parsed", "failed"],
                    "rows": [
                        [c, v["to"], v.get("values"), v.get("parsed"), v["failed"]]
                        for c, v in converted.items()
                    ],
                }
            ],
        }
        audit.add_to(result.data, aud)
        for c, v in converted.items():
            if v["failed"]:
                result.issues.append(
                    Issue(
                        field=c,
                        issue_type="type_conversion_failed",
                        severity="medium",
                        message=f"{v['failed']} value(s) of '{c}' do not parse as {v['to']}",
                        count=v["failed"],
                        extras={"handling": p.on_failure},
                    )
                )
        for c, n in notes.items():
            if "best_type" in n:
                result.issues.append(
                    Issue(
                        field=c,
                        issue_type="mixed_types",
                        severity="low",
                        message=f"'{c}' kept as text: {n['reason']}",
                    )
                )
                result.recommendations.append(
                    Recommendation(
                        field=c,
                        priority="low",
                        recommendation=f"Fix the non-{n['best_type']} values of '{c}' or set "
                        f"column_types to force the conversion",
                    )
                )
        for c, v in converted.items():
            d = v.get("dates")
            if d and d["ambiguous_values"] and d["day_first"] is None:
                where = {"keep_original_column": f"their text is kept in '{c}{COMPANION}'",
                         "quarantine": "their rows are quarantined", "null": "they were set to null"}[p.on_failure]
                result.alerts.append(
                    Alert(
                        severity="high",
                        category="date_order",
                        message=f"'{c}': {d['ambiguous_values']:,} date(s) read both day-first and month-first "
                        f"and the column does not say which; they were not converted ({where})",
                        affected_fields=[c],
                        recommendation="Set day_first (day_first or month_first) to convert them",
                    )
                )
            if v.get("currencies"):
                result.alerts.append(
                    Alert(
                        severity="medium",
                        category="currency",
                        message=f"'{c}' holds amounts in {len(v['currencies'])} currencies "
                        f"({', '.join(f'{k} x{n:,}' for k, n in v['currencies'].items())}): the amounts are in "
                        f"'{c}', each one's currency in '{c}{CURRENCY}' (never added up together)",
                        affected_fields=[c, c + CURRENCY],
                    )
                )
        if failures and p.on_failure == "null":
            result.alerts.append(
                Alert(
                    severity="high",
                    category="data_loss",
                    message=f"{failures} unparseable value(s) were set to null (on_failure=null)",
                )
            )
        if detected == 0:
            result.cards.append(card("Type fixing", "Nothing to do", None, "No column needed a type change"))
        else:
            result.cards.append(
                card(
                    "Type fixing",
                    f"{len(converted)} column(s) converted",
                    score,
                    f"{failures} value(s) did not parse",
                )
            )
