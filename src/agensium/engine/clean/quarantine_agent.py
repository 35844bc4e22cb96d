"""quarantine-agent: move rows that break the configured rules to the quarantine file.

Default rules are deliberately narrow: fully empty rows and structurally corrupt rows (text with
decoding-error characters or binary control characters). Required fields, expected types, ranges,
allowed values and patterns are checked only when configured. Legitimate text is never judged by
"looks like SQL" heuristics. The score is the share of rows that passed, so quarantining more rows
never earns credit.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

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
    concat_issues,
    manifest,
    pct,
    row_issues,
    user_columns,
)
from agensium.engine.values import booleans, numbers
from agensium.engine.values.dates import any_date

CORRUPT_PATTERN = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\uFFFD]"
"""Decoding-error replacement characters and C0 control characters (tab, CR and LF are fine)."""


class RangeRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float | None = Field(default=None, description="Smallest allowed value (inclusive)")
    max: float | None = Field(default=None, description="Largest allowed value (inclusive)")


ExpectedType = Literal["numeric", "integer", "float", "boolean", "date", "string"]


class QuarantineParams(AgentParams):
    detect_empty_rows: bool = Field(
        default=True, description="Quarantine rows in which every cell is null or blank"
    )
    detect_broken_records: bool = Field(
        default=True, description="Quarantine rows holding decoding-error or binary control characters"
    )
    required_fields: list[str] = Field(default=[], description="Columns that must hold a non-blank value")
    expected_types: dict[str, ExpectedType] = Field(
        default={},
        validation_alias=AliasChoices("expected_types", "expected_schema"),
        description="Column -> type its values must parse as (numeric, integer, float, boolean, date, "
        "string); rows whose value does not parse are quarantined",
    )
    range_constraints: dict[str, RangeRule] = Field(
        default={}, description="Column -> {min, max}; checked on values that parse as numbers"
    )
    format_constraints: dict[str, str] = Field(
        default={}, description="Column -> regular expression the whole value must match"
    )
    allowed_values: dict[str, list[str]] = Field(default={}, description="Column -> the only values allowed")
    max_quarantine_share: float = Field(
        default=100.0,
        ge=0,
        le=100,
        description="Refuse (fail the agent) when more than this % of rows would be quarantined: a guard against a "
        "misconfigured rule emptying the data",
    )


def _blank(c: str, dtype: pl.DataType) -> pl.Expr:
    e = pl.col(c)
    if dtype == pl.String:
        return e.is_null() | e.str.contains(r"^\s*$")
    return e.is_null()


def _type_ok(c: str, dtype: pl.DataType, expected: ExpectedType) -> pl.Expr:
    """True where the value is null or fits `expected`."""
    e = pl.col(c)
    if expected == "string":
        return pl.lit(True)
    if dtype != pl.String:
        if expected in ("numeric", "float"):
            return pl.lit(dtype.is_numeric())
        if expected == "integer":
            return e.is_null() | (
                e.cast(pl.Float64, strict=False) == e.cast(pl.Float64, strict=False).floor()
            )
        if expected == "boolean":
            return pl.lit(dtype == pl.Boolean)
        return pl.lit(dtype.is_temporal())
    s = e.str.strip_chars()
    blank = s.is_null() | (s == "")
    if expected in ("numeric", "float"):
        ok = numbers.parse_number(s).is_not_null()
    elif expected == "integer":
        ok = s.str.contains(r"^[-]?\d+$")
    elif expected == "boolean":
        ok = booleans.is_boolean_text(s)
    else:
        ok = any_date(s).is_not_null()
    return blank | ok


class QuarantineAgent(Agent):
    id = "quarantine-agent"
    Params = QuarantineParams

    def run(self, params: QuarantineParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        cols = user_columns(schema)
        for name, names in (
            ("required_fields", params.required_fields),
            ("expected_types", params.expected_types),
            ("range_constraints", params.range_constraints),
            ("format_constraints", params.format_constraints),
            ("allowed_values", params.allowed_values),
        ):
            check_columns(self.id, name, names, schema)

        rules: list[
            tuple[str, str | None, str, pl.Expr, str]
        ] = []  # (rule, column, severity, broken, message)
        if params.detect_empty_rows and cols:
            rules.append(
                (
                    "empty_row",
                    None,
                    "low",
                    pl.all_horizontal([_blank(c, schema[c]) for c in cols]),
                    "every cell is empty",
                )
            )
        text_cols = [c for c in cols if schema[c] == pl.String]
        if params.detect_broken_records and text_cols:
            rules.append(
                (
                    "corrupt_record",
                    None,
                    "high",
                    pl.any_horizontal(
                        [pl.col(c).str.contains(CORRUPT_PATTERN).fill_null(False) for c in text_cols]
                    ),
                    "contains decoding-error or control characters",
                )
            )
        for c in params.required_fields:
            rules.append(
                (
                    "missing_required_field",
                    c,
                    "critical",
                    _blank(c, schema[c]),
                    f"required field '{c}' is empty",
                )
            )
        for c, t in params.expected_types.items():
            rules.append(
                ("type_mismatch", c, "high", ~_type_ok(c, schema[c], t), f"'{c}' is not a valid {t}")
            )
        for c, r in params.range_constraints.items():
            v = (
                pl.col(c).cast(pl.Float64, strict=False)
                if schema[c].is_numeric()
                else numbers.parse_number(pl.col(c))
            )
            bad = pl.lit(False)
            if r.min is not None:
                bad = bad | (v < r.min).fill_null(False)
            if r.max is not None:
                bad = bad | (v > r.max).fill_null(False)
            rules.append(("out_of_range", c, "high", bad, f"'{c}' outside [{r.min}, {r.max}]"))
        for c, pattern in params.format_constraints.items():
            s = pl.col(c).cast(pl.String)
            anchored = f"^(?:{pattern})$"
            rules.append(
                (
                    "invalid_format",
                    c,
                    "medium",
                    s.is_not_null() & ~s.str.contains(anchored).fill_null(False),
                    f"'{c}' does not match {pattern}",
                )
            )
        for c, allowed in params.allowed_values.items():
            s = pl.col(c).cast(pl.String)
            rules.append(
                (
                    "not_allowed_value",
                    c,
                    "medium",
                    s.is_not_null() & ~s.is_in(allowed),
                    f"'{c}' is not one of the allowed values",
                )
            )

        total = ctx.data.row_count
        hits = pl.DataFrame(schema={ROW_ID: pl.Int64, "k": pl.Int32})
        parts = []
        combined = list(range(len(rules)))
        if rules and rules[0][0] == "empty_row":
            # Empty rows on their own query: the cheap "non-text cells are null" filter goes first, so
            # Parquet statistics usually skip every row group and the text checks never run.
            combined = combined[1:]
            typed = [c for c in cols if schema[c] != pl.String]
            texts = [c for c in cols if schema[c] == pl.String]
            q = lf
            if typed:
                q = q.filter(pl.all_horizontal([pl.col(c).is_null() for c in typed]))
            if texts:
                q = q.filter(pl.all_horizontal([_blank(c, schema[c]) for c in texts]))
            parts.append(q.select(ROW_ID, pl.lit(0, dtype=pl.Int32).alias("k")))
        if combined:
            flags = lf.select(
                pl.col(ROW_ID), *[rules[i][3].fill_null(False).alias(f"r{i}") for i in combined]
            )
            parts.append(
                flags.filter(pl.any_horizontal([pl.col(f"r{i}") for i in combined]))
                .unpivot(index=ROW_ID, variable_name="k", value_name="hit")
                .filter(pl.col("hit"))
                .select(ROW_ID, pl.col("k").str.slice(1).cast(pl.Int32))
            )
        if parts:
            hits = pl.concat(pl.collect_all(parts, engine="streaming")).sort([ROW_ID, "k"])
        ctx.progress(0.6)
        ctx.check_cancelled()
        counts = {i: 0 for i in range(len(rules))}
        for k, n in hits.group_by("k").len().iter_rows():
            counts[k] = n
        bad_ids = hits.get_column(ROW_ID).unique()
        n_bad = bad_ids.len()
        if pct(n_bad, total) > params.max_quarantine_share:
            from agensium.errors import AgensiumError, ErrorCode

            raise AgensiumError(
                ErrorCode.INVALID_PARAMETERS,
                f"{self.id}: rules would quarantine {pct(n_bad, total):.1f}% of rows, above "
                f"max_quarantine_share={params.max_quarantine_share}",
                {"rows": n_bad, "total": total},
            )

        messages = pl.DataFrame(
            {
                "k": list(range(len(rules))),
                "reason": [f"{r[0]}: {r[4]}" for r in rules],
                "issue_type": [r[0] for r in rules],
                "column": [r[1] for r in rules],
                "severity": [r[2] for r in rules],
            },
            schema={
                "k": pl.Int32,
                "reason": pl.String,
                "issue_type": pl.String,
                "column": pl.String,
                "severity": pl.String,
            },
        )
        detail = hits.join(messages, on="k", how="left").sort([ROW_ID, "k"])
        if n_bad:
            ledger.quarantine(
                ctx, result, self.id, detail.select(ROW_ID, pl.col("reason").alias("quarantine_reason"))
            )
            result.data_out = ledger.drop_rows(lf, detail)
        issues_frames = [
            row_issues(
                g,
                column=g["column"][0],
                issue_type=g["issue_type"][0],
                severity=g["severity"][0],
                message=pl.col("reason"),
            )
            for g in detail.partition_by("k", maintain_order=True)
        ]
        result.row_issues = concat_issues(issues_frames)

        by_rule = {rules[i][0] + (f"[{rules[i][1]}]" if rules[i][1] else ""): counts[i] for i in counts}
        passed = total - n_bad
        result.score = round(pct(passed, total), 2) if total else None
        result.summary = {
            "total_rows_processed": total,
            "rules_checked": len(rules),
            "quarantined_rows": n_bad,
            "clean_rows": passed,
            "quarantine_percentage": pct(n_bad, total),
        }
        result.data = {
            "rules": [
                {"rule": r[0], "column": r[1], "severity": r[2], "description": r[4], "rows": counts[i]}
                for i, r in enumerate(rules)
            ],
            "quarantined_by_rule": by_rule,
            "manifest": manifest(total, rows_out=passed, quarantined=n_bad),
            "tables": [
                {
                    "title": "Rows quarantined per rule",
                    "columns": ["rule", "column", "severity", "rows"],
                    "rows": [[r[0], r[1], r[2], counts[i]] for i, r in enumerate(rules)],
                }
            ],
            "charts": [
                {
                    "title": "Rows quarantined per rule",
                    "type": "bar",
                    "labels": list(by_rule),
                    "series": [{"name": "rows", "values": list(by_rule.values())}],
                }
            ]
            if rules
            else [],
        }
        share = pct(n_bad, total)
        if n_bad:
            sev = "critical" if share > 30 else "high" if share > 15 else "medium" if share > 5 else "low"
            result.alerts.append(
                Alert(
                    severity=sev,
                    category="quarantine",
                    message=f"{n_bad} of {total} rows ({share:.2f}%) were quarantined",
                    affected_fields=sorted({r[1] for i, r in enumerate(rules) if r[1] and counts[i]}),
                    recommendation="Review quarantine.csv; fix the source or relax the rules",
                )
            )
        for i, r in enumerate(rules):
            if counts[i]:
                result.issues.append(
                    Issue(
                        field=r[1],
                        issue_type=r[0],
                        severity=r[2],  # type: ignore[arg-type]
                        message=f"{counts[i]} row(s): {r[4]}",
                        count=counts[i],
                    )
                )
        ragged = (ctx.original.read_notes or {}).get("ragged_rows") or {}
        if ragged.get("long_rows_truncated"):
            result.alerts.append(
                Alert(
                    severity="high",
                    category="corrupt_records",
                    message=f"{ragged['long_rows_truncated']} row(s) of the file had more fields than the header; the "
                    f"reader kept the first fields and dropped the extra ones",
                    recommendation="Check the delimiter and quoting of the source file",
                )
            )
        audit.add_to(result.data, audit.summarise([], self.id))  # rows move out; no cell changes
        if not rules:
            result.recommendations.append(
                Recommendation(
                    field=None,
                    priority="info",
                    recommendation="No quarantine rule is enabled",
                    rationale="Enable empty/corrupt row detection or configure required fields, types or ranges",
                )
            )
        result.cards.append(
            card(
                "Quarantine",
                f"{n_bad} rows",
                result.score,
                f"{passed} of {total} rows passed {len(rules)} rule(s)",
            )
        )
        return result
