"""semantic-mapper: standard names for columns, with confidence and evidence from names AND values.

The mapping original → standard is always recorded in `ctx.state["semantic_mapping"]` (renaming is
optional), so later agents accept either name in their parameters. Renames never collide: a
standard name already taken keeps the column's original name and is reported.
"""

from __future__ import annotations

import polars as pl
from pydantic import Field
from rapidfuzz import fuzz

from agensium.engine.agent import (
    Agent,
    AgentParams,
    AgentResult,
    Issue,
    Recommendation,
    RunContext,
    SummaryCard,
)
from agensium.engine.master.common import bar_chart, resolve_keys, status_of, table, user_columns
from agensium.engine.master.semantic_types import NAME_PATTERNS, detect_kind, name_kind, snake, value_shares

VALUE_DICTIONARIES: dict[str, dict[str, str]] = {
    "gender": {"m": "male", "male": "male", "man": "male", "f": "female", "female": "female", "woman": "female",
               "x": "other", "other": "other", "nonbinary": "other", "non-binary": "other",
               "u": "unknown", "unknown": "unknown"},
    "country": {"us": "US", "usa": "US", "united states": "US", "united states of america": "US", "america": "US",
                "uk": "GB", "gb": "GB", "united kingdom": "GB", "great britain": "GB", "england": "GB",
                "de": "DE", "germany": "DE", "deutschland": "DE", "fr": "FR", "france": "FR", "es": "ES",
                "spain": "ES", "it": "IT", "italy": "IT", "nl": "NL", "netherlands": "NL", "ca": "CA",
                "canada": "CA", "au": "AU", "australia": "AU", "in": "IN", "india": "IN", "ie": "IE",
                "ireland": "IE", "cn": "CN", "china": "CN", "jp": "JP", "japan": "JP", "br": "BR", "brazil": "BR",
                "mx": "MX", "mexico": "MX", "nz": "NZ", "new zealand": "NZ"},
    "status": {"active": "active", "a": "active", "enabled": "active", "inactive": "inactive", "i": "inactive",
               "disabled": "inactive", "pending": "pending", "closed": "closed"},
}
VALUE_TESTS = {"email": "email", "phone": "phone", "dob": "date", "date": "date", "created_at": "date",
               "updated_at": "date", "postcode": "postcode"}
TEXT_KINDS = {"first_name", "last_name", "middle_name", "full_name", "city", "state", "country", "address",
              "company"}


class SemanticMapperParams(AgentParams):
    custom_column_mappings: dict[str, str] = Field(default_factory=dict,
                                                   description="{column: standard name}, confidence 1.0")
    custom_value_mappings: dict[str, dict[str, str]] = Field(default_factory=dict,
                                                             description="{column: {raw value: standard value}}")
    confidence_threshold: float = Field(0.7, ge=0, le=1, description="Minimum confidence to map a column")
    auto_detect_semantics: bool = Field(True, description="Detect standard names from names and values")
    apply_mappings: bool = Field(True, description="Rename mapped columns to their standard names")
    standardize_values: bool = Field(False, description="Apply built-in value dictionaries (gender, country, "
                                                        "status); otherwise they are only suggested")
    name_similarity_weight: float = Field(0.4, ge=0, le=1, description="Weight of column-name similarity")
    pattern_match_weight: float = Field(0.3, ge=0, le=1, description="Weight of name-pattern rules")
    value_analysis_weight: float = Field(0.3, ge=0, le=1, description="Weight of evidence from values")
    excellent_threshold: float = Field(90, ge=0, le=100, description="Score for 'excellent'")
    good_threshold: float = Field(75, ge=0, le=100, description="Score for 'good'")


def _value_score(kind: str, shares: dict[str, float]) -> float:
    test = VALUE_TESTS.get(kind)
    if test:
        return shares.get(test, 0.0)
    if kind in TEXT_KINDS:
        return shares.get("alpha", 0.0)
    return 0.5 if shares else 0.0


def _confidence(column: str, kind: str, shares: dict[str, float], p: SemanticMapperParams) -> dict[str, float]:
    nk, nconf = name_kind(column)
    pattern = nconf if nk == kind else 0.0
    s = snake(column)
    similarity = max([fuzz.ratio(s, kind) / 100.0]
                     + [fuzz.ratio(s, pat) / 100.0 for pat in NAME_PATTERNS.get(kind, ()) if pat.isidentifier()])
    value = _value_score(kind, shares)
    wsum = (p.name_similarity_weight + p.pattern_match_weight + p.value_analysis_weight) or 1.0
    conf = (p.name_similarity_weight * similarity + p.pattern_match_weight * pattern
            + p.value_analysis_weight * value) / wsum
    if pattern >= 0.9 and value >= 0.5:  # an exact name rule confirmed by the values is certain enough
        conf = max(conf, 0.9)
    return {"confidence": round(min(1.0, conf), 3), "name_similarity": round(similarity, 3),
            "pattern_match": round(pattern, 3), "value_analysis": round(value, 3)}


class SemanticMapper(Agent):
    id = "semantic-mapper"
    Params = SemanticMapperParams

    def run(self, params: SemanticMapperParams, ctx: RunContext) -> AgentResult:
        p = params
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        cols = user_columns(schema)
        custom = resolve_keys(ctx, self.id, "custom_column_mappings", p.custom_column_mappings, cols)
        sample = lf.select(cols).head(2000).collect()
        mappings, kinds = [], {}
        for c in cols:
            if c in custom:
                mappings.append({"original_name": c, "standard_name": custom[c], "status": "mapped",
                                 "confidence": 1.0, "mapping_source": "custom", "evidence": ["user mapping"],
                                 "suggestions": []})
                kinds[c] = custom[c]
                continue
            kind, dconf, evidence = detect_kind(c, sample[c]) if p.auto_detect_semantics else (None, 0.0, [])
            if kind is None:
                mappings.append({"original_name": c, "standard_name": None, "status": "unmapped", "confidence": 0.0,
                                 "mapping_source": None, "evidence": evidence, "suggestions": []})
                continue
            scores = _confidence(c, kind, value_shares(sample[c]), p)
            if scores["value_analysis"] >= 0.8:  # strong value evidence stands on its own, whatever the name
                scores["confidence"] = max(scores["confidence"], dconf)
            ok = scores["confidence"] >= p.confidence_threshold
            kinds[c] = kind
            mappings.append({"original_name": c, "standard_name": kind,
                             "status": "mapped" if ok else "low_confidence", "confidence": scores["confidence"],
                             "mapping_source": "detected", "evidence": evidence, "scores": scores,
                             "suggestions": [] if ok else [kind]})
        renames, collisions = self._renames(mappings, cols, p)
        mapping = {m["original_name"]: m["standard_name"] for m in mappings if m["status"] == "mapped"}
        prior = dict(ctx.state.get("semantic_mapping", {}))
        ctx.state["semantic_mapping"] = {**prior, **mapping}
        ctx.state["semantic_types"] = {renames.get(c, c): k for c, k in kinds.items()}
        value_exprs, value_maps, unmapped_values = self._value_mappings(ctx, sample, cols, kinds, p)
        out = lf
        if value_exprs:
            out = out.with_columns(value_exprs)
        if renames:
            out = out.rename(renames)
        mapped = [m for m in mappings if m["status"] == "mapped"]
        pct = 100.0 * len(mapped) / len(cols) if cols else 0.0
        avg = sum(m["confidence"] for m in mapped) / len(mapped) if mapped else 0.0
        score = round(0.5 * pct + 50.0 * avg, 2) if cols else None
        issues = [Issue(field=m["original_name"], issue_type="unmapped_semantic_field", severity="low",
                        message=f"No standard meaning found for '{m['original_name']}'")
                  for m in mappings if m["status"] == "unmapped"]
        issues += [Issue(field=m["original_name"], issue_type="low_confidence_mapping", severity="low",
                         message=f"'{m['original_name']}' may be {m['standard_name']} "
                                 f"(confidence {m['confidence']:.2f})")
                   for m in mappings if m["status"] == "low_confidence"]
        issues += [Issue(field=c, issue_type="rename_collision", severity="medium",
                         message=f"'{c}' maps to '{s}' which is already taken; kept its name")
                   for c, s in collisions]
        recs = [Recommendation(field=c, priority="low", recommendation=f"Standardise values of {c}",
                               rationale=f"{len(v)} value(s) map to a standard form; set standardize_values")
                for c, v in value_maps.items() if v and not p.standardize_values]
        summary = {"total_columns": len(cols), "mapped_columns": len(mapped),
                   "low_confidence_columns": sum(m["status"] == "low_confidence" for m in mappings),
                   "unmapped_columns": sum(m["status"] == "unmapped" for m in mappings),
                   "columns_renamed": len(renames), "rename_collisions": len(collisions),
                   "average_confidence": round(avg, 3), "value_columns_standardized": len(value_exprs)}
        data = {"mapping_score": score, "quality_status": status_of(score, p.excellent_threshold, p.good_threshold),
                "column_mappings": mappings, "semantic_mapping": mapping, "renamed": renames,
                "value_mappings": [{"column": c, "mappings": v} for c, v in value_maps.items()],
                "unmapped_columns": [m["original_name"] for m in mappings if m["status"] == "unmapped"],
                "unmapped_values": unmapped_values,
                "tables": [table("Column mappings", ["column", "standard name", "status", "confidence", "evidence"],
                                 ([m["original_name"], m["standard_name"], m["status"], m["confidence"],
                                   "; ".join(m["evidence"])] for m in mappings))],
                "charts": [bar_chart("Mapping confidence", [m["original_name"] for m in mappings],
                                     [m["confidence"] for m in mappings], "confidence")]}
        card = SummaryCard(title="Columns mapped", value=f"{len(mapped)}/{len(cols)}",
                           status=status_of(score, p.excellent_threshold, p.good_threshold),  # type: ignore[arg-type]
                           description=f"{len(renames)} renamed; mapping recorded for later agents")
        changed = bool(renames or value_exprs)
        return AgentResult(agent_id=self.id, summary=summary, data=data, score=score, issues=issues,
                           recommendations=recs, cards=[card], data_out=out if changed else None)

    @staticmethod
    def _renames(mappings: list[dict], cols: list[str], p: SemanticMapperParams):
        renames: dict[str, str] = {}
        collisions: list[tuple[str, str]] = []
        if not p.apply_mappings:
            return renames, collisions
        taken = set(cols)
        for m in mappings:
            src, std = m["original_name"], m["standard_name"]
            if m["status"] != "mapped" or not std or std == src:
                continue
            if std in taken:
                collisions.append((src, std))
                continue
            renames[src] = std
            taken.discard(src)
            taken.add(std)
        return renames, collisions

    @staticmethod
    def _value_mappings(ctx, sample: pl.DataFrame, cols: list[str], kinds: dict, p: SemanticMapperParams):
        exprs, maps, unmapped = [], {}, []
        custom = resolve_keys(ctx, SemanticMapper.id, "custom_value_mappings", p.custom_value_mappings, cols)
        for c in cols:
            if sample[c].dtype != pl.String:
                continue
            table_ = VALUE_DICTIONARIES.get(kinds.get(c) or "")
            if c in custom:
                exprs.append(pl.col(c).replace(custom[c]).alias(c))
                maps[c] = custom[c]
                continue
            if not table_:
                continue
            vals = sample[c].drop_nulls().unique().to_list()
            found = {v: table_[v.strip().lower()] for v in vals if v.strip().lower() in table_
                     and table_[v.strip().lower()] != v}
            maps[c] = found
            missing = [v for v in vals if v.strip().lower() not in table_][:20]
            if missing:
                unmapped.append({"column": c, "values": missing})
            if p.standardize_values:
                low = pl.col(c).str.strip_chars().str.to_lowercase()
                exprs.append(pl.coalesce(low.replace_strict(table_, default=None), pl.col(c)).alias(c))
        return exprs, maps, unmapped
