"""Exact counts of a column's values under its `ValueType`, and which cells are defective.

Two steps, so a caller can put them in the queries it already runs: `row_stages` computes per-row
columns once (placeholder token, parsed value or check result, format, currency), and `agg_exprs`
counts over them; `read_measures` turns the counts into the typed `ColumnValues`, and
`defect_expr` marks each cell that is missing, invalid or written another way than its column's usual
way (for row-level scores and issues).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from agensium.engine.values import booleans, numbers
from agensium.engine.values.consistency import Variants, off_dominant
from agensium.engine.values.dates import is_date_like
from agensium.engine.values.kinds import NUMERIC_KINDS, Kind, ValueType
from agensium.engine.values.missing import is_blank
from agensium.engine.values.text import stripped

EXAMPLES = 5
SEP = "\0"


def _n(column: str, what: str) -> str:
    return f"{column}{SEP}{what}"


@dataclass(frozen=True)
class ColumnValues:
    """What one column's values are, counted exactly over the whole column."""

    column: str
    type: ValueType
    rows: int
    nulls: int
    blanks: int
    placeholders: dict[str, int]
    """Placeholder token (lower-cased) → count."""
    conforming: int | None
    """Present values that are valid of the kind (None: text, nothing to check)."""
    formats: dict[str, int] = field(default_factory=dict)
    """Dates: format → count; numbers: writing style → count."""
    currencies: dict[str, int] = field(default_factory=dict)
    ambiguous_dates: int = 0
    percents: int = 0
    """Numbers: valid values written as a percent ("12%")."""
    unplanned_dates: int = 0
    """Date-like values no format of the plan reads (the plan came from a sample and missed a format)."""
    examples: tuple[str, ...] = ()
    """A few distinct present values that do not conform."""
    variants: Variants | None = None

    @property
    def kind(self) -> Kind:
        return self.type.kind

    @property
    def placeholder_count(self) -> int:
        return sum(self.placeholders.values())

    @property
    def missing(self) -> int:
        return self.nulls + self.blanks + self.placeholder_count

    @property
    def present(self) -> int:
        return self.rows - self.missing

    @property
    def nonconforming(self) -> int:
        return 0 if self.conforming is None else self.present - self.conforming

    @property
    def dominant_format(self) -> str | None:
        """The usual way of writing a date or a boolean (number styles are not a consistency matter)."""
        usual = self.formats and self.kind in (Kind.DATE, Kind.BOOLEAN)
        return max(self.formats, key=lambda k: self.formats[k]) if usual else None

    @property
    def percent_mixed(self) -> int:
        """Numbers written on the other scale than most (12% among 0.12s, or 0.12 among 12%s)."""
        if self.conforming is None or self.kind not in NUMERIC_KINDS:
            return 0
        return min(self.percents, self.conforming - self.percents)

    @property
    def dominant_currency(self) -> str | None:
        return max(self.currencies, key=lambda k: self.currencies[k]) if self.currencies else None

    @property
    def inconsistent(self) -> int:
        """Valid values written another way than the column's usual way for the same thing."""
        if self.kind in (Kind.DATE, Kind.BOOLEAN):
            return off_dominant(self.formats)
        if self.kind in NUMERIC_KINDS:
            return off_dominant(self.currencies) + self.percent_mixed
        return self.variants.inconsistent if self.variants is not None else 0

    def with_variants(self, variants: Variants) -> ColumnValues:
        return replace(self, variants=variants)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind.value, "present": self.present, "placeholders": dict(self.placeholders),
            "placeholder_count": self.placeholder_count, "conforming": self.conforming,
            "nonconforming": self.nonconforming, "inconsistent": self.inconsistent,
            "nonconforming_examples": list(self.examples),
        }
        if self.formats:
            out["formats"] = dict(sorted(self.formats.items(), key=lambda kv: -kv[1]))
        if self.currencies:
            out["currencies"] = dict(sorted(self.currencies.items(), key=lambda kv: -kv[1]))
        if self.kind == Kind.DATE:
            out["ambiguous_dates"] = self.ambiguous_dates
            if self.type.dates is not None:
                out["day_first"] = self.type.dates.day_first
        if self.variants is not None and self.variants.groups:
            out["variant_groups"] = [{"canonical": g.canonical, "spellings": dict(g.members)}
                                     for g in self.variants.groups[:10]]
        return out


def row_stages(vt: ValueType, column: str) -> list[list[pl.Expr]]:
    """Per-row columns `column\\0tok|val|ok|fmt|cur|pct|amb` that the counts and defect marks are made from,
    as stages to apply one after the other (a later stage reads the earlier ones' columns, so nothing is
    computed twice). Scratch columns start with `column\\0~` (see `scratch_columns`)."""
    col = pl.col(column)
    first = [vt.placeholder(col).alias(_n(column, "tok"))]
    if vt.kind == Kind.DATE and vt.dates is not None:
        stages = vt.dates.staged(col, _n(column, "val"), _n(column, "fmt"), _n(column, "amb"), _n(column, "~"))
        return [first + stages[0], *stages[1:], [pl.col(_n(column, "val")).is_not_null().alias(_n(column, "ok"))]]
    parsed = vt.parse(col) if vt.kind != Kind.BOOLEAN else None
    if parsed is not None:
        first.append(parsed.alias(_n(column, "val")))
        later = [pl.col(_n(column, "val")).is_not_null().alias(_n(column, "ok"))]
    else:
        check = vt.conforms(col)
        if check is None:
            return [first]
        first.append(check.fill_null(False).alias(_n(column, "ok")))
        later = []
    if vt.kind in NUMERIC_KINDS:
        first += [numbers.currency(col).alias(_n(column, "cur")), numbers.style(col).alias(_n(column, "fmt")),
                  stripped(col).str.contains(r"%$").alias(_n(column, "pct"))]
    if vt.kind == Kind.BOOLEAN:
        first.append(booleans.style(col).alias(_n(column, "fmt")))
    return [first, later] if later else [first]


def scratch_columns(frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    return [c for c in names if f"{SEP}~" in c]


def with_rows(lf: pl.LazyFrame, types: dict[str, ValueType]) -> pl.LazyFrame:
    """`lf` with every typed column's row columns (the stages of all columns applied side by side)."""
    stages = [row_stages(vt, c) for c, vt in types.items()]
    for i in range(max((len(s) for s in stages), default=0)):
        step = [e for s in stages if i < len(s) for e in s[i]]
        if step:
            lf = lf.with_columns(step)
    return lf.drop(scratch_columns(lf))


def _counts(expr: pl.Expr, name: str) -> pl.Expr:
    return expr.drop_nulls().value_counts(sort=True).implode().alias(name)


def present_expr(column: str) -> pl.Expr:
    """Present: not null, not blank, not a placeholder (needs the `tok` row column)."""
    col = pl.col(column)
    return col.is_not_null() & ~is_blank(col) & pl.col(_n(column, "tok")).is_null()


def agg_exprs(vt: ValueType, column: str) -> list[pl.Expr]:
    """Counts over the row columns of `row_stages` (and the column itself), named `column\\0what`."""
    col = pl.col(column)
    exprs = [_counts(pl.col(_n(column, "tok")), _n(column, "placeholders"))]
    if vt.conforms(col) is None:
        return exprs
    present = present_expr(column)
    ok = present & pl.col(_n(column, "ok"))
    bad = present & ~pl.col(_n(column, "ok"))
    exprs += [ok.sum().alias(_n(column, "conforming")),
              col.filter(bad).cast(pl.String).unique(maintain_order=True).head(EXAMPLES).implode()
              .alias(_n(column, "examples"))]
    if vt.kind == Kind.DATE and vt.dates is not None:
        exprs += [_counts(pl.col(_n(column, "fmt")), _n(column, "formats")),
                  pl.col(_n(column, "amb")).sum().alias(_n(column, "ambiguous")),
                  (bad & is_date_like(col)).sum().alias(_n(column, "unplanned"))]
    if vt.kind in NUMERIC_KINDS:
        exprs += [_counts(pl.col(_n(column, "cur")).filter(ok), _n(column, "currencies")),
                  _counts(pl.col(_n(column, "fmt")).filter(ok), _n(column, "formats")),
                  pl.col(_n(column, "pct")).filter(ok).sum().alias(_n(column, "percent"))]
    if vt.kind == Kind.BOOLEAN:
        exprs.append(_counts(pl.col(_n(column, "fmt")).filter(ok), _n(column, "formats")))
    return exprs


def _as_dict(value: Any) -> dict[str, int]:
    if not value:
        return {}
    return {str(next(iter(d.values()))): int(d["count"]) for d in value}


def read_measures(vt: ValueType, column: str, row: dict[str, Any], *, rows: int, nulls: int, blanks: int
                  ) -> ColumnValues:
    conforming = row.get(_n(column, "conforming"))
    return ColumnValues(
        column=column, type=vt, rows=rows, nulls=nulls, blanks=blanks,
        placeholders=_as_dict(row.get(_n(column, "placeholders"))),
        conforming=None if _n(column, "conforming") not in row else int(conforming or 0),
        formats=_as_dict(row.get(_n(column, "formats"))), currencies=_as_dict(row.get(_n(column, "currencies"))),
        ambiguous_dates=int(row.get(_n(column, "ambiguous")) or 0), percents=int(row.get(_n(column, "percent")) or 0),
        unplanned_dates=int(row.get(_n(column, "unplanned")) or 0),
        examples=tuple(str(x) for x in (row.get(_n(column, "examples")) or [])),
    )


def defect_expr(cv: ColumnValues) -> pl.Expr:
    """True where a cell is missing (null, blank, placeholder), invalid, or written another way than the
    column's usual way (needs the row columns of `row_stages`). Only the tests the counts say can fire are
    built, so a clean column costs nothing."""
    c = cv.column
    col = pl.col(c)
    tests = [pl.lit(False)]
    if cv.nulls:
        tests.append(col.is_null())
    if cv.blanks:
        tests.append(is_blank(col).fill_null(False))
    if cv.placeholder_count:
        tests.append(pl.col(_n(c, "tok")).is_not_null())
    if cv.nonconforming:
        tests.append(present_expr(c) & ~pl.col(_n(c, "ok")))
    if cv.inconsistent:
        tests.append(_inconsistent(cv))
    return pl.any_horizontal(tests)


def _inconsistent(cv: ColumnValues) -> pl.Expr:
    c = cv.column
    tests = [pl.lit(False)]
    if cv.dominant_format is not None and len(cv.formats) > 1:
        tests.append((pl.col(_n(c, "fmt")) != cv.dominant_format).fill_null(False))
    if cv.kind in NUMERIC_KINDS and cv.dominant_currency is not None and len(cv.currencies) > 1:
        tests.append((pl.col(_n(c, "cur")) != cv.dominant_currency).fill_null(False))
    if cv.percent_mixed:
        minority = cv.percents < (cv.conforming or 0) - cv.percents
        tests.append(pl.col(_n(c, "ok")) & (pl.col(_n(c, "pct")) == minority))
    if cv.variants is not None and cv.variants.inconsistent:
        tests.append(pl.col(c).is_in([v for g in cv.variants.groups for v, _ in g.members[1:]]))
    return pl.any_horizontal(tests)


def missing_expr(cv: ColumnValues) -> pl.Expr:
    """True where a cell is missing: null, blank or a placeholder (only the tests that can fire)."""
    tests = [pl.lit(False)]
    if cv.nulls:
        tests.append(pl.col(cv.column).is_null())
    if cv.blanks:
        tests.append(is_blank(pl.col(cv.column)).fill_null(False))
    if cv.placeholder_count:
        tests.append(pl.col(_n(cv.column, "tok")).is_not_null())
    return pl.any_horizontal(tests)


def normalised_expr(vt: ValueType | None, column: str, dtype: pl.DataType) -> pl.Expr:
    """A cell as compared for near-duplicate rows: typed values as parsed, text trimmed and case-folded,
    placeholders as missing (needs the row columns when `vt` is given)."""
    col = pl.col(column)
    if vt is None:
        return col if dtype != pl.String else stripped(col).str.to_lowercase()
    text = stripped(col).str.to_lowercase()
    if vt.kind != Kind.BOOLEAN and vt.parse(col) is not None:
        text = pl.coalesce(pl.col(_n(column, "val")).cast(pl.String), text)
    return pl.when(pl.col(_n(column, "tok")).is_null()).then(text)


def measure(lf: pl.LazyFrame, types: dict[str, ValueType]) -> dict[str, ColumnValues]:
    """Every typed column measured in one query (for callers that have no query of their own)."""
    if not types:
        return {}
    aggs: list[pl.Expr] = [pl.len().alias("\0rows")]
    for c, vt in types.items():
        aggs += [*agg_exprs(vt, c), pl.col(c).null_count().alias(_n(c, "nulls")),
                 is_blank(pl.col(c)).sum().alias(_n(c, "blanks"))]
    row = with_rows(lf, types).select(aggs).collect(engine="streaming").row(0, named=True)
    return {c: read_measures(vt, c, row, rows=int(row["\0rows"]), nulls=int(row[_n(c, "nulls")] or 0),
                             blanks=int(row[_n(c, "blanks")] or 0)) for c, vt in types.items()}
