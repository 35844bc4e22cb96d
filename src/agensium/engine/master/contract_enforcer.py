"""contract-enforcer: enforce a data contract (schema file or parameters) and report every violation.

Safe by default: columns outside the contract are kept (dropping is opt-in), casts that would turn
values into nulls are not applied unless allowed, invalid values are flagged and only replaced when
asked. Every violation is counted per column and listed per row (ROW_ID) in the row issues.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import polars as pl
from pydantic import Field

from agensium.engine.agent import (
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Issue,
    Recommendation,
    RunContext,
    SummaryCard,
)
from agensium.engine.master.common import (
    bar_chart,
    issue_rows,
    resolve_column,
    row_issues,
    status_of,
    table,
    user_columns,
)
from agensium.engine.master.contract import (
    Contract,
    ValueConstraint,
    load_contract_file,
    merge,
    parse_contract,
)
from agensium.engine.values import booleans
from agensium.engine.values.dates import any_date
from agensium.errors import AgensiumError, ErrorCode

TARGET_DTYPES: dict[str, pl.DataType] = {"string": pl.String(), "integer": pl.Int64(), "float": pl.Float64(),
                                         "boolean": pl.Boolean(), "date": pl.Date(), "datetime": pl.Datetime("us")}


class ContractEnforcerParams(AgentParams):
    contract: dict[str, Any] = Field(default_factory=dict,
                                     description="A data contract; refines the schema file when both are given")
    auto_transform: bool = Field(True, description="Apply renames, casts and configured value fixes")
    strict_mode: bool = Field(False, description="Fail the run (and stop the chain) on any violation")
    drop_extra_columns: bool = Field(False, description="Drop columns the contract does not mention")
    rename_columns: bool = Field(True, description="Apply the contract's column_mappings")
    cast_types: bool = Field(True, description="Cast columns to the contract's types")
    allow_lossy_casts: bool = Field(False, description="Cast even when some values cannot be converted (they "
                                                       "become null and are reported)")
    enforce_values: bool = Field(True, description="Check allowed values, ranges, patterns, nulls, uniqueness")
    default_value_strategy: Literal["keep", "null", "default"] = Field(
        "keep", description="What replaces a value outside allowed_values: keep it (flag only), null, or the "
                            "constraint's default_value")
    structural_weight: float = Field(0.4, ge=0, le=1, description="Weight of structural compliance")
    value_weight: float = Field(0.4, ge=0, le=1, description="Weight of value compliance")
    transformation_weight: float = Field(0.2, ge=0, le=1, description="Weight of transformation success")
    excellent_threshold: float = Field(95, ge=0, le=100, description="Score for 'compliant'")
    good_threshold: float = Field(80, ge=0, le=100, description="Score for 'partially compliant'")


def cast_expr(col: str, dtype: pl.DataType, target: str) -> pl.Expr:
    """Lenient cast: values that cannot be converted become null (the caller counts them)."""
    s = pl.col(col)
    txt = (s if dtype == pl.String else s.cast(pl.String)).str.strip_chars()
    if target == "string":
        return s.cast(pl.String)
    if target == "integer":
        if dtype.is_integer():
            return s.cast(pl.Int64)
        f = s.cast(pl.Float64, strict=False) if dtype.is_numeric() else txt.cast(pl.Float64, strict=False)
        return pl.when(f == f.round(0)).then(f.cast(pl.Int64, strict=False))
    if target == "float":
        return s.cast(pl.Float64, strict=False) if dtype.is_numeric() else txt.cast(pl.Float64, strict=False)
    if target == "boolean":
        if dtype == pl.Boolean:
            return s
        return booleans.parse_boolean(txt)
    if target == "date":
        if dtype == pl.Date:
            return s
        if isinstance(dtype, pl.Datetime):
            return s.dt.date()
        return any_date(txt).dt.date()
    if isinstance(dtype, pl.Datetime):
        return s.cast(pl.Datetime("us"))
    if dtype == pl.Date:
        return s.cast(pl.Datetime("us"))
    return any_date(txt)


def _matches_type(dtype: pl.DataType, target: str) -> bool:
    return {"string": dtype == pl.String, "integer": dtype.is_integer(), "float": dtype.is_float(),
            "boolean": dtype == pl.Boolean, "date": dtype == pl.Date,
            "datetime": isinstance(dtype, pl.Datetime)}[target]


def _bound(value: Any, dtype: pl.DataType) -> Any:
    if value is None:
        return None
    if dtype == pl.Date:
        return pl.Series([str(value)]).str.to_date(strict=False)[0]
    if isinstance(dtype, pl.Datetime):
        return pl.Series([str(value)]).str.to_datetime(strict=False)[0]
    return value


def _allowed(vc: ValueConstraint) -> list[str]:
    return [str(v) for v in vc.allowed_values or []]


def _not_allowed(col: pl.Expr, allowed: list[str]) -> pl.Expr:
    """A present value outside the allowed ones (compared as text, as the contract lists them)."""
    return col.is_not_null() & ~col.cast(pl.String).is_in(allowed)


def _orderable(dtype: pl.DataType) -> bool:
    """Types a min/max bound applies to."""
    return dtype.is_numeric() or dtype == pl.Date or isinstance(dtype, pl.Datetime)


def _outside(col: pl.Expr, lo: Any, hi: Any) -> pl.Expr:
    """Below `lo` or above `hi` (a missing bound never trips)."""
    mask = pl.lit(False)
    if lo is not None:
        mask = mask | (col < lo)
    if hi is not None:
        mask = mask | (col > hi)
    return mask


class ContractEnforcer(Agent):
    id = "contract-enforcer"
    Params = ContractEnforcerParams

    def run(self, params: ContractEnforcerParams, ctx: RunContext) -> AgentResult:
        p = params
        file_c = load_contract_file(ctx.schema_path) if ctx.schema_path else None
        param_c = parse_contract(p.contract, "parameters") if p.contract else None
        contract = merge(file_c, param_c)
        source = "schema file + parameters" if file_c and param_c else "schema file" if file_c else "parameters"
        if contract.is_empty:  # nothing to enforce: skipped, so not charged, and the report says why
            reason = "no data contract: upload a schema file (JSON or YAML) or pass `contract` to enforce one"
            card = SummaryCard(title="Contract", value="none given", status="info", description=reason)
            return AgentResult(agent_id=self.id, status="skipped", summary={"contract_given": False,
                                                                            "skipped_reason": reason},
                               score=None, cards=[card],
                               data={"quality_status": "not_applicable", "violations": [], "transformations": []})
        for col, vc in contract.value_constraints.items():
            if vc.pattern:
                try:
                    re.compile(vc.pattern)
                except re.error as exc:
                    raise AgensiumError(ErrorCode.INVALID_SCHEMA_FILE,
                                        f"Invalid pattern for column '{col}': {exc}", {"column": col}) from exc
        return self._enforce(p, ctx, contract, source)

    def _enforce(self, p: ContractEnforcerParams, ctx: RunContext, contract: Contract, source: str) -> AgentResult:
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        cols = user_columns(schema)
        n = ctx.data.row_count
        violations: list[dict] = []
        transforms: list[dict] = []
        frames: list[pl.LazyFrame] = []

        def violation(category: str, vtype: str, severity: str, column: str | None, message: str,
                      action: str = "flagged", count: int | None = None) -> None:
            violations.append({"violation_id": f"v{len(violations) + 1}", "category": category, "type": vtype,
                               "severity": severity, "column": column, "message": message,
                               "action_taken": action, "count": count})

        # 1. renames
        renames: dict[str, str] = {}
        for old, new in contract.column_mappings.items():
            cur = resolve_column(ctx, old, cols)
            if cur and new not in cols and p.rename_columns and p.auto_transform:
                renames[cur] = new
        if renames:
            lf = lf.rename(renames)
            cols = [renames.get(c, c) for c in cols]
            transforms += [{"type": "rename", "column": new, "detail": f"{old} → {new}"} for old, new in renames.items()]
        present = set(cols)
        # 2. required / extra
        checks = 0
        for req in contract.required_columns:
            checks += 1
            if resolve_column(ctx, req, cols) is None:
                violation("structural", "missing_required_column", "critical", req,
                          f"Required column '{req}' is missing", "none")
        known = contract.known_columns()
        extra = [c for c in cols if c not in known and resolve_column(ctx, c, known) is None]
        for c in extra:
            dropped = p.drop_extra_columns and p.auto_transform
            violation("structural", "extra_column", "low", c, f"Column '{c}' is not in the contract",
                      "dropped" if dropped else "kept")
        if extra and p.drop_extra_columns and p.auto_transform:
            lf = lf.drop(extra)
            transforms += [{"type": "drop_column", "column": c, "detail": "not in contract"} for c in extra]
            cols = [c for c in cols if c not in extra]
        # 3. types
        schema = lf.collect_schema()
        type_exprs, fail_exprs = {}, {}
        for col_name, target in contract.column_types.items():
            checks += 1
            c = resolve_column(ctx, col_name, cols)
            if c is None or _matches_type(schema[c], target):
                continue
            ce = cast_expr(c, schema[c], target)
            orig_present = pl.col(c).is_not_null()
            if schema[c] == pl.String:
                orig_present = orig_present & (pl.col(c).str.strip_chars().str.len_chars() > 0)
            type_exprs[c] = (target, ce)
            fail_exprs[c] = orig_present & ce.is_null()
        fail_counts = lf.select([m.sum().alias(c) for c, m in fail_exprs.items()]).collect().row(0, named=True) \
            if fail_exprs else {}
        cast_now = []
        for c, (target, ce) in type_exprs.items():
            fails = int(fail_counts.get(c, 0))
            if fails:
                frames.append(issue_rows(lf, fail_exprs[c], c, "type_mismatch", "high",
                                         f"{c}: value is not a valid {target}"))
            apply = p.cast_types and p.auto_transform and (fails == 0 or p.allow_lossy_casts)
            if fails:
                violation("structural", "type_mismatch", "high", c,
                          f"{fails} value(s) of '{c}' are not valid {target}",
                          "cast (failures set to null)" if apply else "not cast (would lose values)", fails)
            if apply:
                cast_now.append(ce.alias(c))
                transforms.append({"type": "cast", "column": c, "detail": f"{schema[c]} → {target}",
                                   "values_lost": fails})
        if cast_now:
            lf = lf.with_columns(cast_now)
        schema = lf.collect_schema()
        # 4. values
        value_checks: list[tuple[str, str, str, str, pl.Expr]] = []  # (column, type, severity, message, mask)
        fixes: list[pl.Expr] = []
        if p.enforce_values:
            for col_name, vc in contract.value_constraints.items():
                c = resolve_column(ctx, col_name, cols)
                if c is None:
                    continue
                value_checks += self._value_checks(c, vc, schema[c])
                fixes += self._value_fixes(c, vc, schema[c], p)
            for group in contract.uniqueness_constraints:
                gcols = [resolve_column(ctx, g, cols) for g in group]
                if any(g is None for g in gcols):
                    continue
                checks += 1
                key = pl.struct(gcols) if len(gcols) > 1 else pl.col(gcols[0])
                notnull = pl.all_horizontal([pl.col(g).is_not_null() for g in gcols])
                value_checks.append((", ".join(gcols), "duplicate_value", "high",
                                     f"({', '.join(gcols)}) must be unique", notnull & key.is_duplicated()))
        checks += len({c for c, *_ in value_checks})
        counts = lf.select([m.sum().alias(str(i)) for i, (*_, m) in enumerate(value_checks)]).collect().row(0) \
            if value_checks else ()
        value_violations = 0
        for (c, vtype, sev, msg, mask), cnt in zip(value_checks, counts, strict=True):
            if not cnt:
                continue
            value_violations += int(cnt)
            violation("value", vtype, sev, c, f"{cnt} row(s): {msg}", "flagged", int(cnt))
            col_for_value = c if c in present or c in schema.names() else None
            frames.append(issue_rows(lf, mask, col_for_value, vtype, sev, f"{c}: {msg}"))
        if fixes and p.auto_transform:
            fix_counts = self._count_fixes(lf, fixes)
            lf = lf.with_columns(fixes)
            for c, k in fix_counts.items():
                if k:
                    transforms.append({"type": "value_fix", "column": c, "detail": f"{k} value(s) replaced"})
                    for v in violations:
                        if v["column"] == c and v["category"] == "value" and v["type"] in ("invalid_value",
                                                                                          "out_of_range"):
                            v["action_taken"] = "fixed"
        # 5. scores
        structural_v = sum(1 for v in violations if v["category"] == "structural" and v["type"] != "extra_column")
        structural = 100.0 * max(0, checks - structural_v) / checks if checks else 100.0
        constrained = len({c for c, *_ in value_checks})
        cells = n * constrained
        value = 100.0 * max(0, cells - value_violations) / cells if cells else 100.0
        fixed = sum(1 for v in violations if v["action_taken"] not in ("flagged", "none", "kept",
                                                                       "not cast (would lose values)"))
        transformation = 100.0 * fixed / len(violations) if violations else 100.0
        wsum = (p.structural_weight + p.value_weight + p.transformation_weight) or 1.0
        score = round((p.structural_weight * structural + p.value_weight * value
                       + p.transformation_weight * transformation) / wsum, 2)
        status = ("compliant" if score >= p.excellent_threshold else "partially_compliant"
                  if score >= p.good_threshold else "non_compliant")
        serious = [v for v in violations if v["type"] != "extra_column"]
        if p.strict_mode and serious:
            raise AgensiumError(ErrorCode.CONTRACT_VIOLATION,
                                f"Strict contract mode: {len(serious)} violation(s), first: {serious[0]['message']}",
                                {"violations": serious[:20]})
        alerts, issues, recs = self._findings(violations)
        by_type: dict[str, int] = {}
        for v in violations:
            by_type[v["type"]] = by_type.get(v["type"], 0) + (v["count"] or 1)
        summary = {"contract_source": source, "total_rows": n, "checks": checks, "violations": len(violations),
                   "structural_violations": structural_v, "value_violations": value_violations,
                   "transformations": len(transforms), "columns_renamed": len(renames),
                   "extra_columns": len(extra), "compliance_score": score}
        data = {"compliance_score": score, "quality_status": status,
                "structural_compliance": round(structural, 2), "value_compliance": round(value, 2),
                "transformation_success": round(transformation, 2), "violations": violations[:500],
                "transformations": transforms, "contract": contract.model_dump(mode="json"),
                "tables": [table("Violations", ["type", "severity", "column", "count", "action", "message"],
                                 ([v["type"], v["severity"], v["column"], v["count"], v["action_taken"],
                                   v["message"]] for v in violations)),
                           table("Transformations", ["type", "column", "detail"],
                                 ([t["type"], t["column"], t["detail"]] for t in transforms))],
                "charts": [bar_chart("Violations by type", list(by_type), list(by_type.values()))] if by_type
                else []}
        card = SummaryCard(title="Contract compliance", value=f"{score:.1f}%",
                           status=status_of(score, p.excellent_threshold, p.good_threshold),  # type: ignore[arg-type]
                           description=f"{len(violations)} violation(s), {len(transforms)} transformation(s)")
        changed = bool(renames or cast_now or (fixes and p.auto_transform) or
                       (extra and p.drop_extra_columns and p.auto_transform))
        return AgentResult(agent_id=self.id, summary=summary, data=data, score=score, alerts=alerts, issues=issues,
                           recommendations=recs, cards=[card], row_issues=row_issues(frames),
                           data_out=lf if changed else None)

    @staticmethod
    def _value_checks(c: str, vc: ValueConstraint, dtype: pl.DataType) -> list[tuple[str, str, str, str, pl.Expr]]:
        out = []
        col = pl.col(c)
        if not vc.nullable:
            out.append((c, "missing_value", "high", "value is required", col.is_null()))
        if vc.allowed_values is not None:
            allowed = _allowed(vc)
            out.append((c, "invalid_value", "medium", f"value not in allowed values {allowed[:10]}",
                        _not_allowed(col, allowed)))
        lo, hi = _bound(vc.min_value, dtype), _bound(vc.max_value, dtype)
        if (lo is not None or hi is not None) and _orderable(dtype):
            out.append((c, "out_of_range", "medium", f"value outside [{vc.min_value}, {vc.max_value}]",
                        col.is_not_null() & _outside(col, lo, hi)))
        if vc.pattern:
            name = vc.pattern_name or "the pattern"
            out.append((c, "format_violation", "medium", f"value does not match {name}",
                        col.is_not_null() & ~col.cast(pl.String).str.contains(f"^(?:{vc.pattern})$")))
        return out

    @staticmethod
    def _value_fixes(c: str, vc: ValueConstraint, dtype: pl.DataType, p: ContractEnforcerParams) -> list[pl.Expr]:
        col = pl.col(c)
        expr = col
        touched = False
        if vc.allowed_values is not None and p.default_value_strategy != "keep":
            bad = _not_allowed(col, _allowed(vc))
            repl = pl.lit(vc.default_value).cast(dtype, strict=False) if (
                p.default_value_strategy == "default" and vc.default_value is not None) else pl.lit(None, dtype)
            expr = pl.when(bad).then(repl).otherwise(expr)
            touched = True
        lo, hi = _bound(vc.min_value, dtype), _bound(vc.max_value, dtype)
        if vc.cap_strategy != "flag" and _orderable(dtype):
            if vc.cap_strategy == "cap":
                expr = expr.clip(lo, hi)
            else:
                expr = pl.when(_outside(col, lo, hi)).then(None).otherwise(expr)
            touched = True
        return [expr.alias(c)] if touched else []

    @staticmethod
    def _count_fixes(lf: pl.LazyFrame, fixes: list[pl.Expr]) -> dict[str, int]:
        names = [f.meta.output_name() for f in fixes]
        exprs = [(~(f.eq_missing(pl.col(n)))).sum().alias(n) for f, n in zip(fixes, names, strict=True)]
        return {k: int(v) for k, v in lf.select(exprs).collect().row(0, named=True).items()}

    @staticmethod
    def _findings(violations: list[dict]) -> tuple[list[Alert], list[Issue], list[Recommendation]]:
        alerts, issues, recs = [], [], []
        missing = [v["column"] for v in violations if v["type"] == "missing_required_column"]
        if missing:
            alerts.append(Alert(severity="critical", category="contract",
                                message=f"{len(missing)} required column(s) missing: {', '.join(missing)}",
                                affected_fields=missing, recommendation="Fix the source extract or the mapping"))
        for v in violations:
            issues.append(Issue(field=v["column"], issue_type=v["type"], severity=v["severity"],  # type: ignore[arg-type]
                                message=v["message"], count=v["count"], extras={"action": v["action_taken"]}))
        if any(v["action_taken"] == "not cast (would lose values)" for v in violations):
            recs.append(Recommendation(field=None, priority="medium",
                                       recommendation="Fix or quarantine values that do not fit the contract type, "
                                                      "or set allow_lossy_casts"))
        return alerts, issues, recs



