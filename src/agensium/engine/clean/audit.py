"""The audit of a data-changing agent: changed cells per column and rule, with before/after samples.

Counts are computed in one vectorised pass: each change is a pair of expressions (value before the
rule, value after it) compared as text with `ne_missing`, so a null that became a value, or a value
that became null, counts as a change too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from agensium.engine.agent import ROW_ID

SAMPLE_PER_RULE = 20
PER_RULE_QUERIES = 16


@dataclass
class Change:
    column: str
    rule: str
    before: pl.Expr
    after: pl.Expr


def _as_text(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.String)


def measure(lf: pl.LazyFrame, changes: list[Change], sample: int = SAMPLE_PER_RULE) -> list[dict[str, Any]]:
    """Changed-cell count and up to `sample` before/after examples (with ROW_ID) for every change."""
    if not changes:
        return []
    # Materialise every before/after once as text columns, then compare plain columns: keeps the plan
    # small when hundreds of columns change (no duplicated expression trees).
    staged = lf.with_columns(
        [
            e
            for i, ch in enumerate(changes)
            for e in (
                _as_text(ch.before).alias(f"__agensium_b{i}"),
                _as_text(ch.after).alias(f"__agensium_a{i}"),
            )
        ]
    )

    def pair(i: int) -> tuple[pl.Expr, pl.Expr]:
        return pl.col(f"__agensium_b{i}"), pl.col(f"__agensium_a{i}")

    # counts: one streaming pass; samples: the first rows of each changed rule (each query stops early)
    # per column, cells whose value differs between before the first rule and after the last one
    # (a cell two rules touched counts once there)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for i, ch in enumerate(changes):
        first.setdefault(ch.column, i)
        last[ch.column] = i
    columns = list(first)
    row = (
        staged.select(
            [pair(i)[0].ne_missing(pair(i)[1]).sum().alias(f"n{i}") for i in range(len(changes))]
            + [
                pair(first[c])[0].ne_missing(pair(last[c])[1]).sum().alias(f"c{j}")
                for j, c in enumerate(columns)
            ]
        )
        .collect(engine="streaming")
        .row(0)
    )
    counts = row[: len(changes)]
    totals = {c: int(row[len(changes) + j] or 0) for j, c in enumerate(columns)}
    changed = [i for i, n in enumerate(counts) if n]
    if len(changed) <= PER_RULE_QUERIES:
        frames = pl.collect_all(
            [
                staged.filter(pair(i)[0].ne_missing(pair(i)[1]))
                .select(pl.col(ROW_ID).alias("row_id"), pair(i)[0].alias("before"), pair(i)[1].alias("after"))
                .head(sample)
                for i in changed
            ],
            engine="streaming",
        )
    else:  # very wide tables: one query for all rules beats hundreds of small plans
        row = (
            staged.select(
                [
                    pl.struct(
                        pl.col(ROW_ID).alias("row_id"), pair(i)[0].alias("before"), pair(i)[1].alias("after")
                    )
                    .filter(pair(i)[0].ne_missing(pair(i)[1]))
                    .head(sample)
                    .implode()
                    .alias(f"s{i}")
                    for i in changed
                ]
            )
            .collect()
            .row(0)
        )
        frames = [pl.DataFrame(list(v)) for v in row]
    samples = dict(zip(changed, frames, strict=True))
    out = []
    for i, ch in enumerate(changes):
        rows = samples[i].to_dicts() if i in samples else []
        out.append(
            {
                "column": ch.column,
                "rule": ch.rule,
                "changed_cells": int(counts[i] or 0),
                "column_changed_cells": totals[ch.column],
                "samples": rows,
            }
        )
    return out


def summarise(entries: list[dict[str, Any]], agent_id: str) -> dict[str, Any]:
    """`data["audit"]` of an agent: only the rules that changed something, plus totals per column.

    Per rule, a cell counts when that rule changed it; per column and in total, a cell counts once
    however many rules touched it.
    """
    changed = [e for e in entries if e["changed_cells"]]
    by_column = {e["column"]: e["column_changed_cells"] for e in changed if e["column_changed_cells"]}
    return {
        "agent_id": agent_id,
        "total_changed_cells": sum(by_column.values()),
        "changed_cells_by_column": by_column,
        "changes": changed,
    }


def tables(audit: dict[str, Any]) -> list[dict[str, Any]]:
    """The audit as report tables (presentation contract): counts, then before/after samples."""
    changes = audit.get("changes", [])
    if not changes:
        return []
    counts = {
        "title": "Changed cells by column and rule",
        "columns": ["column", "rule", "changed_cells"],
        "rows": [[e["column"], e["rule"], e["changed_cells"]] for e in changes],
    }
    samples = [
        [e["column"], e["rule"], s["row_id"], s["before"], s["after"]] for e in changes for s in e["samples"]
    ][:1000]
    return [
        counts,
        {
            "title": "Before/after samples (row_id = original row)",
            "columns": ["column", "rule", "row_id", "before", "after"],
            "rows": samples,
        },
    ]


def add_to(data: dict[str, Any], audit: dict[str, Any]) -> None:
    data["audit"] = audit
    data.setdefault("tables", []).extend(tables(audit))
