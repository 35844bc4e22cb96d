"""Choose the matching fields from semantic types and normalise their values (vectorised)."""

from __future__ import annotations

import polars as pl

from agensium.engine.agent import ROW_ID
from agensium.engine.master.er.config import Comparator, ERConfig, FieldSpec
from agensium.engine.master.semantic_types import detect_all
from agensium.engine.values.dates import DatePlan, any_date, distinct_counts, plan_dates

KIND_TO_COMPARATOR: dict[str, Comparator] = {
    "first_name": "name", "last_name": "name", "middle_name": "name", "full_name": "name",
    "dob": "date", "date": "date", "email": "email", "phone": "phone", "address": "address",
    "street_number": "exact", "city": "text", "state": "text", "country": "text", "company": "text",
    "postcode": "code", "national_id": "code", "customer_id": "code", "account_id": "code", "gender": "exact",
}
SKIP_KINDS = {"source", "created_at", "updated_at", "status", "price", "amount", "quantity", "age",
              "order_id", "product_id"}


def choose_fields(lf: pl.LazyFrame, config: ERConfig) -> tuple[list[FieldSpec], dict[str, str | None]]:
    """Zero-config: compare every column whose type carries identity evidence; skip row ids and noise."""
    kinds = {c: k for c, (k, _, _) in detect_all(lf).items()}
    if config.fields:
        return [f.model_copy(update={"weight": config.weights.get(f.column, f.weight)}) for f in config.fields], kinds
    cols = [c for c in kinds if not config.columns or c in config.columns]
    stats = lf.select(
        [pl.len().alias("__n")]
        + [pl.col(c).n_unique().alias(f"u:{c}") for c in cols]
        + [pl.col(c).null_count().alias(f"z:{c}") for c in cols]
    ).collect().row(0, named=True)
    n = stats["__n"]
    schema = lf.collect_schema()
    fields: list[FieldSpec] = []
    for c in cols:
        kind = kinds[c]
        nonnull = n - stats[f"z:{c}"]
        distinct = stats[f"u:{c}"] - (1 if stats[f"z:{c}"] else 0)
        if kind in SKIP_KINDS or nonnull < max(2, 0.1 * n) or distinct < 1 or (distinct == 1 and n >= 1000):
            continue  # a constant column says nothing, except in a tiny table that may be all one entity
        if distinct >= nonnull and n > 1 and kind in (None, "id", "customer_id", "account_id"):
            continue  # a row identifier: unique per row, says nothing about identity
        comp = KIND_TO_COMPARATOR.get(kind or "")
        if comp is None:
            if kind == "id":
                comp = "code"
            elif schema[c] == pl.String:
                comp = "text"
            elif schema[c].is_integer() or schema[c] in (pl.Date, pl.Datetime):
                comp = "exact"
            else:
                continue
        fields.append(FieldSpec(column=c, comparator=comp, weight=config.weights.get(c, 1.0)))
    firsts = [f for f in fields if kinds.get(f.column) == "first_name"]
    lasts = [f for f in fields if kinds.get(f.column) == "last_name"]
    if len(firsts) == 1 and len(lasts) == 1:
        firsts[0].partner, lasts[0].partner = lasts[0].column, firsts[0].column
    return fields, kinds


def _as_text(col: str, dtype: pl.DataType) -> pl.Expr:
    e = pl.col(col)
    return e if dtype == pl.String else e.cast(pl.String, strict=False)


def _clean_text(e: pl.Expr) -> pl.Expr:
    e = e.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    return pl.when(e.str.len_chars() > 0).then(e)


def date_formats(sample: pl.Series) -> DatePlan | None:
    """How this column writes its dates (the value layer's plan), from a sample."""
    return plan_dates(distinct_counts(sample.drop_nulls().cast(pl.String).head(2000)))


def normalise_date(col: str, dtype: pl.DataType, plan: DatePlan | None = None) -> pl.Expr:
    """Canonical YYYYMMDD text; unparseable values keep their digits (a typo is still evidence)."""
    if dtype in (pl.Date, pl.Datetime):
        return pl.col(col).dt.strftime("%Y%m%d")
    s = _as_text(col, dtype).str.strip_chars()
    parsed = (plan.parse(s, guess=True) if plan is not None else any_date(s)).dt.strftime("%Y%m%d")
    digits = s.str.replace_all(r"\D", "")
    return pl.coalesce(parsed, pl.when(digits.str.len_chars() > 0).then(digits)).alias(col)


def normalise(field: FieldSpec, dtype: pl.DataType, formats: DatePlan | None = None) -> pl.Expr:
    c, comp = field.column, field.comparator
    if comp == "date":
        e = normalise_date(c, dtype, formats)
    elif comp == "email":
        e = _as_text(c, dtype).str.strip_chars().str.to_lowercase()
        e = pl.when(e.str.len_chars() > 0).then(e)
    elif comp == "phone":
        d = _as_text(c, dtype).str.replace_all(r"\D", "")
        e = pl.when(d.str.len_chars() >= 6).then(d.str.slice(-9))
    elif comp == "code":
        d = _as_text(c, dtype).str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")
        e = pl.when(d.str.len_chars() > 0).then(d)
    elif comp == "exact":
        d = _as_text(c, dtype).str.strip_chars().str.to_lowercase()
        e = pl.when(d.str.len_chars() > 0).then(d)
    else:
        e = _clean_text(_as_text(c, dtype))
    return e.alias(c)


def normalised_frame(lf: pl.LazyFrame, fields: list[FieldSpec]) -> pl.DataFrame:
    """ROW_ID plus one normalised text column per matching field, sorted by ROW_ID."""
    schema = lf.collect_schema()
    base = lf if ROW_ID in schema.names() else lf.with_row_index(ROW_ID).with_columns(pl.col(ROW_ID).cast(pl.Int64))
    dates = [f.column for f in fields if f.comparator == "date" and schema[f.column] == pl.String]
    sample = base.select(dates).head(5000).collect() if dates else None
    exprs = [normalise(f, schema[f.column], date_formats(sample[f.column]) if f.column in dates else None)
             for f in fields]
    return base.select(pl.col(ROW_ID).cast(pl.Int64), *exprs).sort(ROW_ID).collect()
