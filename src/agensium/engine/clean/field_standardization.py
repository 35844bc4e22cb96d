"""field-standardization: make text consistent without changing what it says.

Default: trim, collapse runs of spaces (line breaks kept) and Unicode NFC, on every text column;
near-identical categories (fingerprint clusters) are *suggested* with their mapping, not applied.
Everything else is explicit: case per column, e-mail domains (and local parts), phone numbers to
E.164, country and US-state names/codes, synonyms, units, and applying the clusters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

import polars as pl
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

from agensium.engine.agent import ROW_ID, Agent, AgentParams, AgentResult, Issue, Recommendation, RunContext
from agensium.engine.clean import audit
from agensium.engine.clean import standardize as st
from agensium.engine.clean.common import card, check_columns, manifest, pct, select_columns, string_columns
from agensium.engine.values import Kind, classify, phones, present_values
from agensium.engine.values.places import country_key, state_key
from agensium.errors import AgensiumError, ErrorCode

Case = Literal["none", "lower", "upper", "title"]
SAMPLE_ROWS = 2000
EARLIER_CASE = {"lowercase": "lower", "uppercase": "upper", "titlecase": "title"}


class UnitRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    factor: float = Field(description="Multiply the number by this")
    target_unit: str = Field(description="Unit written after the converted number")


class FieldStandardizationParams(AgentParams):
    target_columns: list[str] = Field(default=[], description="Text columns to standardise (empty = all)")
    preserve_columns: list[str] = Field(default=[], description="Text columns never touched")
    trim_whitespace: bool = Field(default=True, description="Remove leading and trailing whitespace")
    collapse_internal_whitespace: bool = Field(
        default=True,
        validation_alias=AliasChoices("collapse_internal_whitespace", "normalize_internal_spacing"),
        description="Collapse runs of spaces/tabs to one space (line breaks are kept)",
    )
    unicode_normalization: Literal["NFC", "NFKC", "none"] = Field(
        default="NFC", description="Unicode normal form (NFKC also folds compatibility characters like ﬁ, ①)"
    )
    case_strategy: Case = Field(default="none", description="Case applied to every selected text column")
    column_case: dict[str, Case] = Field(default={}, description="Column -> case, overriding case_strategy")
    email_columns: list[str] = Field(default=[], description="E-mail columns: lower-case the domain")
    lowercase_email_local_part: bool = Field(default=False, description="Also lower-case the part before @")
    phone_columns: list[str] = Field(default=[], description="Phone columns: format valid numbers")
    default_region: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{2}$",
        description="Region for phone numbers written without a country code (by default the regions the "
        "column's international numbers name, then the common ones)",
    )
    phone_format: Literal["E164", "INTERNATIONAL", "NATIONAL"] = Field(
        default="E164", description="Phone format"
    )
    country_columns: list[str] = Field(default=[], description="Country columns: names/codes to one ISO form")
    country_output: Literal["alpha2", "alpha3", "name"] = Field(default="alpha2", description="Country form")
    state_columns: list[str] = Field(default=[], description="US state columns: names/codes to one form")
    state_output: Literal["code", "name"] = Field(default="code", description="US state form")
    synonym_mappings: dict[str, dict[str, str]] = Field(
        default={}, description="Column -> {variant: standard} (whole value, case-insensitive)"
    )
    unit_mappings: dict[str, dict[str, UnitRule]] = Field(
        default={}, description="Column -> {unit: {factor, target_unit}}: '5km' -> '5000 m'"
    )
    cluster_method: Literal["fingerprint", "ngram_fingerprint", "none"] = Field(
        default="fingerprint", description="How near-identical values are grouped for cluster suggestions"
    )
    ngram_size: int = Field(default=2, ge=1, le=5, description="n of the n-gram fingerprint")
    apply_clusters: bool = Field(
        default=False, description="Replace cluster members by the most frequent spelling"
    )
    cluster_columns: list[str] = Field(default=[], description="Columns to cluster (empty = all selected)")
    max_distinct_for_clustering: int = Field(
        default=5000, ge=2, le=1_000_000, description="Skip clustering columns with more distinct values"
    )
    target_date_format: str | None = Field(
        default=None,
        validation_alias=AliasChoices("target_date_format", "date_format"),
        description="Write date/datetime columns as text in this strftime format (e.g. %d/%m/%Y); "
        "none keeps them typed (ISO in CSV)",
    )
    date_columns: list[str] = Field(
        default=[], description="Date columns to format (empty = all date columns)"
    )

    @field_validator("case_strategy", mode="before")
    @classmethod
    def _earlier_case(cls, v: object) -> object:
        return EARLIER_CASE.get(v, v) if isinstance(v, str) else v

    @field_validator("column_case", mode="before")
    @classmethod
    def _earlier_column_case(cls, v: object) -> object:
        return {k: EARLIER_CASE.get(x, x) for k, x in v.items()} if isinstance(v, dict) else v


class FieldStandardization(Agent):
    id = "field-standardization"
    Params = FieldStandardizationParams

    def run(self, params: FieldStandardizationParams, ctx: RunContext) -> AgentResult:
        result = AgentResult(agent_id=self.id)
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        p = params
        for name, cols in (
            ("target_columns", p.target_columns),
            ("preserve_columns", p.preserve_columns),
            ("column_case", p.column_case),
            ("email_columns", p.email_columns),
            ("phone_columns", p.phone_columns),
            ("country_columns", p.country_columns),
            ("state_columns", p.state_columns),
            ("synonym_mappings", p.synonym_mappings),
            ("unit_mappings", p.unit_mappings),
            ("cluster_columns", p.cluster_columns),
        ):
            check_columns(self.id, name, cols, schema)
        explicit = set(p.email_columns) | set(p.phone_columns) | set(p.country_columns) | set(p.state_columns)
        text = select_columns(string_columns(schema), p.target_columns, p.preserve_columns)
        text += [c for c in schema.names() if c in explicit and c not in text]

        # One cheap pass finds which columns can change at all (whitespace, non-ASCII) and their
        # cardinality, so the per-rule audit runs only where there is something to do.
        probe = (
            lf.select(
                [
                    st.needs_whitespace(pl.col(c)).any().alias(f"ws:{c}")
                    for c in text
                    if schema[c] == pl.String
                ]
                + [st.non_ascii(pl.col(c)).any().alias(f"ua:{c}") for c in text if schema[c] == pl.String]
                + [pl.col(c).approx_n_unique().alias(f"n:{c}") for c in text]
            )
            .collect(engine="streaming")
            .row(0, named=True)
            if text
            else {}
        )
        steps: dict[str, pl.Expr] = {}
        changes: list[audit.Change] = []
        # Each rule's result is a stage column, so chained rules are computed once; the k-th rules of
        # all columns share one with_columns (a few plan nodes even for hundreds of columns).
        batches: list[list[pl.Expr]] = []
        depth: dict[str, int] = {}
        index = {c: i for i, c in enumerate(text)}

        def step(c: str, rule: str, new: pl.Expr) -> None:
            k = depth.get(c, 0)
            name = f"__agensium_s{k}_{index[c]}"
            if len(batches) <= k:
                batches.append([])
            batches[k].append(new.alias(name))
            depth[c] = k + 1
            changes.append(audit.Change(c, rule, steps[c], pl.col(name)))
            steps[c] = pl.col(name)

        def staged() -> pl.LazyFrame:
            work = lf
            for b in batches:
                work = work.with_columns(b)
            return work

        for c in text:
            steps[c] = pl.col(c) if schema[c] == pl.String else pl.col(c).cast(pl.String)
            ws = probe.get(f"ws:{c}", True)
            if p.trim_whitespace and ws:
                step(c, "trim_whitespace", st.trim(steps[c]))
            if p.collapse_internal_whitespace and ws:
                step(c, "collapse_whitespace", st.collapse_spaces(steps[c]))
            if p.unicode_normalization != "none" and probe.get(f"ua:{c}", True):
                step(
                    c,
                    f"unicode_{p.unicode_normalization}",
                    st.unicode_normalize(steps[c], p.unicode_normalization),
                )
            if c in p.synonym_mappings:
                step(c, "synonyms", st.synonyms(steps[c], p.synonym_mappings[c]))
            if c in p.unit_mappings:
                step(
                    c,
                    "units",
                    st.units(steps[c], {u: (r.factor, r.target_unit) for u, r in p.unit_mappings[c].items()}),
                )
            case = p.column_case.get(c, p.case_strategy)
            if case != "none":
                step(c, f"case_{case}", st.change_case(steps[c], case))
            if c in p.email_columns:
                step(c, "email", st.email(steps[c], p.lowercase_email_local_part))
            if c in p.country_columns:
                step(c, f"country_{p.country_output}", st.country(steps[c], p.country_output))
            if c in p.state_columns:
                step(c, f"state_{p.state_output}", st.state(steps[c], p.state_output))

        formatted = self._date_steps(p, schema, index, steps, step)
        invalid_phones: dict[str, int] = {}
        for c in p.phone_columns:
            distinct = (
                staged()
                .select(steps[c].unique().drop_nulls().alias("v"))
                .collect(engine="streaming")
                .get_column("v")
                .to_list()
            )
            regions = phones.candidate_regions(distinct, [p.default_region] if p.default_region else [])
            mapping = phones.format_phones(distinct, regions, p.phone_format)
            invalid_phones[c] = len([v for v in distinct if v not in mapping and v.strip()])
            step(c, f"phone_{p.phone_format}", steps[c].replace(mapping))
        ctx.progress(0.3)
        ctx.check_cancelled()

        clusters = self._clusters(staged(), p, text, steps, probe)
        for c, found in clusters.items():
            if p.apply_clusters and found:
                step(c, f"cluster_{p.cluster_method}", steps[c].replace(st.cluster_mapping(found)))
        ctx.progress(0.6)
        ctx.check_cancelled()

        work = staged()
        entries = audit.measure(work, changes)
        aud = audit.summarise(entries, self.id)
        if aud["total_changed_cells"]:
            result.data_out = work.with_columns(
                [steps[c].alias(c) for c in [*text, *formatted] if c in aud["changed_cells_by_column"]]
            ).select(schema.names())
        self._report(result, p, lf, schema, text, aud, clusters, invalid_phones, ctx)
        result.data["manifest"]["type_changes"] = {c: "string" for c in formatted}
        return result

    def _date_steps(
        self,
        p: FieldStandardizationParams,
        schema: pl.Schema,
        index: dict[str, int],
        steps: dict[str, pl.Expr],
        step: Any,
    ) -> list[str]:
        """Typed date columns written as text in `target_date_format` (explicit only)."""
        if not p.target_date_format:
            return []
        check_columns(self.id, "date_columns", p.date_columns, schema)
        fmt = p.target_date_format
        try:
            pl.Series([dt.datetime(2024, 1, 31, 13, 5)]).dt.strftime(fmt)
        except Exception as exc:
            raise AgensiumError(
                ErrorCode.INVALID_PARAMETERS,
                f"{self.id}: invalid target_date_format {fmt!r}",
                {"target_date_format": fmt},
            ) from exc
        cols = [
            c
            for c in (p.date_columns or schema.names())
            if c != ROW_ID and (schema[c] == pl.Date or isinstance(schema[c], pl.Datetime))
        ]
        for c in cols:
            index[c] = len(index)
            steps[c] = pl.col(c)
            step(c, "date_format", pl.col(c).dt.strftime(fmt))
        return cols

    def _clusters(
        self,
        lf: pl.LazyFrame,
        p: FieldStandardizationParams,
        text: list[str],
        steps: dict[str, pl.Expr],
        probe: dict[str, Any],
    ) -> dict[str, list[dict[str, Any]]]:
        if p.cluster_method == "none":
            return {}
        cols = [c for c in (p.cluster_columns or text) if c in steps]
        small = [c for c in cols if probe.get(f"n:{c}", 0) <= p.max_distinct_for_clustering]
        if not small:
            return {}
        # distinct values (col, v, n, first row): one streaming group-by per column for a normal table
        # (memory stays bounded by the distinct values); one unpivoted query for very wide tables, where
        # hundreds of small plans would cost more than the data.
        agg = [pl.len().cast(pl.Int64).alias("n"), pl.col(ROW_ID).min().alias("first")]
        if len(small) <= 32:
            frames = pl.collect_all(
                [
                    lf.group_by(steps[c].alias("v")).agg(agg).with_columns(pl.lit(c).alias("col"))
                    for c in small
                ],
                engine="streaming",
            )
            values = pl.concat([f.select("col", "v", "n", "first") for f in frames])
        else:
            values = (
                lf.select(ROW_ID, *[steps[c].alias(f"__v{i}") for i, c in enumerate(small)])
                .unpivot(index=ROW_ID, variable_name="col", value_name="v")
                .group_by("col", "v")
                .agg(agg)
                .with_columns(
                    pl.col("col")
                    .str.slice(3)
                    .cast(pl.Int64)
                    .replace_strict(dict(enumerate(small)), return_dtype=pl.String)
                )
                .collect(engine="streaming")
            )
        return st.clusters(values, p.cluster_method, p.ngram_size)

    def _report(
        self,
        result: AgentResult,
        p: FieldStandardizationParams,
        lf: pl.LazyFrame,
        schema: pl.Schema,
        text: list[str],
        aud: dict[str, Any],
        clusters: dict[str, list[dict[str, Any]]],
        invalid_phones: dict[str, int],
        ctx: RunContext,
    ) -> None:
        total = ctx.data.row_count
        changed = aud["total_changed_cells"]
        pending = 0 if p.apply_clusters else sum(c["rows_affected"] for f in clusters.values() for c in f)
        left = pending + sum(invalid_phones.values())
        found = changed + left
        cells = total * max(len(text), 1)
        result.score = None if found == 0 else round(100.0 - pct(left, cells), 2)
        result.summary = {
            "total_rows_processed": total,
            "columns_examined": len(text),
            "columns_changed": len(aud["changed_cells_by_column"]),
            "values_changed": changed,
            "cluster_suggestions": sum(len(f) for f in clusters.values()),
            "clusters_applied": p.apply_clusters,
        }
        suggestions = self._suggest(lf, p, text)
        result.data = {
            "clusters": {c: f for c, f in clusters.items() if f},
            "invalid_phone_values": invalid_phones,
            "suggested_columns": suggestions,
            "manifest": manifest(total),
        }
        audit.add_to(result.data, aud)
        rows = [
            [c, cl["canonical"], m["value"], m["count"]]
            for c, f in clusters.items()
            for cl in f
            for m in cl["members"][1:]
        ][:1000]
        if rows:
            result.data.setdefault("tables", []).append(
                {
                    "title": "Cluster suggestions" + (" (applied)" if p.apply_clusters else " (not applied)"),
                    "columns": ["column", "canonical", "variant", "rows"],
                    "rows": rows,
                }
            )
            if not p.apply_clusters:
                for c, f in clusters.items():
                    if f:
                        result.recommendations.append(
                            Recommendation(
                                field=c,
                                priority="medium",
                                recommendation=f"'{c}' has {len(f)} group(s) of near-identical values; set "
                                f"apply_clusters to merge them into the most frequent spelling",
                                rationale=", ".join(f"{m['value']!r}" for m in f[0]["members"][:4]),
                            )
                        )
                        result.issues.append(
                            Issue(
                                field=c,
                                issue_type="inconsistent_values",
                                severity="low",
                                message=f"{len(f)} cluster(s) of spelling variants",
                                count=sum(cl["rows_affected"] for cl in f),
                            )
                        )
        for c, n in invalid_phones.items():
            if n:
                result.issues.append(
                    Issue(
                        field=c,
                        issue_type="invalid_phone",
                        severity="medium",
                        message=f"{n} distinct value(s) of '{c}' are not valid phone numbers "
                        f"(left unchanged)",
                        count=n,
                    )
                )
        for kind, cols in suggestions.items():
            for c in cols:
                result.recommendations.append(
                    Recommendation(
                        field=c,
                        priority="low",
                        recommendation=f"'{c}' looks like a {kind} column; add it to "
                        f"{kind}_columns to standardise it",
                    )
                )
        if found == 0:
            result.cards.append(card("Standardisation", "Nothing to do", None, "Text is already consistent"))
        else:
            result.cards.append(
                card(
                    "Standardisation",
                    f"{changed} values changed",
                    result.score,
                    f"{len(aud['changed_cells_by_column'])} column(s) changed; {pending} rows in "
                    f"suggested clusters",
                )
            )

    @staticmethod
    def _suggest(lf: pl.LazyFrame, p: FieldStandardizationParams, text: list[str]) -> dict[str, list[str]]:
        """Columns whose values look like e-mails, phones or countries but were not configured."""
        configured = (
            set(p.email_columns) | set(p.phone_columns) | set(p.country_columns) | set(p.state_columns)
        )
        cand = [c for c in text if c not in configured]
        if not cand:
            return {}
        sample = (
            lf.select([pl.col(c).cast(pl.String) for c in cand]).head(SAMPLE_ROWS).collect(engine="streaming")
        )
        out: dict[str, list[str]] = {"email": [], "phone": [], "country": [], "state": []}
        for c in cand:
            values, _ = present_values(sample[c])
            if values.len() == 0:
                continue
            kind = classify(values, c, min_share=0.9, hinted_share=0.9).kind
            keys = values.to_frame("v").select(state_key(pl.col("v")).is_not_null().mean().alias("s"),
                                               (country_key(pl.col("v")).is_not_null()
                                                & (pl.col("v").str.len_chars() > 2)).mean().alias("c")).row(0)
            if kind == Kind.EMAIL:
                out["email"].append(c)
            elif kind == Kind.PHONE:
                out["phone"].append(c)
            elif (keys[0] or 0) >= 0.9:
                out["state"].append(c)
            elif (keys[1] or 0) >= 0.9:
                out["country"].append(c)
        return {k: v for k, v in out.items() if v}
