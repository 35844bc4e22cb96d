"""cleanse-writeback: verify the final data against what every upstream agent said it did.

Checks (each reported pass/fail with its numbers): every original row is accounted for exactly once
(cleaned + quarantined + removed duplicates == original rows, by ROW_ID); columns added or dropped
only where a manifest says so; converted columns still have their new type; no NaN/inf in numeric
columns; no new nulls beyond those the manifests explain; remaining exact duplicates (informative).
The manifest lists each upstream agent's own manifest and audit totals.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import Field

from agensium.engine.agent import ROW_ID, Agent, AgentParams, AgentResult, Alert, RunContext
from agensium.engine.clean import ledger
from agensium.engine.clean.common import card, duplicate_candidates, null_counts, user_columns
from agensium.engine.clean.duplicate_resolver import EXACT_DUPLICATES_KEY

KIND_CHECK = {
    "integer": lambda t: t.is_integer(),
    "float": lambda t: t.is_float(),
    "boolean": lambda t: t == pl.Boolean,
    "date": lambda t: t == pl.Date,
    "datetime": lambda t: isinstance(t, pl.Datetime),
}


class CleanseWritebackParams(AgentParams):
    verify_data_retention: bool = Field(
        default=True,
        description="Every original row is cleaned, quarantined or a removed duplicate, exactly once",
    )
    verify_columns: bool = Field(default=True, description="Columns changed only as the manifests say")
    verify_types: bool = Field(default=True, description="Converted columns kept their new type")
    verify_numeric_finite: bool = Field(
        default=True, description="No NaN or infinite values in numeric columns"
    )
    verify_no_new_nulls: bool = Field(default=True, description="No nulls beyond those the manifests explain")
    verify_no_duplicates: bool = Field(default=True, description="Report remaining exact duplicate rows")
    include_manifest: bool = Field(default=True, description="Include the per-agent transformation manifest")


class CleanseWriteback(Agent):
    id = "cleanse-writeback"
    Params = CleanseWritebackParams

    def run(self, params: CleanseWritebackParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        final = ctx.data.lazy()
        fschema = final.collect_schema()
        orig = ctx.original.lazy()
        oschema = orig.collect_schema()
        manifests = {
            a: r.data["manifest"]
            for a, r in ctx.results.items()
            if r.status == "success" and isinstance(r.data.get("manifest"), dict)
        }
        checks: list[dict[str, Any]] = []

        if params.verify_data_retention:
            q, rm = ledger.quarantined(ctx), ledger.removed(ctx)
            ids = pl.concat(
                [
                    final.select(pl.col(ROW_ID).cast(pl.Int64)),
                    q.lazy().select(ROW_ID),
                    rm.lazy().select(ROW_ID),
                ]
            )
            n, distinct, lo, hi = (
                ids.select(
                    pl.len().alias("n"),
                    pl.col(ROW_ID).n_unique().alias("u"),
                    pl.col(ROW_ID).min().alias("lo"),
                    pl.col(ROW_ID).max().alias("hi"),
                )
                .collect(engine="streaming")
                .row(0)
            )
            original = ctx.original.row_count
            ok = (
                n == original and distinct == original and (original == 0 or (lo == 0 and hi == original - 1))
            )
            checks.append(
                {
                    "check": "data_retention",
                    "passed": ok,
                    "detail": {
                        "original_rows": original,
                        "cleaned_rows": ctx.data.row_count,
                        "quarantined_rows": q.height,
                        "removed_duplicates": rm.height,
                        "accounted": n,
                        "distinct_row_ids": distinct,
                    },
                }
            )
        fcols, ocols = user_columns(fschema), user_columns(oschema)
        ctx.progress(0.3)
        ctx.check_cancelled()
        if params.verify_columns:
            added = {c for m in manifests.values() for c in m.get("columns_added", [])}
            dropped = {c for m in manifests.values() for c in m.get("columns_dropped", [])}
            unexplained_new = [c for c in fcols if c not in ocols and c not in added]
            unexplained_gone = [c for c in ocols if c not in fcols and c not in dropped]
            checks.append(
                {
                    "check": "columns",
                    "passed": not unexplained_new and not unexplained_gone,
                    "detail": {
                        "added": sorted(added & set(fcols)),
                        "dropped": sorted(dropped),
                        "unexplained_new": unexplained_new,
                        "unexplained_missing": unexplained_gone,
                    },
                }
            )
        if params.verify_types:
            wanted = {c: k for m in manifests.values() for c, k in m.get("type_changes", {}).items()}
            wrong = {
                c: str(fschema[c])
                for c, k in wanted.items()
                if c in fschema and k in KIND_CHECK and not KIND_CHECK[k](fschema[c])
            }
            checks.append(
                {
                    "check": "types",
                    "passed": not wrong,
                    "detail": {
                        "converted_columns": wanted,
                        "wrong_type": wrong,
                        "final_types": {c: str(fschema[c]) for c in fcols},
                    },
                }
            )
        floats = [c for c in fcols if fschema[c].is_float()]
        if params.verify_numeric_finite:
            bad: dict[str, int] = {}
            if floats:
                row = (
                    final.select([(~pl.col(c).is_finite()).sum().alias(c) for c in floats])
                    .collect(engine="streaming")
                    .row(0)
                )
                bad = {c: int(v) for c, v in zip(floats, row, strict=True) if v}
            checks.append({"check": "numeric_finite", "passed": not bad, "detail": {"non_finite": bad}})
        if params.verify_no_new_nulls:
            common = [c for c in fcols if c in ocols]
            explained: dict[str, int] = {}
            for m in manifests.values():
                for c, k in m.get("nulls_introduced", {}).items():
                    explained[c] = explained.get(c, 0) + int(k)
            new: dict[str, int] = {}
            if common:
                # Net new nulls per column: nulls now, minus the nulls the surviving rows had originally
                # (original nulls, less those in rows that left through quarantine or de-duplication).
                gone = pl.concat([ledger.quarantined(ctx).select(ROW_ID), ledger.removed(ctx).select(ROW_ID)])
                gone_q = orig.join(gone.lazy(), on=ROW_ID, how="semi").select(
                    [pl.col(c).null_count().alias(c) for c in common]
                )
                now_d, was_d = null_counts(ctx.data, common), null_counts(ctx.original, common)
                if now_d is None or was_d is None:  # no footer statistics: count from the data
                    now_d, was_d = (
                        {c: v for c, v in zip(common, f.row(0), strict=True)}
                        for f in pl.collect_all(
                            [
                                final.select([pl.col(c).null_count().alias(c) for c in common]),
                                orig.select([pl.col(c).null_count().alias(c) for c in common]),
                            ],
                            engine="streaming",
                        )
                    )
                now, was = [now_d[c] for c in common], [was_d[c] for c in common]
                left = gone_q.collect(engine="streaming").row(0) if gone.height else [0] * len(common)
                new = {
                    c: int(a - (b - g))
                    for c, a, b, g in zip(common, now, was, left, strict=True)
                    if a - (b - g) > 0
                }
            unexplained = {c: n - explained.get(c, 0) for c, n in new.items() if n > explained.get(c, 0)}
            checks.append(
                {
                    "check": "no_new_nulls",
                    "passed": not unexplained,
                    "detail": {
                        "net_new_nulls": new,
                        "explained_by_manifests": explained,
                        "unexplained": unexplained,
                    },
                }
            )
        if params.verify_no_duplicates and fcols:
            known = ctx.state.get(EXACT_DUPLICATES_KEY) or {}
            if known.get("path") == str(ctx.data.path):  # duplicate-resolver counted this very file
                dups, source = known["exact_duplicate_rows"], "duplicate-resolver (same data file)"
            else:
                cand_ids = duplicate_candidates(final, [pl.col(c) for c in fcols])
                cand = final.join(cand_ids, on=ROW_ID, how="semi").select(fcols).collect(engine="streaming")
                dups = cand.select((~pl.struct(fcols).is_first_distinct()).sum()).item() if cand.height else 0
                source = "counted on the final data"
            checks.append(
                {
                    "check": "no_duplicates",
                    "passed": dups == 0,
                    "informative": True,
                    "detail": {"exact_duplicate_rows": int(dups), "source": source},
                }
            )

        strict = [c for c in checks if not c.get("informative")]
        passed = sum(1 for c in strict if c["passed"])
        result.score = round(100.0 * passed / len(strict), 2) if strict else None
        ready = passed == len(strict)
        result.summary = {
            "total_rows_verified": ctx.data.row_count,
            "total_columns_verified": len(fcols),
            "integrity_checks_passed": passed,
            "integrity_checks_failed": len(strict) - passed,
            "agents_in_manifest": len(manifests),
            "data_ready_for_pipeline": ready,
        }
        result.data = {
            "checks": checks,
            "original_state": {"rows": ctx.original.row_count, "columns": ocols},
            "final_state": {
                "rows": ctx.data.row_count,
                "columns": fcols,
                "dtypes": {c: str(fschema[c]) for c in fcols},
            },
            "tables": [
                {
                    "title": "Integrity checks",
                    "columns": ["check", "result"],
                    "rows": [
                        [c["check"], "pass" if c["passed"] else ("warn" if c.get("informative") else "FAIL")]
                        for c in checks
                    ],
                }
            ],
        }
        if params.include_manifest:
            result.data["manifest"] = {
                "version": "2.0",
                "type": "cleansing_manifest",
                "source_file": ctx.original.name,
                "transformation_pipeline": [
                    {
                        "agent_id": a,
                        "status": r.status,
                        "manifest": r.data.get("manifest"),
                        "changed_cells": r.data.get("audit", {}).get("total_changed_cells", 0),
                        "changed_cells_by_column": r.data.get("audit", {}).get("changed_cells_by_column", {}),
                    }
                    for a, r in ctx.results.items()
                ],
            }
        for c in checks:
            if not c["passed"] and not c.get("informative"):
                result.alerts.append(
                    Alert(
                        severity="critical" if c["check"] == "data_retention" else "high",
                        category="integrity",
                        message=f"Integrity check '{c['check']}' failed",
                        recommendation=str(c["detail"])[:300],
                    )
                )
        result.cards.append(
            card(
                "Writeback verification",
                f"{passed}/{len(strict)} checks passed",
                result.score,
                "Data ready" if ready else "Review the failed checks",
            )
        )
        return result
