"""Personal data inside free text: e-mail addresses, phone numbers and card numbers in notes and
comments, found by extracting candidates from each value and validating them like whole values."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from agensium.engine.values.contact import EMAIL_IN_TEXT
from agensium.engine.values.identifiers import is_card_number
from agensium.engine.values.phones import FALLBACK_REGIONS, is_possible_phone

PHONE_IN_TEXT = (r"(?:\+|\b00)\d[\d \-.()]{6,20}\d"  # international
                 r"|\(\d{2,5}\)[ \-.]?\d{2,4}[ \-.]?\d{2,5}"  # (area) number
                 r"|\b\d{2,5}[ \-.]\d{3,4}[ \-.]\d{3,5}\b"  # grouped national numbers
                 r"|\b0\d(?:[ .]\d{2}){4}\b")  # French-style pairs
CARD_IN_TEXT = r"\b\d(?:[ \-]?\d){11,18}\b"


def contains_email(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(EMAIL_IN_TEXT)


def contains_phone(expr: pl.Expr, regions: Sequence[str] = FALLBACK_REGIONS) -> pl.Expr:
    found = expr.cast(pl.String).str.extract_all(PHONE_IN_TEXT)
    return found.list.eval(is_possible_phone(pl.element(), regions)).list.any().fill_null(False)


def contains_card(expr: pl.Expr) -> pl.Expr:
    found = expr.cast(pl.String).str.extract_all(CARD_IN_TEXT)
    return found.list.eval(is_card_number(pl.element())).list.any().fill_null(False)


def is_free_text(expr: pl.Expr) -> pl.Expr:
    """Several words: a sentence, a note, an address (not one token or one short name)."""
    return expr.cast(pl.String).str.count_matches(r"\S+") >= 4
