"""duplicate-resolver: exact and normalised-key duplicates, resolved deterministically in row order.

Default: report only (rows are counted and listed, nothing removed). Strategies, chosen explicitly:
keep_first, keep_last, merge (one row per group at the first row's position, each column coalesced
to the group's first non-null value). The output keeps the original row order; every removed row is
listed in `duplicates_removed.csv` with the ROW_ID of the row it duplicates.
"""

from __future__ import annotations

from typing import Literal

import polars as pl
from pydantic import Field

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
from agensium.engine.clean.common import card, check_columns, pct, row_issues, user_columns


class DuplicateResolverParams(AgentParams):
    key_columns: list[str] = Field(default=[], description="Columns that identify a record (empty = all columns)")
    match_mode: Literal["exact", "normalized"] = Field(
        default="exact", description="normalized: text keys compared ignoring case and extra whitespace")
    strategy: Literal["report_only", "keep_first", "keep_last", "merge"] = Field(
        default="report_only", description="What to do with duplicates; report_only changes nothing")
    null_keys: Literal["match", "never_match"] = Field(
        default="match", description="Whether rows with a null key value can be duplicates of each other")


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
            key_exprs.append(e.alias(f"__k{i}"))
        knames = [f"__k{i}" for i in range(len(keys))]
        keyed = lf.with_columns(key_exprs)
        eligible = pl.all_horizontal([pl.col(k).is_not_null() for k in knames]) \
            if params.null_keys == "never_match" else pl.lit(True)
        last = params.strategy == "keep_last"
        others = [c for c in cols if c not in params.key_columns] if params.key_columns else []
        # A 64-bit hash of the key finds the candidate rows in one cheap pass; the exact comparison
        # then runs on the candidates only (every member of a real group shares the hash).
        cand_q = keyed.filter(pl.struct(knames).hash().is_duplicated() & eligible).select(ROW_ID, *knames, *others)
        queries = [cand_q]
        if params.match_mode == "normalized" or params.key_columns:
            queries.append(lf.filter(pl.struct(cols).hash().is_duplicated()).select(ROW_ID, *cols))
        frames = pl.collect_all(queries)
        cand = frames[0]
        grp = pl.struct(knames)
        flagged_c = cand.with_columns(
            (grp.is_last_distinct() if last else grp.is_first_distinct()).not_().alias("__dup"),
            (pl.col(ROW_ID).last() if last else pl.col(ROW_ID).first()).over(knames).alias("kept_row_id"),
        )
        dups = flagged_c.filter(pl.col("__dup")).select(ROW_ID, "kept_row_id")
        total = ctx.data.row_count
        n = dups.height
        groups = dups.get_column("kept_row_id").n_unique()
        exact_n = n
        if len(frames) > 1:
            exact_n = frames[1].select((~pl.struct(cols).is_first_distinct()).sum()).item()
        conflicting = 0
        if others and n:
            conflicting = cand.group_by(knames).agg(pl.struct(others).n_unique().alias("v")).filter(
                pl.col("v") > 1).height
        flagged = lf.join(dups.lazy(), on=ROW_ID, how="left", maintain_order="left").with_columns(
            pl.col("kept_row_id").is_not_null().alias("__dup"))
        reason = "duplicate of row " if params.match_mode == "exact" else "normalised-key duplicate of row "
        result.row_issues = row_issues(dups, column=None, issue_type="duplicate_record", severity="low",
                                       message=pl.format(reason + "{}", "kept_row_id"),
                                       value=pl.col("kept_row_id")).collect()
        changes: list[dict] = []
        removing = params.strategy != "report_only" and n > 0
        if removing:
            ledger.record_removed(ctx, self.id, dups.with_columns(pl.lit(reason.strip()).alias("reason")))
            path = ctx.output_path("duplicates_removed.csv")
            dups.rename({ROW_ID: "removed_row"}).write_csv(path)
            result.outputs.append(OutputFile(name="duplicates_removed.csv", path=path, kind="other",
                                             mime_type="text/csv", rows=n))
            kept = flagged.filter(~pl.col("__dup"))
            if params.strategy == "merge":
                filled = flagged.group_by(pl.when(pl.col("__dup")).then(pl.col("kept_row_id"))
                                          .otherwise(pl.col(ROW_ID)).alias("__g")).agg(
                    [pl.col(c).drop_nulls().first().alias(c) for c in cols])
                merged = kept.select(ROW_ID, *cols).join(filled, left_on=ROW_ID, right_on="__g", how="left",
                                                         suffix="__m", maintain_order="left")
                changes = audit.measure(merged, [audit.Change(c, "merge_coalesce", pl.col(c), pl.col(c + "__m"))
                                                 for c in cols])
                result.data_out = merged.select(ROW_ID, *[pl.col(c + "__m").alias(c) for c in cols]) \
                    .select(schema.names())
            else:
                result.data_out = kept.select(schema.names())
        aud = audit.summarise(changes, self.id)
        result.score = None if n == 0 else (100.0 if removing else round(100.0 - pct(n, total), 2))
        result.summary = {
            "total_rows_processed": total, "duplicate_rows": n, "duplicate_groups": groups,
            "exact_duplicate_rows": exact_n, "conflicting_key_groups": conflicting,
            "rows_removed": n if removing else 0, "remaining_rows": total - (n if removing else 0),
        }
        result.data = {
            "key_columns": keys, "match_mode": params.match_mode, "strategy": params.strategy,
            "manifest": {"rows_in": total, "rows_out": total - (n if removing else 0), "rows_quarantined": 0,
                         "rows_removed": n if removing else 0, "columns_added": [], "columns_dropped": [],
                         "nulls_introduced": {}},
            "tables": [{"title": "Duplicate rows (first 1000)", "columns": ["row_id", "duplicate_of_row_id"],
                        "rows": dups.head(1000).rows()}] if n else [],
        }
        audit.add_to(result.data, aud)
        if n:
            result.issues.append(Issue(field=None, issue_type="duplicate_records", severity="medium",
                                       message=f"{n} duplicate row(s) in {groups} group(s)", count=n))
            if not removing:
                result.alerts.append(Alert(severity="low", category="duplicates",
                                           message=f"{n} duplicate row(s) found; none removed (report_only)",
                                           recommendation="Set strategy to keep_first, keep_last or merge"))
            if conflicting:
                result.alerts.append(Alert(severity="medium", category="duplicates",
                                           message=f"{conflicting} key group(s) differ in other columns",
                                           affected_fields=keys,
                                           recommendation="Use strategy=merge or review the conflicting rows"))
            result.cards.append(card("Duplicates", f"{n} rows", result.score,
                                     ("removed" if removing else "found, not removed") + f" ({groups} groups)"))
        else:
            result.cards.append(card("Duplicates", "None found", None, "No duplicate rows"))
        return result
