"""Semantic type of a column: what its values are (from the value layer, `agensium.engine.values`),
refined for the profile with the column's exact statistics (categorical, identifier, free text).

Exact counts stay exact: a seeded sample only decides WHAT a column holds; how many values conform,
which are placeholders, which formats and currencies occur, is then counted over the whole column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from agensium.engine.profile.stats import ColumnStats
from agensium.engine.values import Kind, ValueType
from agensium.engine.values.text import shape_mask


@dataclass
class SemanticType:
    type: str
    """A value kind (email, url, phone, ipv4, ipv6, credit_card, iban, ssn, uuid, date_text, number_text,
    currency, boolean_text, postcode, person_name), or for other columns: boolean_like, id_like,
    categorical, free_text, text, numeric, boolean, date, datetime, time, duration, empty, other."""
    confidence: float
    """Share of the sampled present values that conform to the type (1.0 for structural types)."""
    values: ValueType | None = None
    """The value layer's type of a text column (checks, parsers, placeholder vocabulary)."""

    @property
    def shares(self) -> dict[str, float]:
        return self.values.shares if self.values is not None else {}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "confidence": round(self.confidence, 4)}
        vt = self.values
        if vt is not None and vt.kind not in (Kind.TEXT, Kind.EMPTY):
            out.update({k: v for k, v in vt.describe().items() if k not in ("kind", "share")})
        if self.shares:
            out["evidence"] = {k: round(v, 4) for k, v in self.shares.items() if v > 0}
        return out


def _is_categorical(st: ColumnStats, threshold: int, ratio: float) -> bool:
    present = st.present
    if not st.distinct or present <= 0:
        return False
    return st.distinct <= threshold or (st.distinct / present <= ratio and st.distinct <= 1000)


def infer_semantic(
    st: ColumnStats,
    sample: pl.Series,
    text_type: ValueType | None,
    *,
    categorical_threshold: int = 20,
    categorical_ratio: float = 0.05,
) -> SemanticType:
    """Decide what a column holds from its exact statistics, the value layer's type of its text (for text
    columns) and a seeded sample of its values."""
    non_null = st.rows - st.null_count - st.nan_count
    if non_null == 0 or (st.kind == "string" and st.present <= 0):
        return SemanticType("empty", 1.0, text_type)
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
    if st.kind != "string" or text_type is None:
        return SemanticType("other", 1.0)
    if text_type.kind not in (Kind.TEXT, Kind.EMPTY):
        return SemanticType(text_type.kind.value, text_type.share, text_type)
    values = sample.drop_nulls().cast(pl.String)
    values = values.filter(values.str.strip_chars() != "")
    if st.distinct == st.present and st.present > 1 and float(values.str.contains(r"\s").mean() or 0.0) < 0.05:
        return SemanticType("id_like", 1.0, text_type)
    if _is_categorical(st, categorical_threshold, categorical_ratio):
        return SemanticType("categorical", 1.0, text_type)
    spaced = float(values.str.contains(r"\S\s+\S").mean() or 0.0)
    if spaced >= 0.5 and (st.text or {}).get("length_mean", 0) and st.text["length_mean"] >= 25:
        return SemanticType("free_text", 1.0, text_type)
    return SemanticType("text", 1.0, text_type)


def pattern_summary(values: pl.Series, top_n: int = 10) -> dict[str, Any]:
    """Shape masks (A = upper-case letter, a = lower-case, 9 = digit) of a sample of text values."""
    v = values.drop_nulls().cast(pl.String)
    if v.len() == 0:
        return {"sampled_values": 0, "distinct_patterns": 0, "top_patterns": []}
    masks = v.to_frame("v").select(
        shape_mask(pl.col("v"), collapse=True).alias("pattern"),
        shape_mask(pl.col("v")).alias("full"),
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
