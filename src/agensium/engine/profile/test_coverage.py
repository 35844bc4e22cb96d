"""Test Coverage Agent: the data-quality checks the user configured, run against the data.

Dimensions: uniqueness, completeness (not-null), range, format (full-match regex) and allowed
values. Each check's pass rate is exact; a dimension's score is the mean pass rate of its checks;
the overall score is the weighted mean over the dimensions that have checks. With no checks the
score is None and the status "not_configured": nothing was tested, so nothing can be excellent.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, field_validator

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
from agensium.engine.profile.shared import STATE_KEY, DatasetProfile
from agensium.engine.profile.stats import column_kind
from agensium.engine.values import numbers
from agensium.engine.values.text import as_text

Scalar = str | int | float | bool


class RangeTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float | None = Field(None, description="Smallest allowed value (inclusive).")
    max: float | None = Field(None, description="Largest allowed value (inclusive).")


class FormatTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pattern: str = Field(description="Regular expression the WHOLE value must match.")
    description: str | None = None


def _check_regex(pattern: str) -> str:
    try:
        pl.select(pl.lit("").str.contains(pattern)).item()
    except pl.exceptions.PolarsError as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {str(exc).splitlines()[0]}") from exc
    return pattern


class CoverageParams(AgentParams):
    unique_columns: list[str] = Field([], description="Columns whose values must be unique.")
    not_null_columns: list[str] = Field([], description="Columns that must have a value in every row.")
    range_tests: dict[str, RangeTest] = Field({}, description="{column: {min, max}} (inclusive).")
    format_tests: dict[str, str | FormatTest] = Field(
        {}, description="{column: regex or {pattern, description}}; the whole value must match.")
    allowed_values: dict[str, list[Scalar]] = Field({},
                                                    description="{column: [allowed values]}.")
    uniqueness_weight: float = Field(0.4, ge=0, le=1, description="Weight of the uniqueness dimension.")
    range_weight: float = Field(0.3, ge=0, le=1, description="Weight of the range dimension.")
    format_weight: float = Field(0.3, ge=0, le=1, description="Weight of the format dimension.")
    completeness_weight: float = Field(0.3, ge=0, le=1, description="Weight of the not-null dimension.")
    allowed_values_weight: float = Field(0.3, ge=0, le=1, description="Weight of the allowed-values dimension.")
    excellent_threshold: float = Field(90, ge=0, le=100, description="Score at or above this is excellent.")
    good_threshold: float = Field(75, ge=0, le=100, description="Score at or above this is good.")
    suggest_checks: bool = Field(True, description="Recommend checks for unprotected columns, from the profile.")

    @field_validator("format_tests")
    @classmethod
    def _valid_patterns(cls, v: dict[str, str | FormatTest]) -> dict[str, str | FormatTest]:
        for test in v.values():
            _check_regex(test if isinstance(test, str) else test.pattern)
        return v


DIMENSIONS = ("uniqueness", "completeness", "range", "format", "allowed_values")


def _present(c: str, dtype: pl.DataType) -> pl.Expr:
    e = pl.col(c).is_not_null()
    if dtype.is_float():
        e = e & ~pl.col(c).is_nan()
    if column_kind(dtype) == "string":
        e = e & pl.col(c).cast(pl.String).str.contains(r"\S")
    return e


def _suggestions(ctx: RunContext, cols: list[str], covered: set[str]) -> list[tuple[str, str]]:
    """A check worth adding to each uncovered column, from the run's profile (when there is one)."""
    prof = ctx.state.get(STATE_KEY)
    if not (isinstance(prof, DatasetProfile) and prof.path == ctx.data.path):
        return []
    out = []
    for c in cols:
        if c in covered:
            continue
        sem_t = prof.semantics[c].type
        st = prof.stats[c]
        if sem_t == "id_like" or (st.distinct and st.distinct == st.rows and st.rows > 1):
            out.append((c, f"Add a uniqueness check on '{c}' (it looks like an identifier)."))
        elif sem_t in ("email", "url", "phone", "date_text", "iban", "ipv4"):
            out.append((c, f"Add a format check on '{c}' ({sem_t})."))
        elif sem_t == "categorical" and st.top_values and st.distinct and st.distinct <= 20:
            out.append((c, f"Add an allowed-values check on '{c}' ({st.distinct} values seen)."))
        elif st.numeric and st.numeric.get("finite_count"):
            out.append((c, f"Add a range check on '{c}' (observed {st.numeric['min']} to {st.numeric['max']})."))
    return out


class TestCoverageAgent(Agent):
    __test__ = False  # not a pytest class despite the name
    id = "test-coverage-agent"
    Params = CoverageParams

    def _checks(self, p: CoverageParams, schema: pl.Schema) -> list[dict[str, Any]]:
        """Each check: dimension, column, rule text, and (if runnable) the failing-row expression."""
        checks: list[dict[str, Any]] = []

        def add(dim: str, col: str, rule: str, fail: pl.Expr | None, evaluated: pl.Expr | None,
                error: str | None = None, issue: str = "") -> None:
            if col not in schema:
                fail, evaluated, error = None, None, f"column '{col}' does not exist"
            checks.append({"check_id": f"{dim}:{col}", "dimension": dim, "column": col, "rule": rule,
                           "fail": fail, "evaluated": evaluated, "error": error, "issue_type": issue})

        for c in p.unique_columns:
            present = _present(c, schema[c]) if c in schema else None
            fail = (present & pl.col(c).is_duplicated()) if present is not None else None
            add("uniqueness", c, "values are unique", fail, present, issue="duplicate_value")
        for c in p.not_null_columns:
            present = _present(c, schema[c]) if c in schema else None
            add("completeness", c, "no missing values", ~present if present is not None else None, pl.lit(True),
                issue="missing_required_value")
        for c, r in p.range_tests.items():
            rule = f"between {r.min if r.min is not None else '-inf'} and {r.max if r.max is not None else '+inf'}"
            if c not in schema:
                add("range", c, rule, None, None)
                continue
            kind = column_kind(schema[c])
            if kind == "numeric":
                x = pl.col(c).cast(pl.Float64)
            elif kind == "string":
                x = numbers.parse_number(pl.col(c))
            else:
                add("range", c, rule, None, None, error=f"column '{c}' is {schema[c]}, not numeric")
                continue
            present = _present(c, schema[c])
            out = pl.lit(False)
            if r.min is not None:
                out = out | (x < r.min)
            if r.max is not None:
                out = out | (x > r.max)
            # a present value that is not a number cannot satisfy a numeric range
            add("range", c, rule, present & (x.is_null() | x.is_nan() | out), present, issue="out_of_range")
        for c, t in p.format_tests.items():
            pattern = t if isinstance(t, str) else t.pattern
            rule = f"matches /{pattern}/" + (f" ({t.description})" if isinstance(t, FormatTest) and t.description else "")
            if c not in schema:
                add("format", c, rule, None, None)
                continue
            present = _present(c, schema[c])
            ok = pl.col(c).cast(pl.String).str.contains(f"^(?:{pattern})$")
            add("format", c, rule, present & ~ok, present, issue="format_mismatch")
        for c, allowed in p.allowed_values.items():
            rule = f"one of {allowed[:10]}" + (" ..." if len(allowed) > 10 else "")
            if c not in schema:
                add("allowed_values", c, rule, None, None)
                continue
            present = _present(c, schema[c])
            ok = pl.col(c).cast(pl.String).is_in([str(a) for a in allowed])
            add("allowed_values", c, rule, present & ~ok, present, issue="value_not_allowed")
        return checks

    def run(self, params: CoverageParams, ctx: RunContext) -> AgentResult:
        data = ctx.data
        schema = data.schema
        checks = self._checks(params, schema)
        if not checks:  # nothing to test: skipped, so not charged, and the report says why
            reason = ("no checks configured: set unique_columns, not_null_columns, range_tests, format_tests or "
                      "allowed_values to test the data")
            suggested = [rec for _, rec in _suggestions(ctx, data.columns, set())] if params.suggest_checks else []
            return AgentResult(agent_id=self.id, status="skipped", score=None,
                               summary={"checks_configured": 0, "coverage_status": "not_configured",
                                        "skipped_reason": reason, "suggested_checks": suggested},
                               cards=[SummaryCard(title="Test Coverage", value="not configured", status="info",
                                                  description=reason)])
        runnable = [c for c in checks if c["fail"] is not None]
        counts: dict[str, Any] = {}
        if runnable:
            exprs = []
            for i, c in enumerate(runnable):
                exprs += [c["fail"].sum().alias(f"f{i}"), c["evaluated"].sum().alias(f"e{i}")]
            counts = data.lazy().select(exprs).collect().row(0, named=True)
        rows = data.row_count
        for i, c in enumerate(runnable):
            c["failing_rows"], c["evaluated_rows"] = int(counts[f"f{i}"] or 0), int(counts[f"e{i}"] or 0)
        results = []
        for c in checks:
            if c["error"]:
                status, rate = "error", 0.0
            else:
                ev = c["evaluated_rows"] if c["dimension"] != "completeness" else rows
                rate = 100.0 if ev == 0 else 100.0 * (1 - c["failing_rows"] / ev)
                status = "passed" if c["failing_rows"] == 0 else "failed"
            results.append({k: v for k, v in c.items() if k not in ("fail", "evaluated", "issue_type")}
                           | {"status": status, "pass_rate": rnd(rate, 4)})
        weights = {"uniqueness": params.uniqueness_weight, "completeness": params.completeness_weight,
                   "range": params.range_weight, "format": params.format_weight,
                   "allowed_values": params.allowed_values_weight}
        dims: dict[str, float | None] = {}
        for d in DIMENSIONS:
            rates = [r["pass_rate"] for r in results if r["dimension"] == d]
            dims[d] = sum(rates) / len(rates) if rates else None
        configured = {d: s for d, s in dims.items() if s is not None}
        wsum = sum(weights[d] for d in configured)
        if not configured:
            overall, status = None, "not_configured"
        else:
            overall = (sum(weights[d] * s for d, s in configured.items()) / wsum if wsum > 0
                       else sum(configured.values()) / len(configured))
            status = ("excellent" if overall >= params.excellent_threshold else
                      "good" if overall >= params.good_threshold else "needs_improvement")
        covered = {r["column"] for r in results if r["column"] in schema}
        user_cols = data.columns
        res = AgentResult(agent_id=self.id, score=rnd(overall))
        res.summary = {
            "checks_configured": len(results), "checks_passed": sum(r["status"] == "passed" for r in results),
            "checks_failed": sum(r["status"] == "failed" for r in results),
            "checks_errored": sum(r["status"] == "error" for r in results),
            "columns_covered": len(covered), "total_columns": len(user_cols),
            "column_coverage_pct": rnd(100 * len(covered) / len(user_cols)) if user_cols else None,
            "overall_score": rnd(overall), "coverage_status": status,
        }
        res.data = {
            "scores": {"overall": rnd(overall), **{d: rnd(s) for d, s in dims.items()}},
            "coverage_status": status, "checks": results,
            "uncovered_columns": [c for c in user_cols if c not in covered],
            "tables": [table("Checks", ["check", "dimension", "column", "rule", "status", "evaluated rows",
                                        "failing rows", "pass rate %", "error"],
                             [[r["check_id"], r["dimension"], r["column"], r["rule"], r["status"],
                               r.get("evaluated_rows"), r.get("failing_rows"), r["pass_rate"], r["error"]]
                              for r in results])],
            "charts": [bar_chart("Score by dimension", list(configured), [rnd(s) for s in configured.values()],
                                 "score", "dimension", "score")] if configured else [],
        }
        self._findings(res, results, status, overall, params, ctx, user_cols, covered)
        res.row_issues = self._row_issues(data.lazy(), checks)
        return res

    def _findings(self, res: AgentResult, results: list[dict[str, Any]], status: str, overall: float | None,
                  p: CoverageParams, ctx: RunContext, cols: list[str], covered: set[str]) -> None:
        if status == "not_configured":
            res.alerts.append(Alert(severity="info", category="coverage", affected_fields=[],
                                    message="No checks configured: nothing was tested",
                                    recommendation="Configure unique, not-null, range, format or allowed-value checks."))
            res.cards = [SummaryCard(title="Test Coverage", value="not configured", status="info",
                                     description="no checks were configured")]
        else:
            card = {"excellent": "excellent", "good": "good"}.get(status, "poor")
            res.cards = [SummaryCard(title="Test Coverage", value=f"{overall:.1f}", status=card,
                                     description=f"{sum(r['status'] == 'passed' for r in results)}/{len(results)} "
                                                 f"checks passed; {len(covered)}/{len(cols)} columns covered")]
        for r in results:
            if r["status"] == "error":
                res.issues.append(Issue(field=r["column"], issue_type="check_error", severity="high",
                                        message=f"{r['check_id']}: {r['error']}"))
            elif r["status"] == "failed":
                sev = "high" if r["pass_rate"] < 90 else ("medium" if r["pass_rate"] < 99 else "low")
                res.issues.append(Issue(field=r["column"], issue_type=f"{r['dimension']}_violation", severity=sev,
                                        count=r["failing_rows"],
                                        message=f"{r['check_id']} ({r['rule']}): {r['failing_rows']:,} failing row(s), "
                                                f"pass rate {r['pass_rate']:.2f}%"))
        failed = [r for r in results if r["status"] != "passed"]
        if failed:
            sev = "high" if overall is not None and overall < p.good_threshold else "medium"
            res.alerts.append(Alert(severity=sev, category="coverage", affected_fields=sorted({r["column"] for r in failed}),
                                    message=f"{len(failed)} of {len(results)} check(s) failed or could not run",
                                    recommendation="Fix the failing rows (row_issues.csv) or the check definitions."))
        if p.suggest_checks:
            for c, rec in _suggestions(ctx, cols, covered):
                res.recommendations.append(Recommendation(field=c, priority="low", recommendation=rec,
                                                          rationale="column has no check"))

    def _row_issues(self, lf: pl.LazyFrame, checks: list[dict[str, Any]]) -> pl.DataFrame:
        parts = []
        schema = lf.collect_schema()
        for c in checks:
            if c["fail"] is None or not c.get("failing_rows"):
                continue
            sev = "high" if c["dimension"] in ("uniqueness", "completeness") else "medium"
            parts.append(lf.filter(c["fail"]).select(
                pl.col(ROW_ID).alias("row_index"), pl.lit(c["column"]).alias("column"),
                pl.lit(c["issue_type"]).alias("issue_type"), pl.lit(sev).alias("severity"),
                pl.lit(f"fails check {c['check_id']} ({c['rule']})").alias("message"),
                as_text(pl.col(c["column"]), schema[c["column"]]).alias("value")))
        if not parts:
            return empty_row_issues()
        return pl.concat([df.cast(ROW_ISSUE_SCHEMA) for df in pl.collect_all(parts)], how="vertical")
