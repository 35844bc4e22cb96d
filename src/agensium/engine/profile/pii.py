"""PII detection from values, with column names only as a hint that raises confidence.

Each detector validates values (checksums, number plans, date ranges), so look-alikes do not
match: a 16-digit id that fails Luhn is not a card, a nine-digit id is not an SSN, a 5-digit number
is not a zip code. Weak detectors (person names, dates of birth, postal codes) need the name hint
AND matching values; the name alone is never enough.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from agensium.engine import semantics as sem

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

NAME_HINTS: dict[str, set[str]] = {
    "email": {"email", "mail", "e-mail"},
    "phone": {"phone", "tel", "telephone", "mobile", "cell", "fax", "msisdn"},
    "ssn": {"ssn", "social", "sin"},
    "credit_card": {"card", "cc", "pan", "credit", "creditcard"},
    "iban": {"iban", "account", "bank"},
    "ipv4": {"ip", "ipv4", "ipaddress"},
    "ipv6": {"ip", "ipv6", "ipaddress"},
    "date_of_birth": {"dob", "birth", "birthday", "born", "birthdate"},
    "person_name": {"name", "surname", "forename", "firstname", "lastname", "fullname", "given", "family"},
    "postal_code": {"zip", "zipcode", "postal", "postcode"},
}
NOT_PERSON = {"file", "filename", "user", "username", "host", "hostname", "product", "company", "domain", "table",
              "column", "display", "brand", "app", "server", "db", "schema", "field", "path", "dir", "city",
              "country", "street", "store", "shop", "team", "org", "organisation", "organization", "project",
              "item", "category", "type", "status", "code", "key", "tag", "label", "title", "event", "job"}
WEAK_TYPES = {"date_of_birth", "person_name", "postal_code"}

_POSTAL_RE = (r"^(?:\d{5}(?:-\d{4})?"  # US ZIP / ZIP+4
              r"|[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}"  # UK
              r"|[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d)$")  # Canada


def name_tokens(column: str) -> set[str]:
    """Lower-case tokens of a column name: split on non-letters and camelCase, plus the joined form."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column)
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p]
    return set(parts) | {"".join(parts)}


def name_hint(column: str, pii_type: str) -> bool:
    tokens = name_tokens(column)
    hit = bool(tokens & NAME_HINTS[pii_type])
    if pii_type == "person_name":
        return hit and not (tokens & NOT_PERSON)
    return hit


def vector_check(pii_type: str, hinted: bool, date_format: str | None = None) -> Callable[[pl.Expr], pl.Expr]:
    """The vectorised value check used for exact counts over a whole column."""
    checks: dict[str, Callable[[pl.Expr], pl.Expr]] = {
        "email": sem.is_email, "credit_card": sem.is_card_number, "iban": sem.is_iban,
        "ssn": lambda e: sem.is_us_ssn(e, allow_undashed=hinted), "ipv4": sem.is_ipv4,
        "ipv6": sem.ipv6_candidate, "phone": lambda e: sem.phone_candidate(e) & ~_date_like(e),
        "person_name": sem.looks_like_person_name,
        "postal_code": lambda e: e.cast(pl.String).str.strip_chars().str.contains(_POSTAL_RE),
    }
    if pii_type == "date_of_birth":
        fmt = date_format or "%Y-%m-%d"
        return lambda e: sem.plausible_birth_date(sem.parse_date(e, fmt))
    return checks[pii_type]


def _date_like(e: pl.Expr) -> pl.Expr:
    return e.cast(pl.String).str.contains(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")


def _masked(values: pl.Series) -> float:
    """Share of values that are masked (****1234) or look like hashes: not PII in clear text."""
    s = values.cast(pl.String).str.strip_chars()
    return float(s.str.contains(r"^[*xX#•]{3,}|^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$").mean() or 0.0)


@dataclass
class PiiFinding:
    pii_type: str
    share: float
    """Share of sampled values that passed the validator."""
    confidence: float
    name_hint: bool
    sampled: int
    date_format: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def detect_column_pii(
    column: str,
    values: pl.Series,
    *,
    min_share: float = 0.7,
    hinted_min_share: float = 0.5,
    use_name_hints: bool = True,
    phone_region: str | None = "US",
) -> PiiFinding | None:
    """The most specific PII type whose validator accepts enough of the sampled values, or None."""
    v = values.drop_nulls().cast(pl.String).str.strip_chars()
    v = v.filter(v != "")
    n = v.len()
    if n == 0 or _masked(v) >= 0.5:
        return None
    frame = v.to_frame("v")
    hints = {t: use_name_hints and name_hint(column, t) for t in PII_SENSITIVITY}
    types = [t for t in ("email", "credit_card", "iban", "ssn", "ipv4", "ipv6", "phone", "person_name", "postal_code")
             if t not in WEAK_TYPES or hints[t]]
    # one query for all checks (a query per type costs more in overhead than the checks themselves)
    row = frame.select([vector_check(t, hints[t])(pl.col("v")).mean().alias(t) for t in types]).row(0, named=True)
    shares: dict[str, float] = {t: float(row[t] or 0.0) for t in types}
    fmt = None
    if hints["date_of_birth"]:
        fmt, _ = sem.best_date_format(v)
        if fmt:
            shares["date_of_birth"] = float(frame.select(vector_check("date_of_birth", True, fmt)(pl.col("v")).mean())
                                            .item() or 0.0)
    if shares.get("phone", 0) > 0:  # confirm the phone shape with libphonenumber on distinct values
        uniq = frame.filter(vector_check("phone", hints["phone"])(pl.col("v")))["v"].unique().head(300).to_list()
        valid = sum(sem.valid_phones(uniq, phone_region, strict=True)) / len(uniq) if uniq else 0.0
        if hints["phone"] and uniq:  # named like a phone column: numbers of a possible length also count
            valid = max(valid, 0.9 * sum(sem.valid_phones(uniq, phone_region, strict=False)) / len(uniq))
        shares["phone"] *= valid
    if shares.get("ipv6", 0) > 0:
        uniq = v.unique().head(300).to_list()
        shares["ipv6"] = sum(sem.is_ipv6_value(x) for x in uniq) / len(uniq)
    order = ("credit_card", "ssn", "iban", "email", "ipv4", "ipv6", "phone", "date_of_birth", "postal_code",
             "person_name")
    for t in order:
        share = shares.get(t, 0.0)
        needed = hinted_min_share if hints[t] else min_share
        if share >= needed and share > 0:
            conf = min(0.99, share + (0.1 if hints[t] else 0.0))
            if t in WEAK_TYPES:
                conf = min(conf, 0.8)  # names and dates stay a weaker signal than checksummed identifiers
            return PiiFinding(t, share, conf, hints[t], n, fmt if t == "date_of_birth" else None,
                              {k: round(x, 4) for k, x in shares.items() if x > 0})
    return None
