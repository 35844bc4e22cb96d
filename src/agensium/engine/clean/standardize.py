"""Text standardisation steps as Polars expressions, and value clustering (OpenRefine-style keys).

Each step takes the expression of the previous step and returns the next one, so the agent (and the
previewer) can chain them per column and audit every step. Steps that need a library (phone numbers)
run in Python over a column's distinct values only, then map back vectorised.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

import polars as pl

from agensium.engine.values import contact
from agensium.engine.values.places import (
    ALPHA2_NAME,
    ALPHA3_ALPHA2,
    US_STATES,
    country_lookup,
    state_lookup,
)
from agensium.engine.values.text import fingerprint

HSPACE_RUN = r"[^\S\r\n]{2,}|[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]"
"""Runs of horizontal whitespace, and single tabs or exotic spaces (line breaks are kept)."""


def needs_whitespace(e: pl.Expr) -> pl.Expr:
    """True where trimming or collapsing would change the value."""
    return e.str.contains(r"^\s|\s$|" + HSPACE_RUN)


def non_ascii(e: pl.Expr) -> pl.Expr:
    """ASCII text is already in every Unicode normal form; only the rest needs normalising."""
    return e.str.len_bytes() != e.str.len_chars()


def trim(e: pl.Expr) -> pl.Expr:
    return e.str.strip_chars()


def collapse_spaces(e: pl.Expr) -> pl.Expr:
    return e.str.replace_all(HSPACE_RUN, " ")


def unicode_normalize(e: pl.Expr, form: Literal["NFC", "NFKC"]) -> pl.Expr:
    return e.str.normalize(form)


def change_case(e: pl.Expr, how: Literal["lower", "upper", "title"]) -> pl.Expr:
    if how == "lower":
        return e.str.to_lowercase()
    if how == "upper":
        return e.str.to_uppercase()
    return e.str.to_titlecase()


def email(e: pl.Expr, lower_local: bool) -> pl.Expr:
    """Lower-case the domain (case-insensitive by RFC); the local part only when asked."""
    return contact.normalise_email(e, lower_local)


def synonyms(e: pl.Expr, mapping: dict[str, str]) -> pl.Expr:
    """Whole-value replacement, case-insensitive."""
    low = {k.strip().lower(): v for k, v in mapping.items()}
    return (
        pl.when(e.str.strip_chars().str.to_lowercase().is_in(list(low)))
        .then(
            e.str.strip_chars().str.to_lowercase().replace_strict(low, default=None, return_dtype=pl.String)
        )
        .otherwise(e)
    )


def units(e: pl.Expr, mapping: dict[str, tuple[float, str]]) -> pl.Expr:
    """'<number><unit>' -> '<number x factor> <target unit>' for the units in `mapping`."""
    m = e.str.extract_groups(r"^\s*(-?\d+(?:\.\d+)?)\s*([^\d\s][^\s]*)\s*$")
    num = m.struct.field("1").cast(pl.Float64, strict=False)
    unit = m.struct.field("2").str.to_lowercase()
    low = {k.lower(): v for k, v in mapping.items()}
    factor = unit.replace_strict({k: v[0] for k, v in low.items()}, default=None, return_dtype=pl.Float64)
    target = unit.replace_strict({k: v[1] for k, v in low.items()}, default=None, return_dtype=pl.String)
    value = (num * factor).round(6).cast(pl.String).str.replace(r"\.0$", "")
    return pl.when(factor.is_not_null()).then(pl.concat_str([value, pl.lit(" "), target])).otherwise(e)


def country(e: pl.Expr, output: Literal["alpha2", "alpha3", "name"]) -> pl.Expr:
    lookup = country_lookup()
    code = e.str.strip_chars().str.to_lowercase().replace_strict(lookup, default=None, return_dtype=pl.String)
    if output == "alpha2":
        out = code
    elif output == "name":
        out = code.replace_strict(ALPHA2_NAME, default=None, return_dtype=pl.String)
    else:
        a3 = {v: k for k, v in ALPHA3_ALPHA2.items()}
        out = code.replace_strict(a3, default=None, return_dtype=pl.String)
    return pl.coalesce([out, e])


def state(e: pl.Expr, output: Literal["code", "name"]) -> pl.Expr:
    code = (
        e.str.strip_chars()
        .str.to_lowercase()
        .replace_strict(state_lookup(), default=None, return_dtype=pl.String)
    )
    out = code if output == "code" else code.replace_strict(US_STATES, default=None, return_dtype=pl.String)
    return pl.coalesce([out, e])


# ---- clustering ------------------------------------------------------------------------------


def _ngram_key(value: str, n: int) -> str:
    t = unicodedata.normalize("NFKD", value.lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    t = re.sub(r"[\W_]+", "", t)
    grams = sorted({t[i : i + n] for i in range(max(1, len(t) - n + 1))})
    return "".join(grams)


def clusters(
    values: pl.DataFrame, method: Literal["fingerprint", "ngram_fingerprint"], ngram: int = 2
) -> dict[str, list[dict[str, Any]]]:
    """Per column, groups of distinct values sharing a key.

    `values`: `col`, distinct value `v`, its count `n` and first row `first`. The canonical spelling
    is the most frequent one; ties go to the one that appears first in the data.
    """
    vals = values.filter(pl.col("v").is_not_null() & (pl.col("v").str.strip_chars() != ""))
    if vals.height < 2:
        return {}
    if method == "fingerprint":
        keyed = vals.with_columns(fingerprint(pl.col("v")).alias("key"))  # the value layer's variant key
    else:
        keys = [_ngram_key(v, ngram) for v in vals.get_column("v").to_list()]
        keyed = vals.with_columns(pl.Series("key", keys, dtype=pl.String))
    multi = (
        keyed.filter(pl.col("key") != "")
        .sort(["col", "n", "first"], descending=[False, True, False])
        .group_by(["col", "key"], maintain_order=True)
        .agg(pl.col("v"), pl.col("n"))
        .filter(pl.col("v").list.len() > 1)
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for col, key, vs, ns in multi.iter_rows():
        out.setdefault(col, []).append(
            {
                "key": key,
                "canonical": vs[0],
                "rows_affected": int(sum(ns[1:])),
                "members": [{"value": v, "count": n} for v, n in zip(vs, ns, strict=True)],
            }
        )
    return out


def cluster_mapping(found: list[dict[str, Any]]) -> dict[str, str]:
    return {m["value"]: c["canonical"] for c in found for m in c["members"][1:]}
