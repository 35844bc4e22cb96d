"""Booleans written as text: the one word list."""

from __future__ import annotations

import polars as pl

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "0", "off"})
WORDS = TRUE_WORDS | FALSE_WORDS


def _low(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().str.to_lowercase()


def is_boolean_text(expr: pl.Expr) -> pl.Expr:
    return _low(expr).is_in(sorted(WORDS))


def parse_boolean(expr: pl.Expr) -> pl.Expr:
    """Text → Boolean; null where the text is not a boolean word."""
    t = _low(expr)
    return pl.when(t.is_in(sorted(TRUE_WORDS))).then(True).when(t.is_in(sorted(FALSE_WORDS))).then(False)


FAMILIES = {"true": "true/false", "false": "true/false", "yes": "yes/no", "no": "yes/no", "y": "y/n", "n": "y/n",
            "t": "t/f", "f": "t/f", "1": "1/0", "0": "1/0", "on": "on/off", "off": "on/off"}


def style(expr: pl.Expr) -> pl.Expr:
    """How a boolean is written: its word family and case ("yes/no, lower", "true/false, UPPER"), so a column
    mixing Yes, y and TRUE is seen writing one thing several ways."""
    t = expr.cast(pl.String).str.strip_chars()
    family = t.str.to_lowercase().replace_strict(FAMILIES, default=None, return_dtype=pl.String)
    case = (pl.when(t == t.str.to_lowercase()).then(pl.lit("lower"))
            .when(t == t.str.to_uppercase()).then(pl.lit("UPPER")).otherwise(pl.lit("Title")))
    return pl.when(family.is_not_null()).then(family + ", " + case)
