"""The versioned JSON report: built once from the agents' results, written in every format.

Shape (REPORT_VERSION): metadata, executive_summary, alerts, issues, recommendations, issue_summary,
row_level_issues (a fair sample; the full list is an output file), agent_results.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from agensium.engine.agent import SEVERITIES, AgentResult, SummaryCard

REPORT_VERSION = "2.0"
ROW_ISSUE_SAMPLE = 1000


def fair_sample(row_issues: pl.DataFrame, limit: int = ROW_ISSUE_SAMPLE) -> pl.DataFrame:
    """Up to `limit` issues spread evenly over (agent, issue type), each group in row order.

    So one noisy agent or issue type cannot crowd the others out of the report.
    """
    if row_issues.height <= limit:
        return row_issues.sort(["row_index", "agent_id"], maintain_order=True)
    groups = row_issues.select(["agent_id", "issue_type"]).unique().height
    per_group = max(1, limit // max(groups, 1))
    sample = (
        row_issues.with_columns(pl.int_range(pl.len()).over(["agent_id", "issue_type"]).alias("_rank"))
        .filter(pl.col("_rank") < per_group)
        .drop("_rank")
    )
    return sample.head(limit).sort(["row_index", "agent_id"], maintain_order=True)


def issue_summary(row_issues: pl.DataFrame) -> dict[str, Any]:
    """Counts over the full list of row issues (before any sampling)."""
    if row_issues.height == 0:
        return {"total_issues": 0, "by_type": {}, "by_severity": dict.fromkeys(SEVERITIES, 0),
                "by_agent": {}, "affected_rows": 0, "affected_columns": []}
    def counts(col: str) -> dict[str, int]:
        vc = row_issues.group_by(col).len().sort(col)
        return {str(k): int(v) for k, v in zip(vc[col].to_list(), vc["len"].to_list(), strict=True)}

    by_sev = dict.fromkeys(SEVERITIES, 0)
    by_sev.update(counts("severity"))
    cols = row_issues.get_column("column").drop_nulls().unique().sort().to_list()
    return {
        "total_issues": row_issues.height,
        "by_type": counts("issue_type"),
        "by_severity": by_sev,
        "by_agent": counts("agent_id"),
        "affected_rows": row_issues.get_column("row_index").drop_nulls().n_unique(),
        "affected_columns": cols,
    }


def _with_ids(items: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{f"{prefix}_id": f"{prefix}_{i + 1}", **it} for i, it in enumerate(items)]


def input_alerts(inputs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """What the reader had to decide about a file, said where the user looks first: rows skipped above the
    header, and column names it had to make up (an empty or repeated header cell)."""
    out: list[dict[str, Any]] = []
    for role, meta in inputs.items():
        notes = meta.get("read_notes") or {}
        name = meta.get("name", role)
        if notes.get("skipped_preamble_rows"):
            text = "; ".join(notes.get("preamble") or [])
            out.append({"agent_id": "reader", "severity": "low", "category": "input",
                        "message": f"{name}: the header is row {notes.get('header_row')}; {notes['skipped_preamble_rows']} "
                                   f"title, note or blank row(s) above it were skipped" + (f" ({text})" if text else ""),
                        "affected_fields": [], "recommendation": "Set input.header_row if another row holds the "
                                                                  "column names."})
        renamed = notes.get("renamed_columns") or {}
        if renamed:
            out.append({"agent_id": "reader", "severity": "medium", "category": "input",
                        "message": f"{name}: {len(renamed)} column name(s) were empty or repeated and were named "
                                   f"{', '.join(repr(v) for v in list(renamed.values())[:8])}",
                        "affected_fields": list(renamed.values()),
                        "recommendation": "Give every column a unique name in the source."})
    return out


def build_report(
    *,
    tool_id: str,
    tool_name: str,
    agents: list[str],
    results: list[AgentResult],
    row_issues: pl.DataFrame,
    started_at: datetime,
    finished_at: datetime,
    inputs: dict[str, dict[str, Any]],
    status: str,
    task_id: str | None = None,
    outputs: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    ok = [r for r in results if r.status == "success"]
    alerts, issues, recs, cards = input_alerts(inputs), [], [], []
    alerts += [{"agent_id": r.agent_id, "severity": "info", "category": "skipped", "affected_fields": [],
                "message": f"{r.agent_id} had nothing to do and was skipped (not charged): {r.summary['skipped_reason']}",
                "recommendation": None}
               for r in results if r.status == "skipped" and r.summary.get("skipped_reason")]
    for r in ok:
        alerts += [{"agent_id": r.agent_id, **a.model_dump()} for a in r.alerts]
        issues += [{"agent_id": r.agent_id, **i.model_dump()} for i in r.issues]
        recs += [{"agent_id": r.agent_id, **x.model_dump()} for x in r.recommendations]
        cards += [{"agent_id": r.agent_id, **c.model_dump()} for c in r.cards]
    elapsed = (finished_at - started_at).total_seconds()
    fixed = [
        SummaryCard(title="Agents completed", value=f"{len(ok)}/{len(agents)}",
                    status="good" if len(ok) == len(agents) else ("warning" if ok else "critical")),
        SummaryCard(title="Execution time", value=f"{elapsed:.2f}s", status="info"),
        SummaryCard(title="Alerts", value=str(len(alerts)),
                    status="good" if not alerts else ("critical" if any(a["severity"] == "critical" for a in alerts)
                                                      else "warning")),
        SummaryCard(title="Row-level issues", value=str(row_issues.height),
                    status="good" if row_issues.height == 0 else "warning"),
    ]
    sev_counts = {s: sum(1 for a in alerts if a["severity"] == s) for s in SEVERITIES}
    sample = fair_sample(row_issues)
    return {
        "report_version": REPORT_VERSION,
        "metadata": {
            "task_id": task_id,
            "tool_id": tool_id,
            "tool_name": tool_name,
            "status": status,
            "agents_requested": agents,
            "agents_completed": [r.agent_id for r in ok],
            "started_at": started_at.astimezone(UTC).isoformat(),
            "finished_at": finished_at.astimezone(UTC).isoformat(),
            "execution_time_ms": int(elapsed * 1000),
            "timings_ms": {r.agent_id: r.duration_ms for r in results},
            "inputs": inputs,
            "outputs": outputs or [],
        },
        "executive_summary": [c.model_dump() for c in fixed] + cards,
        "summary": {
            "total_alerts": len(alerts),
            "total_issues": len(issues),
            "total_recommendations": len(recs),
            "alerts_by_severity": sev_counts,
        },
        "alerts": _with_ids(alerts, "alert"),
        "issues": _with_ids(issues, "issue"),
        "recommendations": _with_ids(recs, "recommendation"),
        "issue_summary": issue_summary(row_issues),
        "row_level_issues": sample.to_dicts(),
        "row_level_issues_sampled": sample.height < row_issues.height,
        "agent_results": {
            r.agent_id: {
                "status": r.status,
                "execution_time_ms": r.duration_ms,
                "score": r.score,
                "summary": r.summary,
                "parameters": r.parameters,
                "error": r.error.model_dump() if r.error else None,
                "data": r.data,
                "outputs": [o.name for o in r.outputs],
            }
            for r in results
        },
    }
