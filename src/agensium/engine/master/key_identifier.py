"""key-identifier: primary, composite, entity and foreign-key candidates, each with its evidence.

All single-column statistics come from one pass. The composite search is level-wise: columns that
cannot help are pruned (too many nulls, one value, floats), a combination is only tried when the
product of its distinct counts can reach the row count, only the most promising non-keys of one
level are grown to the next, supersets of found keys are never tried, and uniqueness is measured
with one `n_unique` per candidate on a sample, then verified on the full data.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import polars as pl
from pydantic import Field

from agensium.engine.agent import (
    Agent,
    AgentParams,
    AgentResult,
    Issue,
    Recommendation,
    RunContext,
    SummaryCard,
)
from agensium.engine.master.common import bar_chart, issue_rows, row_issues, status_of, table, user_columns
from agensium.engine.master.semantic_types import name_kind
from agensium.engine.values import contact, identifiers

ENTITY_KINDS = {"email", "phone", "national_id", "customer_id", "account_id"}
ID_KINDS = {"id", "customer_id", "order_id", "product_id", "account_id", "national_id"}
FK_TARGET = {"customer_id": "customers", "order_id": "orders", "product_id": "products", "account_id": "accounts"}


class KeyIdentifierParams(AgentParams):
    pk_uniqueness_threshold: float = Field(99.0, ge=50, le=100, description="Min % distinct for a primary key")
    pk_null_threshold: float = Field(0.0, ge=0, le=100, description="Max % nulls for a primary key")
    entity_key_uniqueness_min: float = Field(50.0, ge=0, le=100, description="Min % distinct for an entity key")
    entity_key_uniqueness_max: float = Field(99.0, ge=0, le=100, description="Max % distinct for an entity key")
    fk_overlap_threshold: float = Field(70.0, ge=0, le=100,
                                        description="Min % of values found in a reference column for a foreign key")
    reference_tables: dict[str, dict[str, list[Any]]] = Field(
        default_factory=dict, description="{table: {column: [values]}} to test foreign keys against")
    analyze_composite_keys: bool = Field(True, description="Search composite keys when no single key exists")
    max_composite_key_columns: int = Field(3, ge=2, le=10, description="Largest composite key to try")
    composite_sample_rows: int = Field(200_000, ge=1000, le=10_000_000,
                                       description="Rows used to screen composite candidates before verification")
    uniqueness_weight: float = Field(0.4, ge=0, le=1, description="Weight of uniqueness in the key score")
    null_density_weight: float = Field(0.3, ge=0, le=1, description="Weight of completeness in the key score")
    pattern_weight: float = Field(0.3, ge=0, le=1, description="Weight of name/value patterns in the key score")
    excellent_threshold: float = Field(90, ge=0, le=100, description="Score for 'excellent'")
    good_threshold: float = Field(75, ge=0, le=100, description="Score for 'good'")


def _column_stats(lf: pl.LazyFrame, cols: list[str], schema: pl.Schema) -> tuple[int, dict[str, dict]]:
    exprs: list[pl.Expr] = [pl.len().alias("__n")]
    for c in cols:
        exprs += [pl.col(c).n_unique().alias(f"u|{c}"), pl.col(c).null_count().alias(f"z|{c}")]
        if schema[c].is_integer():
            exprs.append(((pl.col(c).drop_nulls().sort().diff() == 1).mean()).alias(f"inc|{c}"))
    row = lf.select(exprs).collect().row(0, named=True)
    n = row["__n"]
    out = {}
    for c in cols:
        nulls = row[f"z|{c}"]
        distinct = row[f"u|{c}"] - (1 if nulls else 0)
        nonnull = n - nulls
        out[c] = {"distinct": distinct, "nulls": nulls, "nonnull": nonnull,
                  "uniqueness": 100.0 * distinct / nonnull if nonnull else 0.0,
                  "null_pct": 100.0 * nulls / n if n else 0.0, "increment_share": row.get(f"inc|{c}")}
    return n, out


def _value_patterns(sample: pl.DataFrame, c: str) -> tuple[str | None, float]:
    s = sample[c].drop_nulls()
    if s.len() == 0 or s.dtype != pl.String:
        return None, 0.0
    for name, check, score in (("uuid", identifiers.is_uuid, 95.0), ("email", contact.is_email, 80.0)):
        share = float(s.to_frame("v").select(check(pl.col("v")).mean()).item() or 0.0)
        if share > 0.8:
            return name, score
    return None, 0.0


def _pattern_score(c: str, st: dict, sample: pl.DataFrame) -> tuple[float, str | None, list[str]]:
    kind, _ = name_kind(c)
    why: list[str] = []
    best, ptype = 0.0, None
    if kind in ID_KINDS:
        best, ptype = 90.0, "id_name"
        why.append(f"name suggests an identifier ({kind})")
    elif kind in ENTITY_KINDS or kind == "email":
        best, ptype = 70.0, "entity_name"
        why.append(f"name suggests an entity attribute ({kind})")
    vp, vs = _value_patterns(sample, c)
    if vp and vs > best:
        best, ptype = vs, vp
        why.append(f"values look like {vp}")
    inc = st.get("increment_share")
    if inc is not None and inc > 0.9 and best < 85.0:
        best, ptype = 85.0, "auto_increment"
        why.append(f"{inc:.0%} of sorted steps are +1 (auto-increment)")
    return best, ptype, why


def _composite_search(lf: pl.LazyFrame, n: int, cols: list[str], stats: dict[str, dict],
                      p: KeyIdentifierParams, ctx: RunContext) -> tuple[list[dict], int]:
    sample_n = min(n, p.composite_sample_rows)
    # screen on 64-bit hashes (one per column, distinct seeds, combined by xor): counting distinct u64
    # is far cheaper than distinct structs of text; a hash collision can only lower a candidate's score
    sample = lf.select([pl.col(c).hash(seed=i + 1).alias(c) for i, c in enumerate(cols)]).head(sample_n).collect()
    need = n * p.pk_uniqueness_threshold / 100.0
    level = [(c,) for c in sorted(cols, key=lambda c: -stats[c]["distinct"])]
    found: list[dict] = []
    tried = 0
    beam = 12
    for size in range(2, p.max_composite_key_columns + 1):
        ctx.check_cancelled()
        cands = set()
        if size == 2:
            for a, b in combinations([x[0] for x in level], 2):
                cands.add(tuple(sorted((a, b), key=cols.index)))
        else:
            for combo in level:
                for c in cols:
                    if c not in combo:
                        cands.add(tuple(sorted((*combo, c), key=cols.index)))
        cands = {cmb for cmb in cands
                 if not any(set(k["columns"]) <= set(cmb) for k in found)
                 and math.prod(stats[c]["distinct"] for c in cmb) >= need}
        if not cands:
            break
        ordered = sorted(cands)
        tried += len(ordered)
        uniq = sample.select([pl.reduce(lambda a, b: a ^ b, [pl.col(c) for c in cmb]).n_unique().alias(str(i))
                              for i, cmb in enumerate(ordered)]).row(0)
        scored = [(cmb, 100.0 * u / sample_n) for cmb, u in zip(ordered, uniq, strict=True)]
        passing = [(cmb, u) for cmb, u in scored if u >= p.pk_uniqueness_threshold]
        if passing:  # verify exactly on the full data
            full = lf.select([pl.struct(list(cmb)).n_unique().alias(str(i)) for i, (cmb, _) in enumerate(passing)])
            fu = full.collect().row(0)
            passing = [(cmb, 100.0 * u / n) for (cmb, _), u in zip(passing, fu, strict=True)]
            passing = [(cmb, u) for cmb, u in passing if u >= p.pk_uniqueness_threshold]
        for cmb, u in passing:
            null_rows = max(stats[c]["null_pct"] for c in cmb)
            found.append({"columns": list(cmb), "uniqueness_percentage": round(u, 4),
                          "null_percentage": round(null_rows, 4),
                          "confidence": round(min(100.0, u - 5 * (len(cmb) - 2) - null_rows), 2),
                          "verified_on_rows": n,
                          "reasoning": [f"{u:.2f}% of rows have a distinct ({', '.join(cmb)}) combination",
                                        f"screened on {sample_n:,} rows, verified on all {n:,}"]})
        keyset = {tuple(k["columns"]) for k in found}
        level = [cmb for cmb, u in sorted(scored, key=lambda x: -x[1]) if cmb not in keyset][:beam]
        if len(found) >= 5:
            break
    return found, tried


class KeyIdentifier(Agent):
    id = "key-identifier"
    Params = KeyIdentifierParams

    def run(self, params: KeyIdentifierParams, ctx: RunContext) -> AgentResult:
        p = params
        lf = ctx.data.lazy()
        schema = lf.collect_schema()
        cols = user_columns(schema)
        n, stats = _column_stats(lf, cols, schema)
        ctx.progress(0.3)
        sample = lf.select(cols).head(1000).collect()
        wsum = (p.uniqueness_weight + p.null_density_weight + p.pattern_weight) or 1.0
        analysis, pks, entities, fks = [], [], [], []
        for c in cols:
            st = stats[c]
            pscore, ptype, why = _pattern_score(c, st, sample)
            key_score = (p.uniqueness_weight * st["uniqueness"] + p.null_density_weight * (100 - st["null_pct"])
                         + p.pattern_weight * pscore) / wsum
            row = {"column": c, "dtype": str(schema[c]), "distinct": st["distinct"],
                   "uniqueness_percentage": round(st["uniqueness"], 4), "null_percentage": round(st["null_pct"], 4),
                   "pattern_type": ptype, "key_score": round(key_score, 2), "classification": "attribute"}
            samples = [str(v) for v in sample[c].drop_nulls().head(5).to_list()]
            if (st["uniqueness"] >= p.pk_uniqueness_threshold and st["null_pct"] <= p.pk_null_threshold
                    and schema[c] != pl.Float64 and n > 0):
                conf = 0.5 * st["uniqueness"] + 0.3 * (100 - st["null_pct"]) + 0.2 * (pscore or 50)
                row["classification"] = "primary_key"
                pks.append({"column": c, "confidence": round(conf, 2),
                            "uniqueness_percentage": row["uniqueness_percentage"],
                            "null_percentage": row["null_percentage"], "pattern_type": ptype,
                            "reasoning": [f"{st['uniqueness']:.2f}% distinct, {st['null_pct']:.2f}% null", *why],
                            "sample_values": samples})
            elif p.entity_key_uniqueness_min <= st["uniqueness"] < max(p.entity_key_uniqueness_max, 0.0001) and (
                    ptype in ("email", "entity_name", "id_name", "uuid") or name_kind(c)[0] in ENTITY_KINDS):
                row["classification"] = "entity_key"
                entities.append({"column": c, "confidence": round(key_score, 2),
                                 "uniqueness_percentage": row["uniqueness_percentage"],
                                 "null_percentage": row["null_percentage"],
                                 "reasoning": [f"{st['uniqueness']:.2f}% distinct: repeats per entity", *why],
                                 "sample_values": samples})
            analysis.append(row)
        ctx.progress(0.5)
        fks = self._foreign_keys(lf, cols, stats, p, pks)
        for fk in fks:
            next(a for a in analysis if a["column"] == fk["column"])["classification"] = fk["type"]
        composite: list[dict] = []
        tried = 0
        if p.analyze_composite_keys and not pks and n > 1:
            usable = [c for c in cols if stats[c]["null_pct"] < 5 and stats[c]["distinct"] > 1
                      and not schema[c].is_float()]
            composite, tried = _composite_search(lf, n, usable, stats, p, ctx)
        ctx.progress(0.8)
        pks.sort(key=lambda k: -k["confidence"])
        issues, recs, frames = self._findings(lf, n, cols, stats, pks, composite, entities, p)
        score = 100.0 if pks else 90.0 if composite else 70.0 if entities else 50.0
        ctx.state["keys"] = {"primary": [k["column"] for k in pks], "composite": [k["columns"] for k in composite],
                             "entity": [k["column"] for k in entities]}
        summary = {"total_columns_analyzed": len(cols), "total_rows": n, "primary_key_candidates": len(pks),
                   "composite_key_candidates": len(composite), "entity_key_candidates": len(entities),
                   "foreign_key_candidates": len(fks), "composite_combinations_tried": tried,
                   "total_issues": len(issues)}
        best = pks[0]["column"] if pks else (" + ".join(composite[0]["columns"]) if composite else "none")
        data = {
            "analysis_score": score, "quality_status": status_of(score, p.excellent_threshold, p.good_threshold),
            "column_analysis": analysis, "candidate_primary_keys": pks, "candidate_foreign_keys": fks,
            "candidate_entity_keys": entities, "composite_key_candidates": composite,
            "tables": [
                table("Column key analysis", ["column", "classification", "uniqueness %", "null %", "pattern",
                                              "key score"],
                      ([a["column"], a["classification"], a["uniqueness_percentage"], a["null_percentage"],
                        a["pattern_type"], a["key_score"]] for a in analysis)),
                table("Composite key candidates", ["columns", "uniqueness %", "confidence"],
                      ([", ".join(k["columns"]), k["uniqueness_percentage"], k["confidence"]] for k in composite)),
            ],
            "charts": [bar_chart("Uniqueness by column (%)", [a["column"] for a in analysis],
                                 [a["uniqueness_percentage"] for a in analysis], "uniqueness %")],
        }
        card = SummaryCard(title="Best key", value=best, status="excellent" if pks else "good" if composite
                           else "warning", description=f"{len(pks)} primary, {len(composite)} composite, "
                           f"{len(entities)} entity, {len(fks)} foreign key candidates")
        return AgentResult(agent_id=self.id, summary=summary, data=data, score=score, issues=issues,
                           recommendations=recs, cards=[card], row_issues=row_issues(frames))

    def _foreign_keys(self, lf, cols, stats, p, pks) -> list[dict]:
        out = []
        pk_cols = {k["column"] for k in pks}
        for table_name, ref_cols in p.reference_tables.items():
            for ref_col, values in ref_cols.items():
                ref = pl.Series("v", [str(v) for v in values]).unique()
                for c in cols:
                    vals = lf.select(pl.col(c).cast(pl.String).drop_nulls().unique()).collect().to_series()
                    if vals.len() == 0:
                        continue
                    overlap = 100.0 * float(vals.is_in(ref.implode()).mean() or 0.0)
                    if overlap >= p.fk_overlap_threshold:
                        out.append({"column": c, "type": "foreign_key", "references": f"{table_name}.{ref_col}",
                                    "overlap_percentage": round(overlap, 2),
                                    "reasoning": [f"{overlap:.1f}% of distinct values exist in "
                                                  f"{table_name}.{ref_col}"]})
        found = {f["column"] for f in out}
        for c in cols:
            kind, _ = name_kind(c)
            if c in found or c in pk_cols:
                continue
            if kind in FK_TARGET or (c.lower().startswith("fk_") or c.lower().endswith("_ref")):
                out.append({"column": c, "type": "potential_foreign_key", "references": FK_TARGET.get(kind or ""),
                            "overlap_percentage": None,
                            "reasoning": [f"name suggests a reference to {FK_TARGET.get(kind or '', 'another table')}",
                                          f"{stats[c]['uniqueness']:.1f}% distinct (repeats, so not this table's key)"]})
        return out

    def _findings(self, lf, n, cols, stats, pks, composite, entities, p):
        issues: list[Issue] = []
        recs: list[Recommendation] = []
        frames = []
        if not pks and not composite and n > 0:
            issues.append(Issue(field=None, issue_type="no_primary_key", severity="high",
                                message="No column or column combination uniquely identifies the rows"))
            recs.append(Recommendation(field=None, priority="high",
                                       recommendation="Add a surrogate key (e.g. a row id) before mastering"))
        # near-keys: identifier-like columns that are almost unique or have nulls
        near = [c for c in cols if name_kind(c)[0] in ID_KINDS and c not in {k["column"] for k in pks}
                and stats[c]["uniqueness"] >= 90]
        for c in near[:3]:
            st = stats[c]
            if st["nulls"]:
                issues.append(Issue(field=c, issue_type="pk_has_nulls", severity="high", count=st["nulls"],
                                    message=f"{c} looks like a key but has {st['nulls']} null(s)"))
                frames.append(issue_rows(lf, pl.col(c).is_null(), c, "null_key_value", "critical",
                                         f"{c}: key value is missing", limit=1000))
            if st["uniqueness"] < 100:
                dup_n = st["nonnull"] - st["distinct"]
                issues.append(Issue(field=c, issue_type="pk_not_fully_unique", severity="medium", count=dup_n,
                                    message=f"{c} is {st['uniqueness']:.2f}% unique: {dup_n} repeated value(s)"))
                frames.append(issue_rows(lf, pl.col(c).is_not_null() & pl.col(c).is_duplicated(), c,
                                         "duplicate_key_value", "medium", f"{c}: value is not unique", limit=1000))
        for e in entities:
            if e["null_percentage"] > 20:
                issues.append(Issue(field=e["column"], issue_type="entity_key_high_nulls", severity="medium",
                                    message=f"{e['column']} is {e['null_percentage']:.1f}% null"))
        return issues, recs, frames

