"""The kinds of values, and `ValueType`: what one column holds, with the checks and parsers for it.

A `ValueType` is decided once per column (see `classify`) and then applied vectorised: `conforms`
(is this value a valid one of its kind), `parse` (the typed value), `placeholder` (the missing-value
token it is, if any). Every tool asks these, so profile, clean and master never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from agensium.engine.values import contact, identifiers, names, numbers, phones
from agensium.engine.values.booleans import is_boolean_text, parse_boolean
from agensium.engine.values.dates import DatePlan
from agensium.engine.values.missing import DEFAULT_TOKENS, MissingTokens


class Kind(StrEnum):
    EMPTY = "empty"
    EMAIL = "email"
    URL = "url"
    UUID = "uuid"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    CARD = "credit_card"
    IBAN = "iban"
    SSN = "ssn"
    DATE = "date_text"
    BOOLEAN = "boolean_text"
    PHONE = "phone"
    CURRENCY = "currency"
    NUMBER = "number_text"
    POSTCODE = "postcode"
    PERSON_NAME = "person_name"
    TEXT = "text"


PII_KINDS = frozenset({Kind.EMAIL, Kind.PHONE, Kind.CARD, Kind.IBAN, Kind.SSN, Kind.IPV4, Kind.IPV6,
                       Kind.PERSON_NAME, Kind.POSTCODE})
NUMERIC_KINDS = frozenset({Kind.NUMBER, Kind.CURRENCY})

_CHECKS: dict[Kind, Callable[[pl.Expr], pl.Expr]] = {
    Kind.EMAIL: contact.is_email,
    Kind.URL: contact.is_url,
    Kind.UUID: identifiers.is_uuid,
    Kind.IPV4: identifiers.is_ipv4,
    Kind.IPV6: identifiers.ipv6_candidate,
    Kind.CARD: identifiers.is_card_number,
    Kind.IBAN: identifiers.is_iban,
    Kind.SSN: identifiers.is_us_ssn,
    Kind.BOOLEAN: is_boolean_text,
    Kind.POSTCODE: identifiers.is_postcode,
    Kind.PERSON_NAME: names.looks_like_person_name,
}


@dataclass(frozen=True)
class ValueType:
    """What one column's values are, decided from a sample, applied to the whole column."""

    kind: Kind
    share: float
    """Share of the sampled present values (not missing) that conform."""
    shares: dict[str, float] = field(default_factory=dict)
    """Share of sampled present values accepted by each check (the evidence)."""
    dates: DatePlan | None = None
    decimal: numbers.Decimal = "."
    regions: tuple[str, ...] = phones.FALLBACK_REGIONS
    """Phones: the regions numbers without a country code are read in."""
    tokens: MissingTokens = DEFAULT_TOKENS
    """The placeholder vocabulary of this column (ambiguous tokens that are data here removed)."""
    hinted: bool = False
    """The column name agreed with the values (the type needed a lower share)."""

    @property
    def checked(self) -> bool:
        """Whether values of this kind can be valid or not (text cannot)."""
        return self.kind not in (Kind.TEXT, Kind.EMPTY)

    def conforms(self, expr: pl.Expr) -> pl.Expr | None:
        """True where a value is a valid one of the kind; None for kinds without a check."""
        if self.kind == Kind.DATE and self.dates is not None:
            return self.dates.conforms(expr)
        if self.kind in NUMERIC_KINDS:
            return numbers.is_number_text(expr, self.decimal)
        if self.kind == Kind.PHONE:
            return phones.is_possible_phone(expr, self.regions)
        if self.kind == Kind.SSN:
            return identifiers.is_us_ssn(expr, allow_undashed=self.hinted)
        check = _CHECKS.get(self.kind)
        return check(expr) if check else None

    def parse(self, expr: pl.Expr, guess_dates: bool = False) -> pl.Expr | None:
        """The typed value (Date/Datetime, Float64, Boolean); None for kinds that stay text."""
        if self.kind == Kind.DATE and self.dates is not None:
            return self.dates.parse(expr, guess=guess_dates)
        if self.kind in NUMERIC_KINDS:
            return numbers.parse_number(expr, self.decimal)
        if self.kind == Kind.BOOLEAN:
            return parse_boolean(expr)
        return None

    def placeholder(self, expr: pl.Expr) -> pl.Expr:
        return self.tokens.token(expr)

    def describe(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": self.kind.value, "share": round(self.share, 4)}
        if self.dates is not None:
            out["dates"] = self.dates.describe()
        if self.kind in NUMERIC_KINDS:
            out["decimal_separator"] = self.decimal
        if self.kind == Kind.PHONE:
            out["regions"] = list(self.regions[:5])
        if self.hinted:
            out["name_agrees"] = True
        return out
