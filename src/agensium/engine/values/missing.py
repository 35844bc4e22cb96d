"""Missing values written as text: which tokens mean "no value", and how a column is checked for them.

Some tokens only ever mean "no value" (NULL, N/A, #N/A, nan, …). Others usually do but can be data in
some columns: "NA" is Namibia in a column of two-letter country codes, "-" can be a value in a column of
symbols. An ambiguous token is a placeholder unless the column's other values are written like it (see
`ambiguous_as_data`); that is decided per column, from its values, never from its name.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from agensium.engine.values.places import ALPHA2_NAME, US_STATES

UNAMBIGUOUS: tuple[str, ...] = (
    "null", "nan", "n/a", "n.a.", "n.a", "#n/a", "missing", "undefined", "#null!", "<null>", "(null)", "[null]",
    "(blank)", "<blank>", "not available", "not applicable", "no data", "nodata", "none", "nil", "void",
)
"""Tokens that only ever mean 'no value' (compared case-insensitively after trimming)."""
AMBIGUOUS: tuple[str, ...] = ("na", "-", "--", "---", "?", "??", ".", "_")
"""Tokens that usually mean 'no value' but can be data (NA = Namibia, '-' as a symbol, …)."""


@dataclass(frozen=True)
class MissingTokens:
    """The placeholder vocabulary of a run (configurable: more tokens, or only the unambiguous ones)."""

    unambiguous: tuple[str, ...] = UNAMBIGUOUS
    ambiguous: tuple[str, ...] = AMBIGUOUS
    extra: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, extra: Iterable[str] = (), include_ambiguous: bool = True) -> MissingTokens:
        return cls(ambiguous=AMBIGUOUS if include_ambiguous else (),
                   extra=tuple(sorted({t.strip().lower() for t in extra if t.strip()})))

    @property
    def all(self) -> tuple[str, ...]:
        return self.unambiguous + self.extra + self.ambiguous

    def without(self, data_tokens: Iterable[str]) -> MissingTokens:
        """The vocabulary of one column, where some ambiguous tokens are data."""
        keep = set(data_tokens)
        return MissingTokens(self.unambiguous, tuple(t for t in self.ambiguous if t not in keep), self.extra)

    def spellings(self) -> dict[str, str]:
        """Every token as written in practice → the token: any mix of case for short tokens (N/a, NuLL),
        lower, UPPER, Title and Capitalised for long ones, each also padded by a space. One hash lookup
        per value then finds them, with no copy of the column trimmed or lower-cased."""
        out: dict[str, str] = {}
        for token in self.all:
            forms = {token, token.upper(), token.title(), token.capitalize()}
            if sum(ch.isalpha() for ch in token) <= 5:
                forms |= _cases(token)
            for f in forms:
                out.update({f: token, f" {f}": token, f"{f} ": token, f" {f} ": token})
        return out

    def token(self, expr: pl.Expr) -> pl.Expr:
        """The placeholder token a value is (lower-cased), null where it is none."""
        return expr.cast(pl.String).replace_strict(self.spellings(), default=None, return_dtype=pl.String)

    def is_placeholder(self, expr: pl.Expr) -> pl.Expr:
        """True where a value is a placeholder token (false for nulls and blanks)."""
        return self.token(expr).is_not_null()


def _cases(token: str) -> set[str]:
    """Every upper/lower-case mix of a token's letters."""
    out = [""]
    for ch in token:
        out = [p + c for p in out for c in ({ch.lower(), ch.upper()} if ch.isalpha() else {ch})]
    return set(out)


DEFAULT_TOKENS = MissingTokens()


def is_blank(expr: pl.Expr) -> pl.Expr:
    """Empty or whitespace-only text (false for nulls)."""
    return ~expr.cast(pl.String).str.contains(r"\S")


def is_missing(expr: pl.Expr, tokens: MissingTokens = DEFAULT_TOKENS) -> pl.Expr:
    """Null, blank, or a placeholder token: every way a text cell says 'no value'."""
    return expr.is_null() | is_blank(expr) | tokens.is_placeholder(expr)


def ambiguous_as_data(distinct: pl.DataFrame, tokens: MissingTokens = DEFAULT_TOKENS) -> list[str]:
    """Ambiguous tokens that are data in this column.

    `distinct` holds the column's distinct values `v` and their counts `n`. "NA" is data only in a column of
    country codes (Namibia); a punctuation token ("-", "?") is data where most other values are written
    like it (a column of symbols); elsewhere they are placeholders.
    """
    if not tokens.ambiguous or distinct.height == 0:
        return []
    v = pl.col("v").str.strip_chars()
    low = v.str.to_lowercase()
    shaped = distinct.filter(v.str.len_chars() > 0).with_columns(
        low.alias("low"), v.str.replace_all(r"\p{L}", "a").str.replace_all(r"\p{Nd}", "9")
        .str.replace_all(r"[^a9\s]", ".").alias("shape"))
    found = set(shaped.filter(pl.col("low").is_in(list(tokens.ambiguous))).get_column("low").to_list())
    if not found:
        return []
    others = shaped.filter(~pl.col("low").is_in(list(tokens.all)))
    total = int(others.get_column("n").sum() or 0)
    if total == 0:
        return []
    data: set[str] = set()
    if "na" in found:  # Namibia among country codes; among US states (CA, GA, … are countries too) a placeholder
        two = v.str.to_uppercase()
        countries = int(others.filter(two.is_in(list(ALPHA2_NAME))).get_column("n").sum() or 0)
        states = int(others.filter(two.is_in(list(US_STATES))).get_column("n").sum() or 0)
        if countries >= 0.9 * total and states < 0.5 * total:
            data.add("na")
    by_shape = dict(others.group_by("shape").agg(pl.col("n").sum()).iter_rows())
    for low_token, shape in shaped.filter(pl.col("low").is_in(list(found - {"na"}))).select("low", "shape").iter_rows():
        if by_shape.get(shape, 0) >= 0.5 * total:
            data.add(low_token)
    return sorted(data)
