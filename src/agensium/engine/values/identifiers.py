"""Identifiers with a checkable structure: payment cards (Luhn), IBAN (mod 97), US SSN, IP addresses,
UUIDs and postal codes. A value must pass the check, not just look like one."""

from __future__ import annotations

import ipaddress

import polars as pl

from agensium.engine.values.text import stripped


def digits_only(expr: pl.Expr) -> pl.Expr:
    """Remove the separators people type inside long numbers (space, dash, dot)."""
    return stripped(expr).str.replace_all(r"[ \-.]", "")


_DOUBLED = {str(d): (2 * d - 9 if 2 * d > 9 else 2 * d) for d in range(10)}


def luhn_valid(digits: pl.Expr, width: int = 19) -> pl.Expr:
    """Luhn checksum of a digit string of at most `width` digits (vectorised; left zero-padding is neutral)."""
    padded = digits.str.zfill(width)
    terms = []
    for i in range(width):
        ch = padded.str.slice(i, 1)
        if (width - 1 - i) % 2 == 1:  # every second digit from the right is doubled
            terms.append(ch.replace_strict(_DOUBLED, default=None, return_dtype=pl.Int64))
        else:
            terms.append(ch.cast(pl.Int64, strict=False))
    return (pl.sum_horizontal(terms, ignore_nulls=False) % 10) == 0


CARD_IIN_RE = (
    r"^(?:4\d{12}(?:\d{3}){0,2}"  # Visa 13/16/19
    r"|(?:5[1-5]\d{2}|222[1-9]|22[3-9]\d|2[3-6]\d{2}|27[01]\d|2720)\d{12}"  # Mastercard 16
    r"|3[47]\d{13}"  # American Express 15
    r"|3(?:0[0-5]|[68]\d)\d{11,16}"  # Diners Club 14-19
    r"|6(?:011|5\d{2}|4[4-9]\d)\d{12,15}"  # Discover 16-19
    r"|35(?:2[89]|[3-8]\d)\d{12,15}"  # JCB 16-19
    r"|62\d{14,17}"  # UnionPay 16-19
    r"|(?:5[06-9]|6\d)\d{10,17})$"  # Maestro 12-19
)
CARD_SHAPE = r"^\s*\d[\d \-]{10,22}\d\s*$"


def is_card_number(expr: pl.Expr) -> pl.Expr:
    """A payment card number: only digits and separators, a known issuer prefix and length, and Luhn."""
    d = digits_only(expr)
    return stripped(expr).str.contains(r"^\d[\d \-]{10,22}\d$") & d.str.contains(CARD_IIN_RE) & luhn_valid(d)


IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20,
    "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
    "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29,
    "RO": 24, "RS": 22, "SA": 24, "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}
IBAN_SHAPE = r"^\s*[A-Za-z]{2}\d{2}[A-Za-z0-9 ]{11,40}\s*$"


def is_iban(expr: pl.Expr) -> pl.Expr:
    """IBAN: known country, that country's length, and the ISO 7064 mod-97 check equal to 1."""
    s = stripped(expr).str.replace_all(" ", "").str.to_uppercase()
    shape = s.str.contains(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
    expected = s.str.slice(0, 2).replace_strict(IBAN_LENGTHS, default=None, return_dtype=pl.Int64)
    rearranged = s.str.slice(4) + s.str.slice(0, 4)
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    numeric = rearranged.str.replace_many(letters, [str(10 + i) for i in range(26)])
    padded = numeric.str.zfill(70)
    # value mod 97 = sum(chunk_i * (10^(7 * chunks after i) mod 97)) mod 97: a flat sum, no deep nesting
    terms = [padded.str.slice(i, 7).cast(pl.Int64, strict=False) * pow(10, 70 - i - 7, 97) for i in range(0, 70, 7)]
    rem = pl.sum_horizontal(terms, ignore_nulls=False) % 97
    return shape & (s.str.len_chars() == expected) & (rem == 1)


def is_us_ssn(expr: pl.Expr, allow_undashed: bool = False) -> pl.Expr:
    """US SSN rules: area not 000, 666 or 9xx; group not 00; serial not 0000.

    Undashed nine-digit numbers are accepted only when the caller has other evidence (a name hint),
    because any nine-digit id would match.
    """
    t = stripped(expr)
    pattern = r"^\d{3}-?\d{2}-?\d{4}$" if allow_undashed else r"^\d{3}-\d{2}-\d{4}$"
    d = t.str.replace_all("-", "")
    area, group, serial = d.str.slice(0, 3), d.str.slice(3, 2), d.str.slice(5, 4)
    return (
        t.str.contains(pattern)
        & (area != "000") & (area != "666") & ~area.str.starts_with("9")
        & (group != "00") & (serial != "0000")
    )


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4_RE = rf"^\s*{_OCTET}(?:\.{_OCTET}){{3}}\s*$"


def is_ipv4(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(_IPV4_RE)


def ipv6_candidate(expr: pl.Expr) -> pl.Expr:
    """Cheap vectorised pre-filter; confirm with `is_ipv6_value` on a sample."""
    t = stripped(expr)
    return t.str.contains(r"^[0-9A-Fa-f:.]{2,45}$") & t.str.contains(":.*:")


def is_ipv6_value(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value.strip())
    except ValueError:
        return False
    return True


UUID_RE = r"^\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*$"


def is_uuid(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(UUID_RE)


POSTCODE_RE = (
    r"^\s*(?:\d{5}(?:-\d{4})?"  # US ZIP / ZIP+4, and five-digit codes (DE, FR, ES, IT, …)
    r"|[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2}"  # UK
    r"|[A-Za-z]\d[A-Za-z]\s?\d[A-Za-z]\d"  # Canada
    r"|\d{4}\s?[A-Za-z]{2}"  # Netherlands
    r"|\d{3}-\d{4}"  # Japan
    r"|\d{2}-\d{3}"  # Poland
    r"|\d{4})\s*$"  # four-digit codes (AU, AT, BE, CH, DK, NO, …)
)
"""Postal codes of the common countries. Four- and five-digit codes are numbers too: callers need other
evidence (a name hint) before calling a column of them postal codes."""


def is_postcode(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.contains(POSTCODE_RE)
