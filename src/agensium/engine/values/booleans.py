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
