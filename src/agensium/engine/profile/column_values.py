"""The value layer's exact pass over one in-memory batch of the profile: per text column its
`ColumnValues` (placeholders, conforming values, formats, currencies, spelling variants), and per row
the cells that are defective, and a hash of the row as compared for near duplicates."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from agensium.engine.profile.stats import ColumnStats, json_scalar
from agensium.engine.values import (
    ColumnValues,
    ValueType,
    agg_exprs,
    defect_expr,
    missing_expr,
    normalised_expr,
    read_measures,
    spelling_variants,
    with_rows,
)
from agensium.engine.values.dates import distinct_counts, plan_dates
from agensium.engine.values.kinds import Kind
from agensium.engine.values.measure import SEP, present_expr

KEY_NAME = re.compile(r"(?:^|[_\s-])(?:id|key|uuid|guid|no|num|number|ref|code)$|^(?:id|key|uuid|guid)$|Id$",
                      re.IGNORECASE)
"""Names of surrogate keys: a unique column so named does not make two copies of a record differ."""


@dataclass
class BatchValues:
    values: dict[str, ColumnValues]
    parsed_range: dict[str, dict[str, object]]
    defects: np.ndarray
    """Defective cells per row of the batch."""
    missing: np.ndarray
    """Missing cells (null, NaN, blank, placeholder) per row of the batch."""
    normal_hash: np.ndarray
    """Hash of each row's normalised cells (surrogate keys left out)."""
    surrogate_keys: list[str]
    frame: pl.DataFrame
    """The batch with the value layer's row columns (`column\\0tok`, `\\0ok`, `\\0fmt`, …) appended."""


def _with_rows(df: pl.DataFrame, types: dict[str, ValueType]) -> pl.DataFrame:
    return with_rows(df.lazy(), types).collect() if types else df


def _measure(df: pl.DataFrame, types: dict[str, ValueType], stats: dict[str, ColumnStats]
             ) -> tuple[dict[str, ColumnValues], dict[str, dict[str, object]]]:
    aggs = [e for c, vt in types.items() for e in agg_exprs(vt, c)]
    ranged = [c for c in types if f"{c}{SEP}val" in df.columns]
    aggs += [e for c in ranged for e in (pl.col(f"{c}{SEP}val").min().alias(f"{c}{SEP}min"),
                                         pl.col(f"{c}{SEP}val").max().alias(f"{c}{SEP}max"))]
    row = df.select(aggs).row(0, named=True) if aggs else {}
    values = {c: read_measures(vt, c, row, rows=df.height, nulls=stats[c].null_count, blanks=stats[c].blank_count)
              for c, vt in types.items()}
    ranges = {c: {k: json_scalar(row[f"{c}{SEP}{k}"]) for k in ("min", "max")} for c in ranged}
    return values, ranges


def _replanned(df: pl.DataFrame, types: dict[str, ValueType], values: dict[str, ColumnValues]
               ) -> dict[str, ValueType]:
    """Date columns whose sample missed a format some values use: plans made from every distinct value."""
    out: dict[str, ValueType] = {}
    for c, cv in values.items():
        vt = types[c]
        if vt.kind != Kind.DATE or not cv.unplanned_dates:
            continue
        present = df.filter(present_expr(c)).get_column(c)
        plan = plan_dates(distinct_counts(present))
        if plan is not None and plan.formats != (vt.dates.formats if vt.dates else ()):
            out[c] = replace(vt, dates=plan)
    return out


def _variants(cv: ColumnValues, distinct: pl.DataFrame | None) -> ColumnValues:
    if distinct is None or cv.kind in (Kind.DATE, Kind.NUMBER, Kind.CURRENCY, Kind.PHONE, Kind.BOOLEAN, Kind.EMPTY):
        return cv
    v = pl.col("v")
    valid = cv.type.conforms(v)
    present = distinct.rename({"len": "n"}).filter(
        v.str.contains(r"\S") & cv.type.tokens.token(v).is_null() & (valid.fill_null(False) if valid is not None
                                                                       else pl.lit(True)))
    return cv.with_variants(spelling_variants(present))


def surrogate_keys(stats: dict[str, ColumnStats], types: dict[str, ValueType]) -> list[str]:
    """Unique, never-missing columns that are record keys: UUIDs, or named like a key (customer_id, ref)."""
    out = []
    for c, st in stats.items():
        unique = st.distinct == st.rows and st.missing == 0 and st.rows > 1
        keyish = (c in types and types[c].kind == Kind.UUID) or bool(KEY_NAME.search(c))
        if unique and keyish:
            out.append(c)
    return out


def _normal(cv: ColumnValues | None, vt: ValueType | None, column: str, dtype: pl.DataType, grouped: bool
            ) -> pl.Expr:
    """A column as compared for near duplicates; the raw value where normalising cannot make two different
    values equal (a text column whose distinct values were grouped and hold no spelling variants)."""
    if cv is not None and grouped and not cv.placeholder_count and not cv.inconsistent and cv.kind in (
            Kind.TEXT, Kind.PERSON_NAME, Kind.EMPTY):
        return pl.col(column)
    return normalised_expr(vt, column, dtype).alias(column)


def measure_batch(df: pl.DataFrame, stats: dict[str, ColumnStats], types: dict[str, ValueType],
                  distinct: dict[str, pl.DataFrame], schema: pl.Schema) -> BatchValues:
    frame = _with_rows(df, types)
    values, ranges = _measure(frame, types, stats)
    redo = _replanned(frame, types, values)
    if redo:
        types = {**types, **redo}
        frame = _with_rows(df, types)
        values, ranges = _measure(frame, types, stats)
    values = {c: _variants(cv, distinct.get(c)) for c, cv in values.items()}
    cols = list(stats)
    keys = surrogate_keys(stats, types)
    defects, missing = [], []
    for c in cols:
        if c in values:
            defects.append(defect_expr(values[c]))
            missing.append(missing_expr(values[c]))
            continue
        gone = [pl.lit(False)]
        if stats[c].null_count:
            gone.append(pl.col(c).is_null())
        if stats[c].nan_count:
            gone.append(pl.col(c).is_nan())
        defects.append(pl.any_horizontal(gone))
        missing.append(pl.any_horizontal(gone))
    normal = [_normal(values.get(c), types.get(c), c, schema[c], c in distinct) for c in cols if c not in keys]
    out = frame.lazy().select(pl.sum_horizontal([d.cast(pl.Int32) for d in defects]).alias(f"{SEP}d"),
                              pl.sum_horizontal([m.cast(pl.Int32) for m in missing]).alias(f"{SEP}m"),
                              *normal).collect()
    normal_hash = (out.select([c for c in cols if c not in keys]).hash_rows(seed=11).to_numpy()
                   if len(cols) > len(keys) else np.zeros(df.height, dtype=np.uint64))
    return BatchValues(values, ranges, out[f"{SEP}d"].to_numpy().astype(np.int32),
                       out[f"{SEP}m"].to_numpy().astype(np.int32),
                       normal_hash.astype(np.uint64), keys, frame)


