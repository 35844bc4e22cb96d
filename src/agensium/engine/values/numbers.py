"""Numbers written as text: thousands separators, decimal comma, currency signs and ISO codes,
accounting negatives "(1,234.50)", percents; and the currency each value names.

The decimal separator is decided per column (`decide_decimal`) from the values only one reading
explains (12,5 or 1.234,56 against 12.5 or 1,234.56). Digit strings that are identifiers, not
quantities (a leading zero, a leading '+', more than 15 digits) are never numbers.
"""

from __future__ import annotations

import re
from typing import Literal

import polars as pl

from agensium.engine.values.text import stripped

Decimal = Literal[".", ","]

SYMBOLS: dict[str, str] = {
    "US$": "USD", "U$S": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "NZ$": "NZD",
    "HK$": "HKD", "S$": "SGD", "R$": "BRL", "MX$": "MXN", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY",
    "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₫": "VND", "₱": "PHP", "₦": "NGN",
    "฿": "THB", "zł": "PLN", "kr": "SEK", "Fr.": "CHF", "CHF": "CHF",
}
"""Currency signs → ISO 4217 code. A bare "$" is read as USD (the report says so)."""
ISO_CODES: tuple[str, ...] = (
    "USD", "EUR", "GBP", "JPY", "CNY", "RMB", "CHF", "CAD", "AUD", "NZD", "INR", "BRL", "MXN", "ZAR", "SEK", "NOK",
    "DKK", "PLN", "CZK", "HUF", "RUB", "TRY", "KRW", "SGD", "HKD", "TWD", "THB", "IDR", "MYR", "PHP", "VND",
    "AED", "SAR", "QAR", "KWD", "ILS", "EGP", "NGN", "KES", "GHS", "MAD", "ARS", "CLP", "COP", "PEN", "UAH",
    "RON", "BGN", "ISK", "HRK", "RSD", "PKR", "BDT", "LKR",
)


def _sign_pattern(sign: str) -> str:
    """A sign as a regex; signs made of letters ("kr", "zł") only as whole words."""
    rx = re.escape(sign)
    return (r"\b" if sign[0].isalpha() else "") + rx + (r"\b" if sign[-1].isalpha() else "")


_SIGN_RX = "|".join(_sign_pattern(s) for s in sorted(SYMBOLS, key=len, reverse=True))
CURRENCY = rf"(?:{_SIGN_RX}|\b(?:{'|'.join(ISO_CODES)})\b)"
"""A currency sign or ISO code anywhere in a value."""
_CURRENCY_MAP = {**SYMBOLS, **{c: c for c in ISO_CODES}, "RMB": "CNY"}

_DOT_NUM = r"^[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:[eE][-+]?\d+)?$"
_COMMA_NUM = r"^[-+]?(?:\d{1,3}(?:[.\s\u00a0']\d{3})+|\d+)?(?:,\d+)?(?:[eE][-+]?\d+)?$"


def _core(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(core text, accounting-negative flag, percent flag): currency, brackets, sign spacing removed."""
    t = stripped(expr)
    paren = t.str.contains(r"^\(.*\)$")
    t = t.str.replace(r"^\((.*)\)$", "$1").str.replace_all(CURRENCY, "").str.strip_chars()
    t = t.str.replace(r"^([-+])\s+", "$1").str.replace(r"^(.*\d)\s*-$", "-$1")  # "- 5", "5-" (trailing minus)
    percent = t.str.ends_with("%")
    t = t.str.strip_suffix("%").str.strip_chars()
    return t, paren, percent


def parse_number(expr: pl.Expr, decimal: Decimal = ".", percent_as_fraction: bool = False) -> pl.Expr:
    """Float64 value of numeric-looking text ("$1,234.50" → 1234.5, "(5)" → -5, "12%" → 12 or 0.12);
    null for anything else: words, blanks, codes with a leading zero or '+'."""
    t, paren, percent = _core(expr)
    if decimal == ".":
        valid = t.str.contains(_DOT_NUM)
        num = t.str.replace_all(",", "", literal=True)
    else:
        valid = t.str.contains(_COMMA_NUM)
        num = t.str.replace_all(r"[.\s\u00a0']", "").str.replace(",", ".", literal=True)
    raw = stripped(expr)
    valid = valid & t.str.contains(r"\d") & ~t.str.contains(r"^[-+]?0\d") & ~raw.str.starts_with("+")
    v = pl.when(valid).then(num.cast(pl.Float64, strict=False))
    v = pl.when(paren).then(-v.abs()).otherwise(v)
    if percent_as_fraction:
        v = pl.when(percent).then(v / 100.0).otherwise(v)
    return v


def is_number_text(expr: pl.Expr, decimal: Decimal = ".") -> pl.Expr:
    return parse_number(expr, decimal).is_not_null()


def currency(expr: pl.Expr) -> pl.Expr:
    """The ISO 4217 code a value names by sign or code ("$5" → USD, "5 EUR" → EUR), null where none."""
    found = expr.cast(pl.String).str.extract(rf"({CURRENCY})", 1)
    return found.replace_strict(_CURRENCY_MAP, default=None, return_dtype=pl.String)


def decimal_evidence(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Counts of values that only a '.'-decimal or only a ','-decimal reading explains."""
    t, _, _ = _core(expr)
    comma = t.str.contains(r"^-?\d+,\d{1,2}$|^-?\d{1,3}(?:\.\d{3})+(?:,\d+)?$|^-?\d+,\d{4,}$")
    dot = t.str.contains(r"^-?\d+\.\d{1,2}$|^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$|^-?\d+\.\d{4,}$")
    return dot.sum().alias("dot"), comma.sum().alias("comma")


def decide_decimal(values: pl.Series) -> Decimal:
    """',' when more values can only be read with a decimal comma than only with a decimal point."""
    dot, comma = values.to_frame("v").select(*decimal_evidence(pl.col("v"))).row(0)
    return "," if (comma or 0) > (dot or 0) else "."


def looks_like_code(expr: pl.Expr) -> pl.Expr:
    """Digit strings that are identifiers, not quantities: leading zero, leading '+', > 15 digits."""
    t = stripped(expr)
    return t.str.contains(r"^0\d|^\+") | (t.str.count_matches(r"\d") > 15)


def style(expr: pl.Expr) -> pl.Expr:
    """How a number is written, for the report: currency, percent, accounting, grouped or plain."""
    t = stripped(expr)
    return (
        pl.when(t.str.contains(CURRENCY)).then(pl.lit("currency"))
        .when(t.str.contains(r"%\s*$")).then(pl.lit("percent"))
        .when(t.str.contains(r"^\(.*\)$")).then(pl.lit("accounting negative"))
        .when(t.str.contains(r"\d[,.\s']\d{3}(?:\D|$)")).then(pl.lit("thousands separators"))
        .otherwise(pl.lit("plain"))
    )
