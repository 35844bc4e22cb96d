"""Text helpers every value check builds on: any dtype as text, trimming, shapes and variant keys."""

from __future__ import annotations

import polars as pl


def as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Any column as text, where Polars' cast to String refuses: nested values as their JSON, bytes as
    base64, durations as ISO 8601 ("PT5S"). Nulls stay null."""
    if isinstance(dtype, pl.List | pl.Array | pl.Struct):
        # the JSON of a one-field struct, {"v":value}, with its wrapper cut off: the value's own JSON
        text = pl.struct(expr.alias("v")).struct.json_encode().str.strip_prefix('{"v":').str.strip_suffix("}")
        return pl.when(expr.is_null()).then(None).otherwise(text)
    if dtype == pl.Binary:
        return expr.bin.encode("base64")
    if isinstance(dtype, pl.Duration):
        return expr.dt.to_string("iso")
    return expr.cast(pl.String)


def stripped(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars()


def shape_mask(expr: pl.Expr, collapse: bool = False, max_len: int = 40) -> pl.Expr:
    """Shape of a text: upper-case letters → A, lower-case → a, digits → 9, other characters kept.

    With `collapse`, runs of the same class shrink to one symbol ("John Smith" → "Aa Aa").
    """
    m = (
        expr.cast(pl.String)
        .str.replace_all(r"\p{Lu}", "A")
        .str.replace_all(r"\p{Ll}|\p{Lo}|\p{Lm}|\p{Lt}", "a")
        .str.replace_all(r"\p{Nd}", "9")
    )
    if collapse:
        m = m.str.replace_all(r"A+", "A").str.replace_all(r"a+", "a").str.replace_all(r"9+", "9")
    return m.str.slice(0, max_len)


def fingerprint(expr: pl.Expr) -> pl.Expr:
    """The key under which spellings of one value meet: case, accents, punctuation and spacing ignored,
    so "N.Y.", "ny" and " NY" share the key "ny", and "New-York" and "new  york" the key "newyork"."""
    return (
        expr.cast(pl.String)
        .str.to_lowercase()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{Mn}", "")
        .str.replace_all(r"[^\p{L}\p{N}]", "")
    )
