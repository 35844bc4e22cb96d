"""Semantic type of a column, judged from its values (a seeded sample), never from its name.

Exact counts stay exact: the sample only decides WHAT a column holds; how many values conform is
then counted over the whole column with the vectorised validator (`conformance_expr`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from agensium.engine import semantics as sem
from agensium.engine.profile.stats import ColumnStats

VALIDATORS: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "email": sem.is_email,
    "url": sem.is_url,
    "ipv4": sem.is_ipv4,
    "credit_card": sem.is_card_number,
    "iban": sem.is_iban,
    "ssn": sem.is_us_ssn,
    "boolean_text": sem.is_boolean_text,
    "number_text": sem.is_number_text,
    "phone": sem.phone_candidate,
    "ipv6": sem.ipv6_candidate,
}
"""Value-conformance checks, in the order they are tried (most specific first)."""

SHAPE_ONLY = {"phone": "phone_shape", "ipv6": "ipv6_shape"}
"""Checks that test only a value's shape (a date such as 2020-01-01 has a phone's shape); the report
names them so, and the type is decided by the stricter check that follows them."""

TEXT_TYPES = ("email", "url", "ipv4", "ipv6", "credit_card", "iban", "ssn", "date_text", "boolean_text",
              "phone", "number_text")


@dataclass
class SemanticType:
    type: str
    """email, url, phone, ipv4, ipv6, credit_card, iban, ssn, date_text, number_text, boolean_text,
    boolean_like, id_like, categorical, free_text, text, numeric, boolean, date, datetime, time, duration,
    empty."""
    confidence: float
    """Share of the sampled values that conform to the type (1.0 for structural types)."""
    date_format: str | None = None
    decimal: str | None = None
    """number_text: the decimal separator the values use ("." or ",", decided from the values)."""
    shares: dict[str, float] = field(default_factory=dict)
    """Share of sampled values accepted by each value check (evidence shown in the report)."""

    @property
    def has_validator(self) -> bool:
        return self.type in VALIDATORS or self.type == "date_text"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "confidence": round(self.confidence, 4)}
        if self.date_format:
            out["date_format"] = self.date_format
        if self.decimal:
            out["decimal_separator"] = self.decimal
        if self.shares:
            out["evidence"] = {SHAPE_ONLY.get(k, k): round(v, 4) for k, v in self.shares.items() if v > 0}
        return out


def parsed_expr(semantic: SemanticType, column: str) -> pl.Expr | None:
    """The values of a column of dates or numbers written as text, as dates or numbers (null where one
    does not parse); None for any other column."""
    col = pl.col(column)
    if semantic.type == "date_text" and semantic.date_format:
        return sem.parse_date(col, semantic.date_format)
    if semantic.type == "number_text":
        return sem.parse_number(col, "," if semantic.decimal == "," else ".")
    return None


def conformance_expr(semantic: SemanticType, column: str) -> pl.Expr | None:
    """True where a value conforms to the column's semantic type (null where the value is null)."""
    parsed = parsed_expr(semantic, column)
    if parsed is not None:
        return parsed.is_not_null()
    fn = VALIDATORS.get(semantic.type)
    return fn(pl.col(column)) if fn else None


PREFILTERS: dict[str, str] = {
    "credit_card": r"^\s*\d[\d \-]{10,22}\d\s*$",
    "iban": r"^\s*[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{11,40}\s*$",
}
"""Cheap shape tests run first; the costly checksum validators run only on values that pass them."""


def _shares(values: pl.Series, min_share: float) -> dict[str, float]:
    """Share of values accepted by every validator (cheap ones in one query, checksums only if plausible)."""
    frame = values.to_frame("v")
    cheap = {n: fn for n, fn in VALIDATORS.items() if n not in PREFILTERS}
    exprs = [fn(pl.col("v")).mean().alias(n) for n, fn in cheap.items()]
    exprs += [pl.col("v").str.contains(rx).mean().alias(n) for n, rx in PREFILTERS.items()]
    out = {k: float(v or 0.0) for k, v in frame.select(exprs).row(0, named=True).items()}
    for name, rx in PREFILTERS.items():
        if out[name] >= min_share:
            shaped = frame.filter(pl.col("v").str.contains(rx))
            out[name] = float(shaped.select(VALIDATORS[name](pl.col("v")).sum()).item() or 0) / len(values)
        else:
            out[name] = 0.0
    return out


def _is_categorical(st: ColumnStats, threshold: int, ratio: float) -> bool:
    non_null = st.rows - st.null_count
    if not st.distinct or non_null == 0:
        return False
    return st.distinct <= threshold or (st.distinct / non_null <= ratio and st.distinct <= 1000)


def value_type(sample: pl.Series, *, min_share: float = 0.8, phone_region: str | None = "US") -> SemanticType:
    """What the sampled TEXT values are, judged by the value checks alone (type "text" if none fits).

    Decided before the exact pass, so the pass can count conforming values of the whole column.
    """
    values = sample.drop_nulls().cast(pl.String)
    values = values.filter(values.str.strip_chars() != "")
    if values.len() == 0:
        return SemanticType("empty", 1.0)
    shares = _shares(values, min_share)
    fmt, date_share = sem.best_date_format(values)
    shares["date_text"] = date_share
    for name in ("email", "url", "ipv4", "credit_card", "iban", "ssn"):
        if shares[name] >= min_share:
            return SemanticType(name, shares[name], shares=shares)
    if shares["ipv6"] >= min_share:
        uniq = values.unique().head(200).to_list()
        ok = sum(sem.is_ipv6_value(v) for v in uniq) / len(uniq)
        if ok >= min_share:
            return SemanticType("ipv6", shares["ipv6"] * ok, shares=shares)
    if date_share >= min_share:
        return SemanticType("date_text", date_share, date_format=fmt, shares=shares)
    if shares["boolean_text"] >= min_share and values.str.to_lowercase().str.strip_chars().n_unique() <= 4:
        return SemanticType("boolean_text", shares["boolean_text"], shares=shares)
    if shares["phone"] >= min_share:
        # digits alone are numbers unless they are written like phone numbers (+, spaces, brackets, dashes)
        formatted = float(values.str.contains(r"^\+|^00|[\s()\-]").mean() or 0.0)
        if formatted >= 0.5:
            uniq = values.unique().head(200).to_list()
            valid = sum(sem.valid_phones(uniq, phone_region, strict=False)) / len(uniq)
            if valid >= min_share:
                return SemanticType("phone", shares["phone"], shares={**shares, "phone_valid": valid})
    return _number_text(values, shares, min_share) or SemanticType("text", 1.0, shares=shares)


def _number_text(values: pl.Series, shares: dict[str, float], min_share: float) -> SemanticType | None:
    """Numbers written as text ("$1,234.50", "12%", "(5)", "1.234,56"), with the column's decimal separator:
    ',' when more values can only be read that way (12,5 or 1.234,56) than only with '.'."""
    frame = values.to_frame("v")
    dot, comma = frame.select(*sem.decimal_evidence(pl.col("v"))).row(0)
    decimal = "," if comma > dot else "."
    share = shares["number_text"] if decimal == "." else \
        float(frame.select(sem.is_number_text(pl.col("v"), ",").mean()).item() or 0.0)
    if share < min_share:
        return None
    return SemanticType("number_text", share, decimal=decimal, shares={**shares, "number_text": share})


def infer_semantic(
    st: ColumnStats,
    sample: pl.Series,
    *,
    min_share: float = 0.8,
    categorical_threshold: int = 20,
    categorical_ratio: float = 0.05,
    phone_region: str | None = "US",
    text_type: SemanticType | None = None,
) -> SemanticType:
    """Decide what a column holds from its exact statistics and a seeded sample of its values.

    `text_type`: the result of `value_type` for a text column, when already computed.
    """
    non_null = st.rows - st.null_count - st.nan_count
    if non_null == 0 or (st.kind == "string" and st.present == 0):
        return SemanticType("empty", 1.0)
    if st.kind == "boolean":
        return SemanticType("boolean", 1.0)
    if st.kind == "temporal":
        kind = next((k for k in ("Datetime", "Duration", "Time", "Date") if st.dtype.startswith(k)), "Date")
        return SemanticType(kind.lower(), 1.0)
    if st.kind == "numeric":
        num = st.numeric or {}
        if st.distinct == 2 and num.get("min") == 0 and num.get("max") == 1:
            return SemanticType("boolean_like", 1.0)
        if "Int" in st.dtype and st.distinct == non_null and non_null >= 0.99 * st.rows and non_null > 1:
            return SemanticType("id_like", 1.0)
        if "Int" in st.dtype and _is_categorical(st, categorical_threshold, categorical_ratio):
            return SemanticType("categorical", 1.0)
        return SemanticType("numeric", 1.0)
    if st.kind != "string":
        return SemanticType("other", 1.0)
    vt = text_type or value_type(sample, min_share=min_share, phone_region=phone_region)
    if vt.type not in ("text", "empty"):
        return vt
    shares = vt.shares
    values = sample.drop_nulls().cast(pl.String)
    values = values.filter(values.str.strip_chars() != "")
    non_blank = st.present
    if st.distinct == non_blank and non_blank > 1 and float(values.str.contains(r"\s").mean() or 0.0) < 0.05:
        return SemanticType("id_like", 1.0, shares=shares)
    if _is_categorical(st, categorical_threshold, categorical_ratio):
        return SemanticType("categorical", 1.0, shares=shares)
    spaced = float(values.str.contains(r"\S\s+\S").mean() or 0.0)
    if spaced >= 0.5 and (st.text or {}).get("length_mean", 0) and st.text["length_mean"] >= 25:
        return SemanticType("free_text", 1.0, shares=shares)
    return SemanticType("text", 1.0, shares=shares)


def pattern_summary(values: pl.Series, top_n: int = 10) -> dict[str, Any]:
    """Shape masks (A = upper-case letter, a = lower-case, 9 = digit) of a sample of text values."""
    v = values.drop_nulls().cast(pl.String)
    if v.len() == 0:
        return {"sampled_values": 0, "distinct_patterns": 0, "top_patterns": []}
    masks = v.to_frame("v").select(
        sem.shape_mask(pl.col("v"), collapse=True).alias("pattern"),
        sem.shape_mask(pl.col("v")).alias("full"),
    )
    vc = masks.group_by("pattern").agg(pl.len().alias("count"), pl.col("full").first().alias("example_full"))
    vc = vc.sort(["count", "pattern"], descending=[True, False]).head(top_n)
    return {
        "sampled_values": v.len(),
        "distinct_patterns": masks["pattern"].n_unique(),
        "distinct_full_patterns": masks["full"].n_unique(),
        "top_patterns": [
            {"pattern": p, "full_pattern_example": f, "count": int(n), "pct": round(100 * n / v.len(), 2)}
            for p, n, f in vc.select("pattern", "count", "example_full").iter_rows()
        ],
    }
