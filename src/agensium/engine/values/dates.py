"""Dates and datetimes written as text, in many formats, several of them mixed in one column.

One catalogue of date formats (`CATALOGUE`); a time of day ("10:30", "3:04:05 PM", "T10:30:00.123Z",
"+02:00") is split off and read on its own, so every date format takes every time style. A column's
`DatePlan` is decided from its distinct values: the formats its values use, with counts, and the
day/month order of each pair of numeric formats that differ only in that order (01/02/2024). The order
is decided per pair from the values only one order can read (13/02/2024), then from the whole column;
with no such value it stays undecided, and values readable both ways are counted as ambiguous and
never guessed (`parse(..., guess=False)` leaves them null).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import polars as pl

from agensium.engine.values.text import stripped

Order = Literal["ymd", "dmy", "mdy", "named"]


@dataclass(frozen=True)
class DateFormat:
    name: str
    """How the report names it: "DD/MM/YYYY", "Mon D, YYYY"."""
    fmt: str
    """The chrono format of the date part."""
    order: Order
    shape: str
    """Anchored regex the date part must match (so %Y never takes a two-digit year)."""
    pair: str | None = None
    """Formats that differ only in day/month order share a pair key."""


_MON = r"[A-Za-z]{3}"


def _numeric_pair(sep: str, year: int) -> tuple[DateFormat, DateFormat]:
    s = "\\" + sep if sep in "./-" else sep
    y = "%Y" if year == 4 else "%y"
    yy = "YYYY" if year == 4 else "YY"
    shape = rf"^\d{{1,2}}{s}\d{{1,2}}{s}\d{{{year}}}$"
    key = f"{sep}{year}"
    return (DateFormat(f"DD{sep}MM{sep}{yy}", f"%d{sep}%m{sep}{y}", "dmy", shape, key),
            DateFormat(f"MM{sep}DD{sep}{yy}", f"%m{sep}%d{sep}{y}", "mdy", shape, key))


CATALOGUE: tuple[DateFormat, ...] = (
    DateFormat("YYYY-MM-DD", "%Y-%m-%d", "ymd", r"^\d{4}-\d{1,2}-\d{1,2}$"),
    DateFormat("YYYY/MM/DD", "%Y/%m/%d", "ymd", r"^\d{4}/\d{1,2}/\d{1,2}$"),
    DateFormat("YYYY.MM.DD", "%Y.%m.%d", "ymd", r"^\d{4}\.\d{1,2}\.\d{1,2}$"),
    DateFormat("YYYYMMDD", "%Y%m%d", "ymd", r"^(?:1[6-9]|20|21)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$"),
    *(f for sep in "/-." for year in (4, 2) for f in _numeric_pair(sep, year)),
    DateFormat("D Mon YYYY", "%d %b %Y", "named", rf"^\d{{1,2}} {_MON} \d{{4}}$"),
    DateFormat("D Mon, YYYY", "%d %b, %Y", "named", rf"^\d{{1,2}} {_MON}, \d{{4}}$"),
    DateFormat("D Mon YY", "%d %b %y", "named", rf"^\d{{1,2}} {_MON} \d{{2}}$"),
    DateFormat("Mon D, YYYY", "%b %d, %Y", "named", rf"^{_MON} \d{{1,2}}, \d{{4}}$"),
    DateFormat("Mon D YYYY", "%b %d %Y", "named", rf"^{_MON} \d{{1,2}} \d{{4}}$"),
    DateFormat("D-Mon-YYYY", "%d-%b-%Y", "named", rf"^\d{{1,2}}-{_MON}-\d{{4}}$"),
    DateFormat("D-Mon-YY", "%d-%b-%y", "named", rf"^\d{{1,2}}-{_MON}-\d{{2}}$"),
    DateFormat("Mon-D-YYYY", "%b-%d-%Y", "named", rf"^{_MON}-\d{{1,2}}-\d{{4}}$"),
    DateFormat("D/Mon/YYYY", "%d/%b/%Y", "named", rf"^\d{{1,2}}/{_MON}/\d{{4}}$"),
    DateFormat("D.Mon.YYYY", "%d.%b.%Y", "named", rf"^\d{{1,2}}\.{_MON}\.\d{{4}}$"),
    DateFormat("YYYY-Mon-DD", "%Y-%b-%d", "named", rf"^\d{{4}}-{_MON}-\d{{1,2}}$"),
    DateFormat("YYYY Mon D", "%Y %b %d", "named", rf"^\d{{4}} {_MON} \d{{1,2}}$"),
)
BY_NAME: dict[str, DateFormat] = {f.name: f for f in CATALOGUE}

_TIME = (
    r"(?i)^(.*?\d)(?:T|\s+|\s*,\s*|\s+at\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([ap]\.?m\.?)?"
    r"\s*(z|utc|gmt|[+-]\d{2}:?\d{2})?$"
)
"""A date part, then a time of day: hours, minutes, optional seconds and fraction, AM/PM, zone."""
_MONTHS = (r"(?i)\b(?:(jan)uary|(feb)ruary|(mar)ch|(apr)il|(jun)e|(jul)y|(aug)ust|(sep)t(?:ember)?|(oct)ober"
           r"|(nov)ember|(dec)ember)\b")
DATE_LIKE = (r"(?i)^\s*(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[T\s,].*)?|\d{8}|.*\b(?:jan|feb|mar|apr|may|jun|jul"
             r"|aug|sep|oct|nov|dec)[a-z]*\.?\b.*\d.*)\s*$")
"""Cheap test: could this text be a date at all (numeric triple, eight digits, or a month name)?"""


@dataclass(frozen=True)
class _Split:
    date: pl.Expr
    seconds: pl.Expr
    """Seconds since midnight in UTC (null when there is no time; invalid times make the value null)."""
    has_time: pl.Expr
    time_ok: pl.Expr


def _split(text: pl.Expr, named: bool, timed: bool) -> _Split:
    """Normalise a value and split off its time of day (only the steps the column needs)."""
    t = stripped(text)
    if named:
        t = (t.str.replace(r"(?i)^(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+", "")
             .str.replace_all(r"(?i)(\d)(?:st|nd|rd|th)\b", "$1")
             .str.replace_all(_MONTHS, "$1$2$3$4$5$6$7$8$9$10$11")
             .str.replace_all(r"(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\.", "$1")
             .str.replace_all(r"\s*,\s*", ", ").str.replace_all(r"\s+", " "))
    if not timed:
        return _Split(t, pl.lit(None, dtype=pl.Int64), pl.lit(False), pl.lit(True))
    g = t.str.extract_groups(_TIME)
    has_time = g.struct.field("1").is_not_null()
    date = pl.when(has_time).then(g.struct.field("1")).otherwise(t)
    hh = g.struct.field("2").cast(pl.Int64, strict=False)
    mm = g.struct.field("3").cast(pl.Int64, strict=False)
    ss = g.struct.field("4").cast(pl.Int64, strict=False).fill_null(0)
    frac = ("0." + g.struct.field("5")).cast(pl.Float64, strict=False).fill_null(0.0)
    ampm = g.struct.field("6").str.to_lowercase().str.slice(0, 1)
    ok = (mm <= 59) & (ss <= 60) & pl.when(ampm.is_not_null()).then(hh.is_between(1, 12)).otherwise(hh <= 23)
    hour = pl.when(ampm == "p").then(hh % 12 + 12).when(ampm == "a").then(hh % 12).otherwise(hh)
    zone = g.struct.field("7").str.to_lowercase()
    zg = zone.str.extract_groups(r"^([+-])(\d{2}):?(\d{2})$")
    offset = (zg.struct.field("2").cast(pl.Int64, strict=False) * 3600
              + zg.struct.field("3").cast(pl.Int64, strict=False) * 60)
    offset = pl.when(zg.struct.field("1") == "-").then(-offset).otherwise(offset).fill_null(0)
    micros = ((hour * 3600 + mm * 60 + ss - offset) * 1_000_000 + (frac * 1_000_000).round(0).cast(pl.Int64))
    return _Split(date, micros, has_time, ~has_time | ok.fill_null(False))


YEARS = (1000, 2999)
"""Years a four-digit-year format may read: chrono's %Y also takes "24" as the year 24, and the year range
rejects that far more cheaply than a shape regex on every value."""


def _parse_one(date_part: pl.Expr, f: DateFormat) -> pl.Expr:
    parsed = date_part.str.strptime(pl.Date, f.fmt, strict=False)
    if "%Y" not in f.fmt:
        return parsed
    lo, hi = (1600, 2199) if f.fmt == "%Y%m%d" else YEARS  # eight digits are a date only in a plausible range
    return pl.when(parsed.is_between(date(lo, 1, 1), date(hi, 12, 31))).then(parsed)


@dataclass(frozen=True)
class PairOrder:
    pair: str
    day_first: bool | None
    only_day_first: int
    only_month_first: int
    ambiguous: int
    decided_by: str


@dataclass(frozen=True)
class DatePlan:
    """How one column writes its dates (decided from its values)."""

    formats: tuple[DateFormat, ...]
    """Formats seen, in the order a value is tried (preferred day/month order first)."""
    counts: dict[str, int]
    """Values per format name among the values the plan was made from (with times: "… hh:mm")."""
    orders: tuple[PairOrder, ...] = ()
    has_time: bool = False
    named: bool = False
    timed_share: float = 0.0

    @property
    def day_first(self) -> bool | None:
        """The column's order when every pair agrees (None: undecided or no day/month formats)."""
        decided = {o.day_first for o in self.orders if o.day_first is not None}
        return decided.pop() if len(decided) == 1 and all(o.day_first is not None for o in self.orders) else None

    @property
    def undecided(self) -> bool:
        return any(o.day_first is None and o.ambiguous for o in self.orders)

    @property
    def ambiguous(self) -> int:
        return sum(o.ambiguous for o in self.orders)

    def _split(self, expr: pl.Expr) -> _Split:
        return _split(expr, self.named, self.has_time)

    def _date(self, sp: _Split, guess: bool) -> pl.Expr:
        parts = []
        decided = {o.pair: o.day_first for o in self.orders}
        for f in self.formats:
            parsed = _parse_one(sp.date, f)
            if f.pair is not None and decided.get(f.pair) is None and not guess:
                other = next(g for g in CATALOGUE if g.pair == f.pair and g is not f)
                parsed = pl.when(_parse_one(sp.date, other).is_null()
                                 | (_parse_one(sp.date, other) == parsed)).then(parsed)
            parts.append(parsed)
        return parts[0] if len(parts) == 1 else pl.coalesce(parts)

    def parse(self, expr: pl.Expr, guess: bool = False) -> pl.Expr:
        """Text → Date (or Datetime when the column has times); null where a value is no date, and,
        unless `guess`, where its day/month order is ambiguous and undecided."""
        sp = self._split(expr)
        d = self._date(sp, guess)
        if not self.has_time:
            return d
        dt = d.cast(pl.Datetime("us")) + pl.duration(microseconds=sp.seconds.fill_null(0))
        return pl.when(sp.time_ok).then(dt)

    def conforms(self, expr: pl.Expr) -> pl.Expr:
        """A valid date in one of the column's formats (ambiguous ones included: they are dates)."""
        return self.parse(expr, guess=True).is_not_null()

    def format_of(self, expr: pl.Expr) -> pl.Expr:
        """The name of the format a value is written in (null where none)."""
        sp = self._split(expr)
        names = [pl.when(_parse_one(sp.date, f).is_not_null()).then(pl.lit(f.name)) for f in self.formats]
        name = names[0] if len(names) == 1 else pl.coalesce(names)
        if self.has_time:
            name = pl.when(sp.has_time).then(name + " hh:mm").otherwise(name)
        return pl.when(sp.time_ok).then(name)

    def is_ambiguous(self, expr: pl.Expr) -> pl.Expr:
        """Readable both day-first and month-first as different dates."""
        sp = self._split(expr)
        flags = []
        for o in self.orders:
            a, b = (f for f in CATALOGUE if f.pair == o.pair)
            pa, pb = _parse_one(sp.date, a), _parse_one(sp.date, b)
            flags.append((pa.is_not_null() & pb.is_not_null() & (pa != pb)).fill_null(False))
        return pl.any_horizontal(flags) if flags else pl.lit(False)

    def staged(self, expr: pl.Expr, val: str, fmt: str, amb: str, scratch: str) -> list[list[pl.Expr]]:
        """`parse(guess=True)`, `format_of` and `is_ambiguous` as columns `val`, `fmt` and `amb`, computed
        in stages so that each format parses every value once (one expression tree per column would parse
        it again for each of them). Scratch columns start with `scratch`."""
        sp = self._split(expr)
        d, secs, has_t, ok = (f"{scratch}d", f"{scratch}s", f"{scratch}t", f"{scratch}k")
        first = [sp.date.alias(d)]
        if self.has_time:
            first += [sp.seconds.alias(secs), sp.has_time.alias(has_t), sp.time_ok.alias(ok)]
        partners = [g for o in self.orders for g in CATALOGUE if g.pair == o.pair]
        formats = list(dict.fromkeys([*self.formats, *partners]))
        col = {f.name: f"{scratch}{i}" for i, f in enumerate(formats)}
        second = [_parse_one(pl.col(d), f).alias(col[f.name]) for f in formats]
        date = pl.coalesce([pl.col(col[f.name]) for f in self.formats])
        name = pl.coalesce([pl.when(pl.col(col[f.name]).is_not_null()).then(pl.lit(f.name)) for f in self.formats])
        flags = [pl.lit(False)]
        for o in self.orders:
            a, b = (pl.col(col[f.name]) for f in CATALOGUE if f.pair == o.pair)
            flags.append((a.is_not_null() & b.is_not_null() & (a != b)).fill_null(False))
        if self.has_time:
            date = pl.when(pl.col(ok)).then(
                date.cast(pl.Datetime("us")) + pl.duration(microseconds=pl.col(secs).fill_null(0)))
            name = pl.when(pl.col(ok)).then(pl.when(pl.col(has_t)).then(name + " hh:mm").otherwise(name))
        third = [date.alias(val), name.alias(fmt), pl.any_horizontal(flags).alias(amb)]
        return [first, second, third]

    def describe(self) -> dict[str, object]:
        return {
            "formats": dict(sorted(self.counts.items(), key=lambda kv: -kv[1])),
            "day_first": self.day_first,
            "ambiguous_values": self.ambiguous,
            "order_by_pair": [o.__dict__ for o in self.orders],
            "has_time": self.has_time,
        }


def plan_dates(values: pl.DataFrame, day_first: Literal["auto", "day_first", "month_first"] = "auto",
               min_count: int = 1) -> DatePlan | None:
    """The plan of one column from its distinct values (`v` text, `n` count); None if no value is a date."""
    if values.height == 0:
        return None
    v = pl.col("v")
    named, timed, like = values.select(v.str.contains(r"(?i)[a-z]{3}").any().alias("named"),
                                       v.str.contains(r"\d:\d\d").any().alias("timed"),
                                       is_date_like(v).any().alias("like")).row(0)
    if not like:
        return None
    sp = _split(v, named, timed)
    split = values.select(pl.col("n"), sp.date.alias("__d"), sp.has_time.alias("__t"), sp.time_ok.alias("__ok"))
    split = split.filter(pl.col("__ok"))
    shaped = split.select([pl.col("__d").str.contains(f.shape).any().alias(f.name) for f in CATALOGUE]).row(0)
    tried = [f for f, hit in zip(CATALOGUE, shaped, strict=True) if hit]
    if any(f.pair for f in tried):  # both orders of a pair, for the day/month evidence
        tried = [f for f in CATALOGUE if f in tried or (f.pair and f.pair in {g.pair for g in tried})]
    d = pl.col("__d")
    hits = split.select(pl.col("n"), pl.col("__t"), *[_parse_one(d, f).alias(f.name) for f in tried])
    counts = hits.select([pl.col("n").filter(pl.col(f.name).is_not_null()).sum().alias(f.name) for f in tried])
    used = [f for f, k in zip(tried, counts.row(0), strict=True) if (k or 0) >= min_count] if tried else []
    if not used:
        return None
    orders = _orders(hits, used, day_first)
    return _build_plan(hits, used, orders, named, timed)


def _weighted(hits: pl.DataFrame, mask: pl.Expr) -> int:
    return int(hits.select(pl.col("n").filter(mask).sum()).item() or 0)


def _orders(hits: pl.DataFrame, used: Sequence[DateFormat], setting: str) -> tuple[PairOrder, ...]:
    pairs = [key for key in sorted({f.pair for f in used if f.pair})
             if all(f.name in hits.columns for f in CATALOGUE if f.pair == key)]
    exprs = []
    for key in pairs:
        a, b = (f.name for f in CATALOGUE if f.pair == key)
        da, db = pl.col(a).is_not_null(), pl.col(b).is_not_null()
        exprs += [pl.col("n").filter(da & ~db).sum().alias(f"{key}:d"), pl.col("n").filter(db & ~da).sum().alias(f"{key}:m"),
                  pl.col("n").filter(da & db & (pl.col(a) != pl.col(b))).sum().alias(f"{key}:a")]
    row = hits.select(exprs).row(0, named=True) if exprs else {}
    raw = [(key, int(row[f"{key}:d"] or 0), int(row[f"{key}:m"] or 0), int(row[f"{key}:a"] or 0)) for key in pairs]
    total = _one_sided(sum(r[1] for r in raw), sum(r[2] for r in raw))
    out = []
    for key, only_d, only_m, amb in raw:
        here = _one_sided(only_d, only_m)
        if setting != "auto":
            first, why = setting == "day_first", f"parameter day_first={setting}"
        elif only_d or only_m:
            first, why = here, ("values only one order can read, in this format" if here is not None else
                                f"undecided: both orders are used ({only_d} day-first only, {only_m} month-first only)")
        elif key.startswith("."):
            first, why = True, "convention: dotted dates (31.01.2024) are written day-first"
        elif total is not None:
            first, why = total, "values only one order can read, elsewhere in the column"
        else:
            first, why = None, "undecided: no value is readable in only one order"
        out.append(PairOrder(key, first, only_d, only_m, amb, why))
    return tuple(out)


CONFLICT_SHARE = 0.05
"""Evidence for the other day/month order above this share means the column mixes both orders: its
ambiguous values are then left undecided, never resolved by a majority."""


def _one_sided(day_first: int, month_first: int) -> bool | None:
    total = day_first + month_first
    if total == 0 or min(day_first, month_first) > CONFLICT_SHARE * total:
        return None
    return day_first > month_first


def _build_plan(hits: pl.DataFrame, used: Sequence[DateFormat], orders: tuple[PairOrder, ...],
                named: bool, timed: bool) -> DatePlan:
    first = {o.pair: o.day_first for o in orders}
    ranked: list[DateFormat] = []
    for f in used:
        pref = first.get(f.pair) if f.pair else None
        preferred = f.order == ("dmy" if pref in (True, None) else "mdy")
        if f.pair is None or preferred:
            ranked.append(f)
            ranked += [g for g in used if g.pair == f.pair and g is not f and f.pair]
    seen: list[DateFormat] = []
    for f in ranked + list(used):
        if f not in seen:
            seen.append(f)
    # count each value once, under the first format that reads it
    name = pl.coalesce([pl.when(pl.col(f.name).is_not_null()).then(pl.lit(f.name)) for f in seen])
    labelled = hits.with_columns(
        pl.when(pl.col("__t")).then(name + " hh:mm").otherwise(name).alias("__fmt")).filter(pl.col("__fmt").is_not_null())
    counts = dict(labelled.group_by("__fmt").agg(pl.col("n").sum()).iter_rows())
    n_timed = _weighted(labelled, pl.col("__t"))
    total = int(labelled.get_column("n").sum() or 0)
    return DatePlan(formats=tuple(seen), counts={k: int(v) for k, v in counts.items()}, orders=orders,
                    has_time=n_timed > 0, named=named, timed_share=n_timed / total if total else 0.0)


def distinct_counts(series: pl.Series) -> pl.DataFrame:
    """Distinct non-null values `v` of a text series with their counts `n` (what plans are made from)."""
    s = series.drop_nulls().cast(pl.String)
    return s.to_frame("v").group_by("v").agg(pl.len().cast(pl.Int64).alias("n"))


def is_date_like(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(DATE_LIKE)


@dataclass
class DateColumn:
    """A date column as measured: the plan, plus exact counts over the whole column."""

    plan: DatePlan
    conforming: int = 0
    ambiguous: int = 0
    formats: dict[str, int] = field(default_factory=dict)


ANY = DatePlan(formats=CATALOGUE, counts={}, has_time=True, named=True)
"""Every format of the catalogue, for checks that need no column plan (is this text a date at all?)."""


def any_date(expr: pl.Expr) -> pl.Expr:
    """The date a text is in any catalogue format (day-first where both orders read it), null if none."""
    return ANY.parse(expr, guess=True)


def plausible_birth_date(d: pl.Expr, today: date | None = None) -> pl.Expr:
    """A date between 120 years ago and today (birth dates cannot be in the future)."""
    today = today or date.today()
    return d.cast(pl.Date).is_between(pl.lit(date(today.year - 120, 1, 1)), pl.lit(today))
