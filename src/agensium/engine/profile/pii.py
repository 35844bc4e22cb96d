"""PII detection from values, with column names only as a hint that raises confidence.

Each detector validates values (checksums, number plans, date ranges), so look-alikes do not
match: a 16-digit id that fails Luhn is not a card, a nine-digit id is not an SSN, a 5-digit number
is not a zip code. Weak detectors (person names, dates of birth, postal codes) need the name hint
AND matching values; the name alone is never enough.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from agensium.engine.values import (
    Kind,
    ValueType,
    classify,
    freetext,
    hints,
    identifiers,
    phones,
    present_values,
)
from agensium.engine.values.dates import plausible_birth_date

PII_SENSITIVITY: dict[str, int] = {
    "credit_card": 100, "ssn": 100, "iban": 90, "date_of_birth": 80, "email": 75, "phone": 75,
    "person_name": 60, "ipv4": 50, "ipv6": 50, "postal_code": 40,
}
"""Base risk of a column that certainly holds this kind of value (scaled by confidence)."""

COMPLIANCE: dict[str, list[dict[str, str]]] = {
    t: [{"framework": "GDPR", "category": "personal data (Art. 4(1))"},
        {"framework": "CCPA", "category": "personal information (1798.140)"}]
    for t in PII_SENSITIVITY
}
for _t in ("ssn", "credit_card", "iban"):
    COMPLIANCE[_t][1] = {"framework": "CCPA", "category": "sensitive personal information (CPRA)"}
for _t in ("person_name", "postal_code", "date_of_birth", "phone", "email", "ssn", "ipv4", "ipv6", "iban",
           "credit_card"):
    COMPLIANCE[_t].append({"framework": "HIPAA", "category": "identifier (PHI when linked to health data)"})
COMPLIANCE["credit_card"].append({"framework": "PCI DSS", "category": "primary account number"})

KIND_PII: dict[Kind, str] = {
    Kind.EMAIL: "email", Kind.PHONE: "phone", Kind.CARD: "credit_card", Kind.IBAN: "iban", Kind.SSN: "ssn",
    Kind.IPV4: "ipv4", Kind.IPV6: "ipv6", Kind.PERSON_NAME: "person_name", Kind.POSTCODE: "postal_code",
}
"""Value kinds that are personal data (birth dates are dates in a column named like one)."""
WEAK_TYPES = {"date_of_birth", "person_name", "postal_code"}
"""Kinds a value alone cannot prove ("New York" reads like a name): the column's name must agree."""
BIRTH_HINTS = frozenset({"dob", "birth", "birthday", "born", "birthdate"})
IN_TEXT: dict[str, Callable[[pl.Expr], pl.Expr]] = {
    "credit_card": freetext.contains_card, "email": freetext.contains_email, "phone": freetext.contains_phone,
}
"""Personal data looked for inside free text, most sensitive first."""
IN_TEXT_MIN = 0.005
"""Share of a text column's values that must contain a kind of PII for the column to be reported."""


def name_hint(column: str, pii_type: str) -> bool:
    """Does the column's name suggest this kind of personal data?"""
    if pii_type == "date_of_birth":
        return bool(hints.name_tokens(column) & BIRTH_HINTS)
    return hints.suggests(column, {"postal_code": "postcode"}.get(pii_type, pii_type))


def _masked(values: pl.Series) -> float:
    """Share of values that are masked (****1234) or look like hashes: not PII in clear text."""
    s = values.cast(pl.String).str.strip_chars()
    return float(s.str.contains(r"^[*xX#•]{3,}|^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$").mean() or 0.0)


@dataclass
class PiiFinding:
    pii_type: str
    share: float
    """Share of sampled values that passed the validator (or, in free text, that contain PII)."""
    confidence: float
    name_hint: bool
    sampled: int
    check: Callable[[pl.Expr], pl.Expr]
    """The vectorised check of one value, for exact counts over the whole column."""
    in_text: tuple[str, ...] = ()
    """Free text: the kinds of PII found inside the values (the column is not itself of a PII kind)."""
    evidence: dict[str, Any] = field(default_factory=dict)


def _share(values: pl.Series, check: Callable[[pl.Expr], pl.Expr]) -> float:
    return float(values.to_frame("v").select(check(pl.col("v")).fill_null(False).mean()).item() or 0.0)


def _as_pii(column: str, values: pl.Series, vt: ValueType, needed: float
            ) -> tuple[str, float, Callable[[pl.Expr], pl.Expr]] | None:
    """The PII type of a column of one value kind, with its share and exact check; None if it is none."""
    pii = KIND_PII.get(vt.kind)
    if pii == "phone" and not name_hint(column, "phone"):
        # ids written with a leading '+' have a phone's length: without the name, only real numbers count
        uniq = values.unique().head(300).to_list()
        if phones.valid_share(uniq, vt.regions, strict=True) < needed:
            return None
    if pii is not None:
        check = vt.conforms
        return pii, vt.share, lambda e: check(e).fill_null(False)  # type: ignore[misc]
    if vt.kind == Kind.DATE and vt.dates is not None and hints.name_tokens(column) & BIRTH_HINTS:
        plan = vt.dates

        def birth(e: pl.Expr) -> pl.Expr:
            return plausible_birth_date(plan.parse(e, guess=True)).fill_null(False)

        share = _share(values, birth)
        return ("date_of_birth", share, birth) if share >= needed else None
    if vt.kind == Kind.NUMBER and hints.name_tokens(column) & {"ssn", "social"}:
        return "ssn", vt.share, lambda e: identifiers.is_us_ssn(e, allow_undashed=True)
    return None


def _in_text(values: pl.Series) -> PiiFinding | None:
    frame = values.to_frame("v")
    shares = frame.select([fn(pl.col("v")).mean().alias(k) for k, fn in IN_TEXT.items()]).row(0, named=True)
    found = tuple(k for k, x in shares.items() if (x or 0.0) >= IN_TEXT_MIN)
    if not found:
        return None
    checks = [IN_TEXT[k] for k in found]
    any_share = float(frame.select(pl.any_horizontal([fn(pl.col("v")) for fn in checks]).mean()).item() or 0.0)
    return PiiFinding(found[0], any_share, min(0.9, 0.5 + any_share), False, values.len(),
                      lambda e: pl.any_horizontal([fn(e) for fn in checks]), found,
                      {k: round(float(x or 0.0), 4) for k, x in shares.items() if x})


def detect_column_pii(
    column: str,
    values: pl.Series,
    *,
    min_share: float = 0.7,
    hinted_min_share: float = 0.5,
    use_name_hints: bool = True,
    phone_regions: tuple[str, ...] = (),
) -> PiiFinding | None:
    """The PII a column holds, judged by the value layer (a value of a PII kind, validated), or PII found
    inside its free text; None when there is none."""
    v = values.drop_nulls().cast(pl.String)
    if v.len() == 0 or _masked(v) >= 0.5:
        return None
    vt = classify(v, column if use_name_hints else None, min_share=min_share, hinted_share=hinted_min_share,
                  regions=phone_regions)
    present, _ = present_values(v)
    found = _as_pii(column, present, vt, hinted_min_share)
    if found is not None:
        pii, share, check = found
        hint = use_name_hints and name_hint(column, pii)
        conf = min(0.99, share + (0.1 if hint else 0.0))
        if pii in WEAK_TYPES:
            conf = min(conf, 0.8)  # names and dates stay a weaker signal than checksummed identifiers
        return PiiFinding(pii, share, conf, hint, v.len(), check,
                          evidence={k: round(x, 4) for k, x in vt.shares.items() if x > 0})
    if vt.kind == Kind.TEXT and present.len():
        return _in_text(present)
    return None
