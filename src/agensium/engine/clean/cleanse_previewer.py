"""cleanse-previewer: what the configured cleaning would do, without changing the data.

The rules are the validated parameters of the data-changing agents selected after this one (the
pipeline's `ctx.state["agents"]` / `ctx.state["parameters"]`), run in pipeline order with their own
code on a copy of the data (or its first `sample_rows` rows, stated in the report); or, when given,
explicit `preview_rules`, each simulated on its own. Per rule: rows and columns before and after,
changed cells, and per-column deltas of nulls, distinct values and mean.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal, get_args

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agensium.engine.agent import (
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Dataset,
    Recommendation,
    RunContext,
)
from agensium.engine.clean.common import card, pct, user_columns
from agensium.errors import AgensiumError, ErrorCode

DataAgent = Literal[
    "quarantine-agent",
    "type-fixer",
    "field-standardization",
    "duplicate-resolver",
    "null-handler",
    "outlier-remover",
]
"""The clean agents that change data (the only ones worth previewing)."""
DATA_AGENTS: tuple[str, ...] = get_args(DataAgent)


class PreviewRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent: DataAgent = Field(description="The agent whose step to simulate")
    parameters: dict[str, Any] = Field(default={}, description="That agent's parameters")


class CleansePreviewerParams(AgentParams):
    preview_rules: list[PreviewRule] = Field(
        default=[],
        description="Explicit what-if rules, each simulated on its own; empty = preview the selected "
        "downstream agents with their configured parameters",
    )
    sample_rows: int = Field(default=20_000, ge=0, description="Simulate on the first N rows (0 = all rows)")
    impact_threshold_high: float = Field(
        default=10.0, ge=0, le=100, description="% rows changed for high impact"
    )
    impact_threshold_medium: float = Field(
        default=5.0, ge=0, le=100, description="% rows changed for medium impact"
    )


def _profile(ds: Dataset) -> dict[str, Any]:
    lf = ds.lazy()
    schema = lf.collect_schema()
    cols = user_columns(schema)
    exprs: list[pl.Expr] = [pl.len().alias("__rows")]
    for c in cols:
        exprs += [pl.col(c).null_count().alias(f"n:{c}"), pl.col(c).n_unique().alias(f"u:{c}")]
        if schema[c].is_numeric():
            exprs.append(pl.col(c).cast(pl.Float64).mean().alias(f"m:{c}"))
    row = lf.select(exprs).collect(engine="streaming").row(0, named=True)
    return {
        "rows": row["__rows"],
        "columns": cols,
        "dtypes": {c: str(schema[c]) for c in cols},
        "per_column": {
            c: {"nulls": row[f"n:{c}"], "distinct": row[f"u:{c}"], "mean": row.get(f"m:{c}")} for c in cols
        },
    }


def _compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    cols = {}
    for c, a in after["per_column"].items():
        b = before["per_column"].get(c)
        if b is None:
            cols[c] = {"added": True}
            continue
        d = {"nulls": a["nulls"] - b["nulls"], "distinct": a["distinct"] - b["distinct"]}
        if a["mean"] is not None and b["mean"] is not None:
            d["mean_change"] = a["mean"] - b["mean"]
            d["mean_change_pct"] = pct(a["mean"] - b["mean"], abs(b["mean"])) if b["mean"] else None
        if before["dtypes"][c] != after["dtypes"][c]:
            d["type"] = f"{before['dtypes'][c]} -> {after['dtypes'][c]}"
        if any(v for k, v in d.items() if k != "mean_change_pct"):
            cols[c] = d
    return {
        "row_change": after["rows"] - before["rows"],
        "row_change_percentage": pct(after["rows"] - before["rows"], before["rows"]),
        "columns_added": [c for c in after["columns"] if c not in before["columns"]],
        "columns_dropped": [c for c in before["columns"] if c not in after["columns"]],
        "column_changes": cols,
    }


def _sandbox(ctx: RunContext, work: Path, base: Dataset) -> RunContext:
    """A fresh context for simulating rules on `base`: own work dir and state, the run's cancellation."""
    return RunContext(
        tool_id=ctx.tool_id,
        work_dir=work,
        data=base,
        original=base,
        is_cancelled=ctx.is_cancelled,
        state={},
    )


class CleansePreviewer(Agent):
    id = "cleanse-previewer"
    Params = CleansePreviewerParams

    def _rules(
        self, params: CleansePreviewerParams, ctx: RunContext
    ) -> tuple[list[tuple[str, str, Any]], bool]:
        from agensium.engine.registry import get_tool, params_model

        tool = get_tool("clean-my-data")
        if params.preview_rules:
            rules = []
            for i, r in enumerate(params.preview_rules):
                spec = tool.agent(r.agent)
                assert spec is not None
                try:
                    rules.append((f"rule_{i + 1}", r.agent, params_model(spec).model_validate(r.parameters)))
                except ValidationError as exc:
                    raise AgensiumError(
                        ErrorCode.INVALID_PARAMETERS,
                        f"{self.id}: preview_rules[{i}] ({r.agent}): "
                        f"{exc.errors(include_url=False)[0]['msg']}",
                        {"rule": i},
                    ) from exc
            return rules, False
        selected = ctx.state.get("agents", [])
        configured = ctx.state.get("parameters", {})
        rules = [(a, a, configured[a]) for a in selected if a in DATA_AGENTS and a in configured]
        return rules, True

    def run(self, params: CleansePreviewerParams, ctx: RunContext) -> AgentResult:
        from agensium.engine.registry import get_tool, load_agent_class

        result = AgentResult(agent_id=self.id)
        rules, cumulative = self._rules(params, ctx)
        total = ctx.data.row_count
        if not rules:
            result.summary = {
                "total_rows_analyzed": total,
                "total_rules_previewed": 0,
                "status": "no rules configured",
            }
            result.data = {"status": "no rules configured", "simulated_results": []}
            result.cards.append(
                card(
                    "Cleanse preview",
                    "No rules configured",
                    None,
                    "Select cleaning agents or give preview_rules to preview their effect",
                )
            )
            return result
        tool = get_tool("clean-my-data")
        work = ctx.work_dir / "preview"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            base = work / "base.parquet"
            lf = ctx.data.lazy()
            sampled = bool(params.sample_rows and total > params.sample_rows)
            (lf.head(params.sample_rows) if sampled else lf).sink_parquet(base)
            base_ds = Dataset(path=base, name=ctx.data.name)
            sub = _sandbox(ctx, work, base_ds)
            first = _profile(base_ds)
            after = first
            simulated = []
            for i, (rule_id, agent_id, agent_params) in enumerate(rules):
                ctx.check_cancelled()
                if not cumulative:
                    sub = _sandbox(ctx, work, base_ds)
                sub.agent_dir = work / f"agent-{i}"
                before = after if cumulative and i else first
                entry: dict[str, Any] = {
                    "rule_id": rule_id,
                    "agent_id": agent_id,
                    "parameters": agent_params.model_dump(mode="json"),
                }
                try:
                    spec = tool.agent(agent_id)
                    assert spec is not None
                    cls = load_agent_class(spec)
                    if cls is None:
                        raise AgensiumError(ErrorCode.AGENT_ERROR, f"{agent_id} is not available")
                    res = cls().run(agent_params, sub)
                    sub.results[agent_id] = res
                    if res.data_out is not None:
                        path = work / f"step-{i}.parquet"
                        out = res.data_out
                        (out.write_parquet(path) if isinstance(out, pl.DataFrame) else out.sink_parquet(path))
                        sub.data = Dataset(path=path, name=ctx.data.name)
                    after = _profile(sub.data)
                    entry.update(
                        changes=_compare(before, after),
                        summary=res.summary,
                        changed_cells=res.data.get("audit", {}).get("total_changed_cells", 0),
                        rows_quarantined=res.data.get("manifest", {}).get("rows_quarantined", 0),
                        status="simulated",
                    )
                except AgensiumError as exc:
                    entry.update(status="failed", error=exc.message)
                    after = before
                simulated.append(entry)
                ctx.progress((i + 1) / len(rules))
            last = after if cumulative and rules else None
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self._report(result, params, simulated, first, last, sampled, total, cumulative)
        return result

    def _report(
        self,
        result: AgentResult,
        p: CleansePreviewerParams,
        simulated: list[dict[str, Any]],
        first: dict[str, Any],
        last: dict[str, Any] | None,
        sampled: bool,
        total: int,
        cumulative: bool,
    ) -> None:
        high = medium = low = 0
        failed = 0
        for e in simulated:
            if e["status"] != "simulated":
                failed += 1
                e["impact_level"] = "unknown"
                continue
            ch = e["changes"]
            rows = abs(ch["row_change_percentage"])
            cells = pct(e["changed_cells"], max(first["rows"], 1) * max(len(first["columns"]), 1))
            risky = rows > 20 or bool(ch["columns_dropped"])
            level = (
                "high"
                if rows >= p.impact_threshold_high
                or ch["columns_dropped"]
                or cells >= p.impact_threshold_high
                else "medium"
                if rows >= p.impact_threshold_medium or cells >= p.impact_threshold_medium
                else "low"
            )
            e["impact_level"], e["risky"] = level, risky
            high += level == "high"
            medium += level == "medium"
            low += level == "low"
        safe = not any(e.get("risky") and e["impact_level"] == "high" for e in simulated) and failed == 0
        n = len(simulated)
        # share of rules that simulated cleanly and are not risky (lose > 20% rows or drop columns)
        ok = sum(1 for e in simulated if e["status"] == "simulated" and not e.get("risky"))
        result.score = round(100.0 * ok / n, 2) if n else None
        result.summary = {
            "total_rows_analyzed": first["rows"],
            "rows_in_data": total,
            "sampled": sampled,
            "total_rules_previewed": n,
            "high_impact_rules": high,
            "medium_impact_rules": medium,
            "low_impact_rules": low,
            "failed_simulations": failed,
            "safe_to_execute": safe,
        }
        result.data = {
            "mode": "pipeline (cumulative, in pipeline order)" if cumulative else "independent what-if rules",
            "sample": f"first {first['rows']} of {total} rows" if sampled else "all rows",
            "original_profile": first,
            "final_profile": last,
            "simulated_results": simulated,
            "execution_safety": "SAFE" if safe else "CAUTION",
            "tables": [
                {
                    "title": "Simulated rules",
                    "columns": [
                        "rule",
                        "agent",
                        "impact",
                        "row_change",
                        "changed_cells",
                        "rows_quarantined",
                        "columns_added",
                        "columns_dropped",
                    ],
                    "rows": [
                        [
                            e["rule_id"],
                            e["agent_id"],
                            e["impact_level"],
                            e.get("changes", {}).get("row_change"),
                            e.get("changed_cells"),
                            e.get("rows_quarantined"),
                            len(e.get("changes", {}).get("columns_added", [])),
                            len(e.get("changes", {}).get("columns_dropped", [])),
                        ]
                        for e in simulated
                    ],
                }
            ],
        }
        for e in simulated:
            if e["status"] != "simulated":
                result.alerts.append(
                    Alert(
                        severity="high",
                        category="simulation_failed",
                        message=f"{e['rule_id']} could not be simulated: {e.get('error')}",
                    )
                )
            elif e.get("risky"):
                result.alerts.append(
                    Alert(
                        severity="high" if e["impact_level"] == "high" else "medium",
                        category="risky_rule",
                        message=f"{e['rule_id']} removes {-e['changes']['row_change']} rows or drops columns",
                        recommendation="Check the rule's parameters before running it",
                    )
                )
        if sampled:
            result.recommendations.append(
                Recommendation(
                    field=None,
                    priority="info",
                    recommendation=f"Preview ran on the first {first['rows']} rows",
                    rationale="Set sample_rows=0 to simulate on every row",
                )
            )
        result.cards.append(
            card(
                "Cleanse preview",
                f"{n} rule(s)",
                result.score,
                f"{high} high, {medium} medium, {low} low impact; "
                f"{'safe' if safe else 'review before running'}",
            )
        )
