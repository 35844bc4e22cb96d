"""Person names: a weak signal from values alone ("New York" is written like "John Smith"), so callers
combine it with other evidence (a column name, the columns beside it)."""

from __future__ import annotations

import polars as pl

from agensium.engine.values.text import stripped

PARTICLES = r"(?:van|von|de|del|della|der|den|di|da|du|dos|das|le|la|bin|ibn|al|el|st\.?|mc|mac|o')"
_WORD = r"(?:\p{Lu}[\p{L}'\u2019\-]*\.?|" + PARTICLES + r")"
PERSON_NAME_RE = rf"^{_WORD}(?:\s+{_WORD}){{0,4}}$|^\p{{Lu}}[\p{{L}}'\u2019\-]*,\s*{_WORD}(?:\s+{_WORD}){{0,3}}$"
"""One to five capitalised words (particles such as van, de, bin allowed), or "Last, First"."""


NAME_WORDS_RE = r"^[\p{L}'\u2019.\-]+(?:,?\s+[\p{L}'\u2019.\-]+){0,5}$"
"""Up to six words of letters (apostrophes, dots, hyphens; any case): what a name can be written as."""


def looks_like_person_name(expr: pl.Expr) -> pl.Expr:
    """Written like a name: words of letters only, at most 60 characters (case is a spelling question,
    not validity: "mary" is Mary written another way)."""
    t = stripped(expr)
    return t.str.contains(NAME_WORDS_RE) & (t.str.len_chars() <= 60)


def is_capitalised_name(expr: pl.Expr) -> pl.Expr:
    """Capitalised words (particles such as van, de, bin allowed), or "Last, First"."""
    t = stripped(expr)
    return t.str.contains(PERSON_NAME_RE) & (t.str.len_chars() <= 60)


def word_count(expr: pl.Expr) -> pl.Expr:
    return stripped(expr).str.count_matches(r"\S+")


def is_comma_name(expr: pl.Expr) -> pl.Expr:
    """Written "Last, First"."""
    return stripped(expr).str.contains(r"^\p{L}[\p{L}'\u2019\-\s]*,\s*\p{L}")
