"""Phone numbers of any country, with extensions, with libphonenumber's data and no fixed region.

Exact counts over whole columns use `is_possible_phone`, a vectorised reading of libphonenumber's own
metadata: the country calling code of an international number (they are prefix-free) and the national
number lengths possible there; a number written without a country code is possible when it fits one of
the column's candidate regions (those its international numbers name, then a short list of common
ones, or the regions the caller gives). Per-value checks (`parse_phone`) call libphonenumber itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import phonenumbers
import polars as pl
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat

from agensium.engine.values.text import stripped

FALLBACK_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IN", "CA", "AU", "ES", "IT", "NL", "BR", "MX", "JP",
                                     "CN")
"""Regions tried for numbers written without a country code, after those the column itself names."""
EXTENSION = r"(?i)\s*(?:,|;)?\s*(?:ext\.?|extension|x|#)\s*\d{1,7}\s*$"
SHAPE = r"^\s*(?:\+|00)?[\d\s().\-/]{6,24}$"
FORMATS = {"E164": PhoneNumberFormat.E164, "INTERNATIONAL": PhoneNumberFormat.INTERNATIONAL,
           "NATIONAL": PhoneNumberFormat.NATIONAL}


SEPARATORS = ["(0)", " ", "\u00a0", "\t", "(", ")", ".", "-", "/"]
"""Taken out of a number before it is read ("+44 (0)20 7946-0958" → "+442079460958")."""
EXT_MARKS = [",ext.", ";ext.", "ext.", "Ext.", "EXT.", "extension", "Extension", "ext", "Ext", "EXT", "x", "X", "#"]
"""Written before an extension; all become "x" ("415 555 2671 ext. 12" → "4155552671x12")."""
_COMPACT = r"^\+?\d{7,17}(?:x\d{1,7})?$"


def _compact_text(expr: pl.Expr) -> pl.Expr:
    marks = SEPARATORS + EXT_MARKS
    return expr.cast(pl.String).str.replace_many(marks, [""] * len(SEPARATORS) + ["x"] * len(EXT_MARKS),
                                                 leftmost=True)


def _compact(expr: pl.Expr) -> pl.Expr:
    """The number as '+' and digits (extension cut off), null where the text is no phone number's shape.

    Literal replacements, matching and splitting only: a regex with capture groups is ten times slower."""
    c = _compact_text(expr)
    return pl.when(c.str.contains(_COMPACT)).then(c.str.split_exact("x", 1).struct.field("field_0"))


def without_extension(expr: pl.Expr) -> pl.Expr:
    return stripped(expr).str.replace(EXTENSION, "")


def _shaped(values: pl.Series) -> pl.Series:
    d = pl.col("d")
    n = d.str.strip_prefix("+").str.strip_prefix("00").str.len_bytes()
    return _numbers(values).to_frame().select(
        (d.is_not_null() & (n >= 7) & (n <= 15)).fill_null(False).alias(values.name)).to_series()


def phone_shaped(expr: pl.Expr) -> pl.Expr:
    """Shaped like a phone number: 7 to 15 digits with the usual separators, optional + or 00 prefix."""
    return expr.map_batches(_shaped, return_dtype=pl.Boolean, is_elementwise=True)


def is_formatted(expr: pl.Expr) -> pl.Expr:
    """Written the way phone numbers are (a +, 00, spaces, brackets, dashes), not as a bare number."""
    return stripped(expr).str.contains(r"^\+|^00|[\s()\-./]")


@dataclass(frozen=True)
class _Region:
    code: str
    national_prefix: str
    lengths: frozenset[int]


@cache
def _country_keys() -> tuple[frozenset[int], frozenset[int], frozenset[int], list[int]]:
    """Country calling codes of one, two and three digits (they are prefix-free), and every possible
    (code, national number length) as code x 100 + length (all the code's regions, local-only included)."""
    codes: dict[int, set[int]] = {1: set(), 2: set(), 3: set()}
    keys: set[int] = set()
    for cc, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        codes[len(str(cc))].add(cc)
        for r in regions:
            md = (PhoneMetadata.metadata_for_nongeo_region(cc) if r == "001"
                  else PhoneMetadata.metadata_for_region(r))
            if md is not None and md.general_desc is not None:
                lengths = set(md.general_desc.possible_length or ()) | set(md.general_desc.possible_length_local_only or ())
                keys |= {cc * 100 + n for n in lengths if n > 0}
    return frozenset(codes[1]), frozenset(codes[2]), frozenset(codes[3]), sorted(keys)


@cache
def _region(code: str) -> _Region | None:
    md = PhoneMetadata.metadata_for_region(code)
    if md is None or md.general_desc is None:
        return None
    lengths = set(md.general_desc.possible_length or ()) | set(md.general_desc.possible_length_local_only or ())
    return _Region(code, md.national_prefix or "", frozenset(lengths))


def _national(digits: pl.Expr, n: pl.Expr, regions: Sequence[str]) -> pl.Expr:
    """A possible national number of one of the regions: its length as written, or without the region's
    national (trunk) prefix."""
    plain: set[int] = set()
    prefixed: dict[str, set[int]] = {}
    for code in regions:
        r = _region(code)
        if r is None:
            continue
        plain |= r.lengths
        if r.national_prefix:
            prefixed.setdefault(r.national_prefix, set()).update(r.lengths)
    ok = n.is_in(sorted(plain))
    for prefix, lengths in prefixed.items():
        ok = ok | (digits.str.starts_with(prefix) & (n - len(prefix)).is_in(sorted(lengths)))
    return ok


@cache
def _prefix_table() -> dict[int, int]:
    """First three digits of an international number → country code x 100 - the code's width, so that
    adding the number's digit count gives the key of `_country_keys`."""
    one, two, three, _ = _country_keys()
    out: dict[int, int] = {}
    for p in range(1000):
        for cc, width in ((p // 100, 1), (p // 10, 2), (p, 3)):
            if cc in (one, two, three)[width - 1]:
                out[p] = cc * 100 - width
                break
    return out


def _numbers(values: pl.Series) -> pl.Series:
    """`_compact` of a series, done only where a value is not already '+' and digits (most values of a clean
    column are: they skip the costly replacements)."""
    v = pl.col("v")
    frame = values.cast(pl.String).to_frame("v").with_columns(v.str.contains(r"^\+?\d{7,17}$").alias("plain"))
    if frame["plain"].all():
        return frame["v"].rename("d")
    frame = frame.with_row_index("i")
    out = frame.select(pl.when(pl.col("plain")).then(v).alias("d")).to_series()
    rest = frame.filter(v.is_not_null() & ~pl.col("plain"))
    if rest.height:
        fixed = rest.select("i", _compact(v).alias("d")).drop_nulls("d")
        out = out.scatter(fixed["i"], fixed["d"])
    return out


@cache
def _prefix_array() -> np.ndarray:
    table = np.full(1000, -1, dtype=np.int64)
    for prefix, base in _prefix_table().items():
        table[prefix] = base
    return table


def _possible(values: pl.Series, regions: tuple[str, ...]) -> pl.Series:
    """The check on a whole series, in stages (each intermediate column computed once), international
    numbers and national ones each checked only where they are."""
    d = pl.col("d")
    frame = _numbers(values).to_frame().with_row_index("i").with_columns(
        (d.str.starts_with("+") | d.str.starts_with("00")).alias("intl"),
        d.str.strip_prefix("+").str.strip_prefix("00").alias("digits"))
    frame = frame.with_columns(pl.col("digits").str.len_bytes().cast(pl.Int64).alias("n"))
    n = pl.col("n")
    intl = frame.filter(pl.col("intl")).with_columns(
        pl.col("digits").str.slice(0, 3).cast(pl.Int64, strict=False).fill_null(0).alias("f3"))
    # first three digits -> key base, by indexing an array (a dict lookup per value costs ten times more)
    table = _prefix_array()
    intl = intl.with_columns(pl.Series("base", table[intl["f3"].to_numpy()]).replace(-1, None)).select(
        "i", ((pl.col("base") + n).is_in(_country_keys()[3]).fill_null(False) & (n >= 7) & (n <= 15)).alias("ok"))
    national = frame.filter(d.is_not_null() & ~pl.col("intl")).select(
        "i", (_national(pl.col("digits"), n, regions).fill_null(False) & (n >= 7) & (n <= 15)).alias("ok"))
    out = pl.Series(values.name, [False] * len(values), dtype=pl.Boolean)
    for part in (intl, national):
        if part.height:
            out = out.scatter(part["i"], part["ok"])
    return out


def is_possible_phone(expr: pl.Expr, regions: Sequence[str] = FALLBACK_REGIONS) -> pl.Expr:
    """Vectorised libphonenumber 'possible number' check (see the module docstring)."""
    regs = tuple(regions)
    return expr.map_batches(lambda s: _possible(s, regs), return_dtype=pl.Boolean, is_elementwise=True)


def parse_phone(value: str, regions: Sequence[str] = FALLBACK_REGIONS) -> PhoneNumber | None:
    """libphonenumber's reading of one value: international as written, else in the first candidate
    region where it is a valid number, else the first where it is a possible one."""
    v = value.strip()
    if v.startswith(("+", "00")):
        try:
            num = phonenumbers.parse("+" + v[2:] if v.startswith("00") else v, None)
        except phonenumbers.NumberParseException:
            return None
        return num if phonenumbers.is_possible_number(num) else None
    possible: PhoneNumber | None = None
    for r in regions:
        try:
            num = phonenumbers.parse(v, r)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return num
        if possible is None and phonenumbers.is_possible_number(num):
            possible = num
    return possible


def valid_share(values: Iterable[str], regions: Sequence[str] = FALLBACK_REGIONS, strict: bool = False) -> float:
    """Share of values libphonenumber reads as possible (or, `strict`, valid) numbers."""
    vals = list(values)
    if not vals:
        return 0.0
    nums = [parse_phone(v, regions) for v in vals]
    ok = sum(1 for n in nums if n is not None and (not strict or phonenumbers.is_valid_number(n)))
    return ok / len(vals)


def candidate_regions(values: Iterable[str], given: Sequence[str] = ()) -> tuple[str, ...]:
    """Regions to read national numbers in: the caller's, then those the column's international
    numbers name (most frequent first), then the fallback list."""
    seen: Counter[str] = Counter()
    for v in values:
        v = v.strip()
        if not v.startswith(("+", "00")):
            continue
        try:
            num = phonenumbers.parse("+" + v[2:] if v.startswith("00") else v, None)
        except phonenumbers.NumberParseException:
            continue
        region = phonenumbers.region_code_for_number(num)
        if region and region != "001":
            seen[region] += 1
    out = list(dict.fromkeys([*given, *(r for r, _ in seen.most_common()), *FALLBACK_REGIONS]))
    return tuple(out)


def format_phones(values: Iterable[str], regions: Sequence[str], fmt: str = "E164") -> dict[str, str]:
    """Distinct raw value → the number in `fmt` (extension kept), for values that are valid numbers."""
    out: dict[str, str] = {}
    f = FORMATS[fmt]
    for v in values:
        num = parse_phone(v, regions)
        if num is None or not phonenumbers.is_valid_number(num):
            continue
        text = phonenumbers.format_number(num, f)
        out[v] = f"{text};ext={num.extension}" if num.extension and fmt == "E164" else (
            f"{text} ext. {num.extension}" if num.extension else text)
    return out
