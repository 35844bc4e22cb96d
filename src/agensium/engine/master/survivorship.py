"""Survivorship: per-field winner of every multi-record cluster, with confidence and provenance.

Each field is resolved by one vectorised pass: sort the cluster members by the rule's order key
(parsed timestamp, source rank, validity, frequency, completeness, …) and take the first value per
cluster in a group_by. Timestamps are parsed to real datetimes (never compared as strings).
Singleton clusters are copied through with confidence 1. A field's confidence is the share of members
agreeing with the winner, plus half the rule's own reliability on the remaining share: unanimous
values score 1, a clear majority passes review, ties and scattered values do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from agensium.engine.agent import ROW_ID
from agensium.engine.values import contact, identifiers, phones
from agensium.engine.values.dates import any_date, plausible_birth_date
from agensium.engine.values.text import as_text
from agensium.errors import AgensiumError, ErrorCode

RULE_ALIASES = {
    "most_recent": "most_recent", "freshness": "most_recent", "latest": "most_recent",
    "source_priority": "source_priority", "most_complete": "most_complete", "completeness": "most_complete",
    "most_frequent": "most_frequent", "frequency": "most_frequent", "longest": "longest", "richness": "longest",
    "validated": "validated", "validation": "validated", "format_valid": "validated", "min": "min", "max": "max",
    "first": "first", "last": "last", "quality_score": "quality_score",
}
RULE_BASE_CONFIDENCE = {"most_recent": 0.85, "source_priority": 0.9, "most_complete": 0.8, "most_frequent": 0.7,
                        "longest": 0.75, "validated": 0.85, "min": 0.9, "max": 0.9, "first": 0.6, "last": 0.6,
                        "quality_score": 0.8}
CID = "__cluster_id__"


def canonical_rule(rule: str, where: str) -> str:
    r = RULE_ALIASES.get(rule.strip().lower())
    if r is None:
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS, f"{where}: unknown survivorship rule '{rule}'",
                            {"rule": rule, "allowed": sorted(RULE_ALIASES)})
    return r


@dataclass
class SurvivorshipConfig:
    columns: list[str]
    rules: dict[str, str]
    default_rule: str
    kinds: dict[str, str | None]
    source_column: str | None = None
    source_priority: dict[str, int] | None = None
    timestamp_column: str | None = None
    validation_rules: dict[str, dict[str, Any]] | None = None
    identifier_columns: tuple[str, ...] = ()
    """Per-record ids and record metadata (source, timestamps): taken from the cluster's first (or, for
    the timestamp, most recent) record; never a conflict and not part of the trust score."""


def parse_timestamp(col: str, dtype: pl.DataType) -> pl.Expr:
    """A real, comparable timestamp from a Date/Datetime, epoch number or text column."""
    c = pl.col(col)
    if isinstance(dtype, pl.Datetime):
        return c.cast(pl.Datetime("us"))
    if dtype == pl.Date:
        return c.cast(pl.Datetime("us"))
    if dtype.is_numeric():
        return pl.from_epoch(c.cast(pl.Int64), time_unit="s")
    t = c.cast(pl.String).str.strip_chars()
    return pl.coalesce([any_date(t), t.str.to_datetime(strict=False, time_unit="us")])


def validity(col: str, kind: str | None, dtype: pl.DataType, rule: dict[str, Any] | None) -> pl.Expr:
    """1 when the value passes its type's format check (and the user's rule), else 0."""
    c = pl.col(col)
    ok = c.is_not_null()
    if dtype == pl.String:
        t = c.str.strip_chars()
        if kind == "email":
            ok = ok & contact.is_email(c)
        elif kind == "phone":
            ok = ok & phones.is_possible_phone(c)
        elif kind in ("dob", "date", "created_at", "updated_at"):
            d = any_date(t)
            ok = ok & (plausible_birth_date(d) if kind == "dob" else d.is_not_null())
        elif kind == "postcode":
            ok = ok & identifiers.is_postcode(t)
        if rule:
            if rule.get("pattern"):
                ok = ok & t.str.contains(f"^(?:{rule['pattern']})$")
            if rule.get("min_length"):
                ok = ok & (t.str.len_chars() >= int(rule["min_length"]))
    elif kind == "dob" and dtype in (pl.Date, pl.Datetime("us"), pl.Datetime("ns"), pl.Datetime("ms")):
        ok = ok & plausible_birth_date(c.cast(pl.Date))
    if rule and rule.get("allowed_values") is not None:
        ok = ok & c.cast(pl.String).is_in([str(v) for v in rule["allowed_values"]])
    return ok.cast(pl.Int8)


def _order(rule: str, col: str, dtype: pl.DataType) -> tuple[list[pl.Expr], list[bool]]:
    """Sort keys (after the cluster id) whose first row per cluster is the winner."""
    length = as_text(pl.col(col), dtype).str.len_chars()
    by_row = (pl.col(ROW_ID), False)
    keys: dict[str, list[tuple[pl.Expr, bool]]] = {
        "most_recent": [(pl.col("__ts"), True), by_row],
        "source_priority": [(pl.col("__rank"), False), (pl.col("__ts"), True), by_row],
        "most_complete": [(length, True), (pl.col("__filled"), True), by_row],
        "most_frequent": [(pl.col("__freq"), True), (pl.col("__filled"), True), by_row],
        "longest": [(length, True), by_row],
        "validated": [(pl.col("__valid"), True), (pl.col("__freq"), True), by_row],
        "min": [(pl.col(col), False), by_row],
        "max": [(pl.col(col), True), by_row],
        "first": [by_row],
        "last": [(pl.col(ROW_ID), True)],
        "quality_score": [(pl.col("__quality"), True), (length, True), by_row],
    }
    pairs = keys[rule]
    return [e for e, _ in pairs], [d for _, d in pairs]


def resolve(members: pl.DataFrame, clusters: pl.DataFrame, cfg: SurvivorshipConfig) -> tuple[pl.DataFrame,
                                                                                            pl.DataFrame]:
    """(golden records one row per cluster, provenance one row per cluster and field of multi-row clusters).

    `members` holds ROW_ID and the data columns; `clusters` holds row_id, cluster_id, cluster_size.
    """
    schema = members.schema
    df = members.join(clusters.select(pl.col("row_id").alias(ROW_ID), pl.col("cluster_id").alias(CID),
                                      "cluster_size"), on=ROW_ID, how="left")
    df = df.with_columns(pl.col(CID).fill_null(pl.col(ROW_ID)), pl.col("cluster_size").fill_null(1))
    singles = df.filter(pl.col("cluster_size") == 1)
    multi = df.filter(pl.col("cluster_size") > 1)
    aux: list[pl.Expr] = [pl.sum_horizontal([pl.col(c).is_not_null() for c in cfg.columns]).alias("__filled")]
    if cfg.timestamp_column:
        aux.append(parse_timestamp(cfg.timestamp_column, schema[cfg.timestamp_column]).alias("__ts"))
    else:
        aux.append(pl.lit(None, dtype=pl.Datetime("us")).alias("__ts"))
    if cfg.source_column and cfg.source_priority:
        ranks = {str(k): int(v) for k, v in cfg.source_priority.items()}
        aux.append(pl.col(cfg.source_column).cast(pl.String).replace_strict(ranks, default=10**9,
                                                                            return_dtype=pl.Int64).alias("__rank"))
    else:
        aux.append(pl.lit(10**9, dtype=pl.Int64).alias("__rank"))
    multi = multi.with_columns(aux)
    golden_parts = [multi.group_by(CID).agg(pl.len().alias("__source_count__"),
                                            pl.col(ROW_ID).sort().alias("__source_rows__"))]
    prov_parts = []
    for col in cfg.columns:
        ident = col in cfg.identifier_columns and col not in cfg.rules
        rule = ("most_recent" if col == cfg.timestamp_column else "first") if ident \
            else cfg.rules.get(col, cfg.default_rule)
        dtype = schema[col]
        cand = multi.filter(pl.col(col).is_not_null()).with_columns(
            pl.len().over(CID, col).alias("__freq"),
            validity(col, cfg.kinds.get(col), dtype, (cfg.validation_rules or {}).get(col)).alias("__valid"))
        cand = cand.with_columns(
            (0.4 * pl.col("__valid") + 0.3 * pl.col("__freq") / pl.len().over(CID)
             + 0.3 * pl.col("__filled") / max(1, len(cfg.columns))).alias("__quality"))
        keys, desc = _order(rule, col, dtype)
        if rule == "most_recent" and not cfg.timestamp_column:
            keys, desc = [pl.col(ROW_ID)], [True]  # no timestamp: the latest row
        ranked = cand.sort([pl.col(CID), *keys], descending=[False, *desc], nulls_last=True)
        agg = ranked.group_by(CID, maintain_order=True).agg(
            pl.col(col).first().alias(col),
            pl.col(ROW_ID).first().alias("source_row"),
            pl.len().alias("values"),
            pl.col(col).n_unique().alias("distinct_values"),
            (pl.col(col) == pl.col(col).first()).sum().alias("support"),
            pl.col("__rank").first().alias("__wrank"),
            pl.col("__ts").first().is_not_null().alias("__has_ts"),
        )
        base = RULE_BASE_CONFIDENCE[rule]
        base_expr = pl.lit(base)
        if rule == "most_recent":
            base_expr = pl.when(pl.col("__has_ts")).then(base).otherwise(0.6)
        elif rule == "source_priority":
            base_expr = pl.when(pl.col("__wrank") < 10**9).then(base).otherwise(0.6)
        conf = pl.when((pl.col("distinct_values") == 1) | pl.lit(ident)).then(1.0).otherwise(
            pl.col("support") / pl.col("values") + (1 - pl.col("support") / pl.col("values")) * base_expr / 2)
        agg = agg.with_columns(conf.alias("confidence"))
        if not ident:
            golden_parts.append(agg.select(CID, col, pl.col("confidence").alias(f"__conf__{col}")))
        else:
            golden_parts.append(agg.select(CID, col))
        prov_parts.append(agg.select(
            pl.col(CID).alias("cluster_id"), pl.lit(col).alias("column"), as_text(pl.col(col), dtype).alias("value"),
            "source_row", pl.lit(rule).alias("rule"), pl.col("confidence").round(4), "values", "distinct_values",
            ((pl.col("distinct_values") > 1) & pl.lit(not ident)).alias("conflict")))
    golden = golden_parts[0]
    for part in golden_parts[1:]:
        golden = golden.join(part, on=CID, how="left")
    conf_cols = [f"__conf__{c}" for c in cfg.columns if c not in cfg.identifier_columns or c in cfg.rules]
    golden = golden.with_columns(
        pl.mean_horizontal(conf_cols).fill_null(1.0).round(4).alias("__trust_score__") if conf_cols
        else pl.lit(1.0).alias("__trust_score__"),
        pl.sum_horizontal([pl.col(c) < 1.0 for c in conf_cols]).alias("__conflicts__") if conf_cols
        else pl.lit(0).alias("__conflicts__"),
    )
    single_golden = singles.select(
        pl.col(CID), *[pl.col(c) for c in cfg.columns], pl.lit(1, dtype=pl.UInt32).alias("__source_count__"),
        pl.concat_list(pl.col(ROW_ID)).alias("__source_rows__"), pl.lit(1.0).alias("__trust_score__"),
        pl.lit(0, dtype=pl.UInt32).alias("__conflicts__"),
        *[pl.lit(1.0).alias(c) for c in conf_cols])
    golden = golden.select(single_golden.columns)
    golden = pl.concat([golden, single_golden.cast(golden.schema)]).sort(CID)
    prov = pl.concat(prov_parts) if prov_parts else pl.DataFrame()
    return golden, prov
