"""Reading numbers, dates and booleans out of text, as vectorised Polars expressions.

Numbers (the rules live in `agensium.engine.semantics`, shared with the profile): thousands separators,
currency signs and codes, percents and accounting negatives "(1,234.50)"; the decimal separator is
decided per column. Dates: ISO, day-first, month-first and
named-month formats; a column's day/month order is decided from values that only one order can
read (e.g. 31/01/2024), and reported. Leading zeros and very long digit strings stay text (they are
codes, not quantities), and so does anything starting with '+' (phone numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from agensium.engine.semantics import CURRENCY, decimal_evidence, looks_like_code, numeric_text

__all__ = ["CURRENCY", "decimal_evidence", "looks_like_code", "numeric_text"]

BOOL_TRUE = frozenset({"true", "t", "yes", "y", "1"})
BOOL_FALSE = frozenset({"false", "f", "no", "n", "0"})

NULL_TOKENS_UNAMBIGUOUS = ("", "null", "nan", "n/a", "#n/a", "missing", "undefined", "#null!", "<null>")
"""Tokens that only ever mean 'no value' (compared case-insensitively after trimming)."""
NULL_TOKENS_AMBIGUOUS = ("na", "none", "nil", "-", "--", "?", ".")
"""Tokens that usually mean 'no value' but can be data (NA = Namibia, '-' in a notes column, ...)."""
NULL_TOKENS = NULL_TOKENS_UNAMBIGUOUS + NULL_TOKENS_AMBIGUOUS


def is_null_token(s: pl.Expr, tokens: tuple[str, ...] = NULL_TOKENS) -> pl.Expr:
    return s.str.strip_chars().str.to_lowercase().is_in(list(tokens))


# ---- dates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateFormat:
    fmt: str
    order: Literal["iso", "dmy", "mdy", "named"]
    has_time: bool = False
    offset: bool = False
    """The text carries a UTC offset (+01:00): parsed aware, kept as naive UTC."""


DATE_FORMATS: tuple[DateFormat, ...] = (
    DateFormat("%Y-%m-%d", "iso"),
    DateFormat("%Y-%m-%dT%H:%M:%S", "iso", True),
    DateFormat("%Y-%m-%d %H:%M:%S", "iso", True),
    DateFormat("%Y-%m-%dT%H:%M:%S%.f", "iso", True),
    DateFormat("%Y-%m-%d %H:%M:%S%.f", "iso", True),
    DateFormat("%Y-%m-%d %H:%M", "iso", True),
    DateFormat("%Y-%m-%dT%H:%M:%SZ", "iso", True),
    DateFormat("%Y-%m-%dT%H:%M:%S%.fZ", "iso", True),
    DateFormat("%Y-%m-%dT%H:%M:%S%z", "iso", True, offset=True),
    DateFormat("%Y-%m-%dT%H:%M:%S%.f%z", "iso", True, offset=True),
    DateFormat("%Y-%m-%d %H:%M:%S%z", "iso", True, offset=True),
    DateFormat("%Y/%m/%d", "iso"),
    DateFormat("%Y.%m.%d", "iso"),
    DateFormat("%Y%m%d", "iso"),
    DateFormat("%d/%m/%Y", "dmy"),
    DateFormat("%d-%m-%Y", "dmy"),
    DateFormat("%d.%m.%Y", "dmy"),
    DateFormat("%d/%m/%y", "dmy"),
    DateFormat("%d/%m/%Y %H:%M", "dmy", True),
    DateFormat("%d/%m/%Y %H:%M:%S", "dmy", True),
    DateFormat("%m/%d/%Y", "mdy"),
    DateFormat("%m-%d-%Y", "mdy"),
    DateFormat("%m/%d/%y", "mdy"),
    DateFormat("%m/%d/%Y %H:%M", "mdy", True),
    DateFormat("%m/%d/%Y %H:%M:%S", "mdy", True),
    DateFormat("%d %b %Y", "named"),
    DateFormat("%d %B %Y", "named"),
    DateFormat("%b %d, %Y", "named"),
    DateFormat("%B %d, %Y", "named"),
    DateFormat("%d-%b-%Y", "named"),
    DateFormat("%d-%b-%y", "named"),
    DateFormat("%b %d %Y", "named"),
)


def parse_date(s: pl.Expr, f: DateFormat) -> pl.Expr:
    if f.offset:
        return s.str.strptime(pl.Datetime("us", "UTC"), f.fmt, strict=False).dt.replace_time_zone(None)
    return s.str.strptime(pl.Datetime("us"), f.fmt, strict=False)


def any_date(s: pl.Expr, formats: tuple[DateFormat, ...] = DATE_FORMATS) -> pl.Expr:
    """First format that reads the value (quarantine type checks; order ambiguity does not matter)."""
    t = s.str.strip_chars()
    return pl.coalesce([parse_date(t, f) for f in formats])


@dataclass
class DatePlan:
    formats: list[DateFormat]
    day_first: bool | None
    """None when the column has no day/month-ordered values."""
    decided_by: str
    has_time: bool
    evidence: dict[str, int] = field(default_factory=dict)

    def expr(self, s: pl.Expr) -> pl.Expr:
        t = s.str.strip_chars()
        if not self.has_time:  # parse straight to Date (cheaper than Datetime then cast)
            parts = [t.str.strptime(pl.Date, f.fmt, strict=False) for f in self.formats]
        else:
            parts = [parse_date(t, f) for f in self.formats]
        return parts[0] if len(parts) == 1 else pl.coalesce(parts)

    def describe(self) -> dict[str, Any]:
        return {
            "formats": [f.fmt for f in self.formats],
            "day_first": self.day_first,
            "decided_by": self.decided_by,
            "has_time": self.has_time,
            "evidence": self.evidence,
        }


FORMAT_PROBE = 20_000


def plan_dates(
    values: pl.DataFrame, day_first: Literal["auto", "day_first", "month_first"]
) -> DatePlan | None:
    """Choose the formats for one column from its distinct values (`v` text, `n` count).

    Every format is tried on up to `FORMAT_PROBE` distinct values; the formats seen there (and the
    other day/month order of each, for the evidence) are then checked on every distinct value.
    """
    t = pl.col("v").str.strip_chars()
    probe = (
        values.head(FORMAT_PROBE)
        .select([parse_date(t, f).is_not_null().any().alias(str(i)) for i, f in enumerate(DATE_FORMATS)])
        .row(0)
    )
    seen = {i for i, hit in enumerate(probe) if hit}
    if not seen:
        return None
    if any(DATE_FORMATS[i].order in ("dmy", "mdy") for i in seen):
        seen |= {i for i, f in enumerate(DATE_FORMATS) if f.order in ("dmy", "mdy")}
    hits = values.select(
        pl.col("n"), *[parse_date(t, DATE_FORMATS[i]).is_not_null().alias(str(i)) for i in seen]
    )
    used = [i for i in sorted(seen) if hits.get_column(str(i)).any()]
    if not used:
        return None
    dmy = [i for i in used if DATE_FORMATS[i].order == "dmy"]
    mdy = [i for i in used if DATE_FORMATS[i].order == "mdy"]

    def weighted(cols: list[int], exclude: list[int]) -> int:
        if not cols:
            return 0
        a = pl.any_horizontal([pl.col(str(i)) for i in cols])
        b = pl.any_horizontal([pl.col(str(i)) for i in exclude]) if exclude else pl.lit(False)
        return int(hits.select(pl.col("n").filter(a & ~b).sum()).item() or 0)

    evidence = {
        "only_day_first": weighted(dmy, mdy),
        "only_month_first": weighted(mdy, dmy),
        "either_order": 0,
    }
    if dmy or mdy:
        both = (
            pl.any_horizontal([pl.col(str(i)) for i in dmy])
            & pl.any_horizontal([pl.col(str(i)) for i in mdy])
            if dmy and mdy
            else pl.lit(False)
        )
        evidence["either_order"] = int(hits.select(pl.col("n").filter(both).sum()).item() or 0)
    first: bool | None = None
    decided = "no day/month-ordered values"
    if dmy or mdy:
        if day_first != "auto":
            first, decided = day_first == "day_first", f"parameter day_first={day_first}"
        elif evidence["only_day_first"] > evidence["only_month_first"]:
            first, decided = True, "values only readable day-first (e.g. day > 12)"
        elif evidence["only_month_first"] > evidence["only_day_first"]:
            first, decided = False, "values only readable month-first (e.g. second part > 12)"
        else:
            first, decided = True, "ambiguous: every value reads both ways; assumed day-first"
    drop = set(mdy if first else dmy) if first is not None else set()
    chosen = [DATE_FORMATS[i] for i in used if i not in drop]
    return DatePlan(
        formats=chosen,
        day_first=first,
        decided_by=decided,
        has_time=any(f.has_time for f in chosen),
        evidence=evidence,
    )


def boolean_text(s: pl.Expr) -> pl.Expr:
    t = s.str.strip_chars().str.to_lowercase()
    return pl.when(t.is_in(list(BOOL_TRUE))).then(True).when(t.is_in(list(BOOL_FALSE))).then(False)
