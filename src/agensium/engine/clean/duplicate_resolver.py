"""duplicate-resolver: exact and normalised-key duplicates, resolved deterministically in row order.

Default: report only (rows are counted and listed, nothing removed). Strategies, chosen explicitly:
keep_first, keep_last, merge (one row per group at the first row's position, each column coalesced
to the group's first non-null value). The output keeps the original row order; every removed row is
listed in `duplicates_removed.csv` with the ROW_ID of the row it duplicates.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import AliasChoices, Field, field_validator

from agensium.engine.agent import (
    ROW_ID,
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Issue,
    OutputFile,
    RunContext,
)
from agensium.engine.clean import audit, ledger
from agensium.engine.clean.common import (
    card,
    check_columns,
    duplicate_candidates,
    manifest,
    pct,
    row_issues,
    user_columns,
)
from agensium.engine.io.csv_writer import csv_ready

EXACT_DUPLICATES_KEY = "clean.exact_duplicates"
# internal column names (never clash with the user's)
KEY, KEPT, DUP, GROUP, MERGED = (
    "__agensium_k",
    "__agensium_kept",
    "__agensium_dup",
    "__agensium_g",
    "__agensium_m",
)


class DuplicateResolverParams(AgentParams):
    key_columns: list[str] = Field(
        default=[], description="Columns that identify a record (empty = all columns)"
    )
    match_mode: Literal["exact", "normalized"] = Field(
        default="exact", description="normalized: text keys compared ignoring case and extra whitespace"
    )
    strategy: Literal["report_only", "keep_first", "keep_last", "merge"] = Field(
        default="report_only",
        validation_alias=AliasChoices("strategy", "merge_strategy"),
        description="What to do with duplicates; report_only changes nothing (earlier: merge_strategy "
        "remove_duplicates = keep_first, merge_smart = merge)",
    )
    null_keys: Literal["match", "never_match"] = Field(
        default="match", description="Whether rows with a null key value can be duplicates of each other"
    )

    @field_validator("strategy", mode="before")
    @classmethod
    def _earlier_strategy(cls, v: object) -> object:
        return (
            {"remove_duplicates": "keep_first", "merge_smart": "merge"}.get(v, v) if isinstance(v, str) else v
        )


class DuplicateResolver(Agent):
    id = "duplicate-resolver"
    Params = DuplicateResolverParams

    def run(self, params: DuplicateResolverParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        check_columns(self.id, "key_columns", params.key_columns, schema)
        cols = user_columns(schema)
        keys = params.key_columns or cols
        key_exprs = []
        for i, c in enumerate(keys):
            e = pl.col(c)
            if params.match_mode == "normalized" and schema[c] == pl.String:
                e = e.str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
            key_exprs.append(e.alias(f"{KEY}{i}"))
        knames = [f"{KEY}{i}" for i in range(len(keys))]
        keyed = lf.with_columns(key_exprs)
        eligible = (
            pl.all_horizontal([pl.col(k).is_not_null() for k in knames])
            if params.null_keys == "never_match"
            else pl.lit(True)
        )
        last = params.strategy == "keep_last"
        others = [c for c in cols if c not in params.key_columns] if params.key_columns else []
        # A 64-bit hash of the key finds the candidate rows in one cheap pass; the exact comparison
        # then runs on the candidates only (every member of a real group shares the hash).
        cand_ids = duplicate_candidates(keyed, [pl.col(k) for k in knames], eligible)
        queries = [
            keyed.join(cand_ids, on=ROW_ID, how="semi", maintain_order="left").select(
                ROW_ID, *knames, *others
            )
        ]
        if params.match_mode == "normalized" or params.key_columns:
            exact_ids = duplicate_candidates(lf, [pl.col(c) for c in cols])
            queries.append(
                lf.join(exact_ids, on=ROW_ID, how="semi", maintain_order="left").select(ROW_ID, *cols)
            )
        frames = pl.collect_all(queries, engine="streaming")
        cand = frames[0]
        ctx.progress(0.5)
        ctx.check_cancelled()
        grp = pl.struct(knames)
        flagged_c = cand.with_columns(
            (grp.is_last_distinct() if last else grp.is_first_distinct()).not_().alias(DUP),
            (pl.col(ROW_ID).last() if last else pl.col(ROW_ID).first()).over(knames).alias("kept_row_id"),
        )
        dups = flagged_c.filter(pl.col(DUP)).select(ROW_ID, "kept_row_id")
        total = ctx.data.row_count
        n = dups.height
        groups = dups.get_column("kept_row_id").n_unique()
        exact_n = n
        if len(frames) > 1:
            exact_n = frames[1].select((~pl.struct(cols).is_first_distinct()).sum()).item()
        # exact whole-row duplicates of this file, for cleanse-writeback (same file -> same answer)
        if len(frames) > 1 or params.null_keys == "match":
            ctx.state[EXACT_DUPLICATES_KEY] = {
                "path": str(ctx.data.path),
                "exact_duplicate_rows": int(exact_n),
            }
        conflicting = 0
        if others and n:
            conflicting = (
                cand.group_by(knames)
                .agg(pl.struct(others).n_unique().alias("v"))
                .filter(pl.col("v") > 1)
                .height
            )
        flagged = lf.join(
            dups.lazy().rename({"kept_row_id": KEPT}), on=ROW_ID, how="left", maintain_order="left"
        ).with_columns(pl.col(KEPT).is_not_null().alias(DUP))
        reason = "duplicate of row " if params.match_mode == "exact" else "normalised-key duplicate of row "
        result.row_issues = row_issues(
            dups,
            column=None,
            issue_type="duplicate_record",
            severity="low",
            message=pl.format(reason + "{}", "kept_row_id"),
            value=pl.col("kept_row_id"),
        ).collect(engine="streaming")
        changes: list[dict] = []
        removing = params.strategy != "report_only" and n > 0
        if removing:
            ledger.record_removed(ctx, self.id, dups.with_columns(pl.lit(reason.strip()).alias("reason")))
            path = ctx.output_path("duplicates_removed.csv")
            csv_ready(dups.rename({ROW_ID: "removed_row"})).write_csv(path)
            result.outputs.append(
                OutputFile(
                    name="duplicates_removed.csv", path=path, kind="other", mime_type="text/csv", rows=n
                )
            )
            kept = flagged.filter(~pl.col(DUP))
            if params.strategy == "merge":
                # one row per group at the kept row's position; each column = first non-null in the group
                filled = flagged.group_by(
                    pl.when(pl.col(DUP)).then(pl.col(KEPT)).otherwise(pl.col(ROW_ID)).alias(GROUP)
                ).agg([pl.col(c).drop_nulls().first().alias(f"{MERGED}{i}") for i, c in enumerate(cols)])
                merged = kept.select(ROW_ID, *cols).join(
                    filled, left_on=ROW_ID, right_on=GROUP, how="left", maintain_order="left"
                )
                changes = audit.measure(
                    merged,
                    [
                        audit.Change(c, "merge_coalesce", pl.col(c), pl.col(f"{MERGED}{i}"))
                        for i, c in enumerate(cols)
                    ],
                )
                result.data_out = merged.select(
                    ROW_ID, *[pl.col(f"{MERGED}{i}").alias(c) for i, c in enumerate(cols)]
                ).select(schema.names())
            else:
                result.data_out = kept.select(schema.names())
        aud = audit.summarise(changes, self.id)
        result.score = None if n == 0 else (100.0 if removing else round(100.0 - pct(n, total), 2))
        result.summary = {
            "total_rows_processed": total,
            "duplicate_rows": n,
            "duplicate_groups": groups,
            "exact_duplicate_rows": exact_n,
            "conflicting_key_groups": conflicting,
            "rows_removed": n if removing else 0,
            "remaining_rows": total - (n if removing else 0),
        }
        result.data = {
            "key_columns": keys,
            "match_mode": params.match_mode,
            "strategy": params.strategy,
            "manifest": manifest(total, removed=n if removing else 0),
            "tables": [
                {
                    "title": "Duplicate rows (first 1000)",
                    "columns": ["row_id", "duplicate_of_row_id"],
                    "rows": dups.head(1000).rows(),
                }
            ]
            if n
            else [],
        }
        audit.add_to(result.data, aud)
        if n:
            result.issues.append(
                Issue(
                    field=None,
                    issue_type="duplicate_records",
                    severity="medium",
                    message=f"{n} duplicate row(s) in {groups} group(s)",
                    count=n,
                )
            )
            if not removing:
                result.alerts.append(
                    Alert(
                        severity="low",
                        category="duplicates",
                        message=f"{n} duplicate row(s) found; none removed (report_only)",
                        recommendation="Set strategy to keep_first, keep_last or merge",
                    )
                )
            if conflicting:
                result.alerts.append(
                    Alert(
                        severity="medium",
                        category="duplicates",
                        message=f"{conflicting} key group(s) differ in other columns",
                        affected_fields=keys,
                        recommendation="Use strategy=merge or review the conflicting rows",
                    )
                )
            result.cards.append(
                card(
                    "Duplicates",
                    f"{n} rows",
                    result.score,
                    ("removed" if removing else "found, not removed") + f" ({groups} groups)",
                )
            )
        else:
            result.cards.append(card("Duplicates", "None found", None, "No duplicate rows"))
        return result
