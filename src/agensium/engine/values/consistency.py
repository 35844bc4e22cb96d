"""One value written several ways: spelling variants of text ("NY", "ny", "N.Y.", "New York"), several
date formats in one column, several currencies in one money column.

A value is inconsistent when its column writes the same thing another way more often: for text, the
spellings that share a key (`text.fingerprint`, or the state or country code when most values are
places) and are not the most frequent spelling of that key; for dates, the values not in the column's
most frequent format; for money, the values in another currency than the most frequent one.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from agensium.engine.values.places import country_key, state_key
from agensium.engine.values.text import fingerprint

PLACE_SHARE = 0.5
"""A column whose values are mostly US states (or countries) groups their spellings by code."""


@dataclass(frozen=True)
class VariantGroup:
    key: str
    canonical: str
    """The most frequent spelling (ties: the first in sort order)."""
    members: tuple[tuple[str, int], ...]
    """Every spelling and its count, most frequent first."""

    @property
    def inconsistent(self) -> int:
        return sum(n for _, n in self.members[1:])


@dataclass(frozen=True)
class Variants:
    inconsistent: int
    groups: tuple[VariantGroup, ...]
    keyed_by: str
    """fingerprint, state code or country code."""


def _key(distinct: pl.DataFrame) -> tuple[pl.Expr, str]:
    total = int(distinct.get_column("n").sum() or 0)
    for name, key in (("state code", state_key(pl.col("v"))), ("country code", country_key(pl.col("v")))):
        hit = int(distinct.select(pl.col("n").filter(key.is_not_null()).sum()).item() or 0)
        if total and hit >= PLACE_SHARE * total:
            return pl.coalesce(key, fingerprint(pl.col("v"))), name
    return fingerprint(pl.col("v")), "fingerprint"


def spelling_variants(distinct: pl.DataFrame, max_groups: int = 50) -> Variants:
    """Spelling variants among distinct present values `v` with counts `n` (placeholders removed)."""
    if distinct.height < 2:
        return Variants(0, (), "fingerprint")
    key, keyed_by = _key(distinct)
    multi = (
        distinct.with_columns(key.alias("key"))
        .filter(pl.col("key").is_not_null() & (pl.col("key") != ""))
        .sort(["n", "v"], descending=[True, False])
        .group_by("key", maintain_order=True)
        .agg(pl.col("v"), pl.col("n"))
        .filter(pl.col("v").list.len() > 1)
    )
    if multi.height == 0:
        return Variants(0, (), keyed_by)
    inconsistent = int(multi.select(pl.col("n").list.slice(1).list.sum().sum()).item() or 0)
    top = multi.with_columns(pl.col("n").list.slice(1).list.sum().alias("bad")).sort("bad", descending=True)
    groups = tuple(VariantGroup(k, vs[0], tuple(zip(vs, ns, strict=True)))
                   for k, vs, ns in top.head(max_groups).select("key", "v", "n").iter_rows())
    return Variants(inconsistent, groups, keyed_by)


def off_dominant(counts: dict[str, int]) -> int:
    """Values not written the most frequent way (dates in other formats, money in other currencies)."""
    return sum(counts.values()) - max(counts.values()) if counts else 0
