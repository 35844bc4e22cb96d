"""Standard semantic types of columns (first_name, dob, postcode, customer_id, …), from names AND values.

The names are master-data vocabulary (which standard field a column is); what the values ARE comes from
the value layer (`agensium.engine.values`), the one place that judges e-mails, phones, dates, postcodes and
identifiers for all three tools. Name patterns are matched on whole tokens (so "message" is not an age and
"paid" is not an id, two bugs of the earlier version). Entity resolution, the semantic mapper and the
stewardship checks all use this one detector.
"""

from __future__ import annotations

import re

import polars as pl

from agensium.engine.agent import ROW_ID
from agensium.engine.values import Kind, classify, identifiers, present_values

# standard name -> name token patterns (matched against the snake_cased column name)
NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "first_name": (r"first_?name", r"given_?name", r"fname", r"forename", r"first"),
    "last_name": (r"last_?name", r"surname", r"family_?name", r"lname", r"last"),
    "middle_name": (r"middle_?name",),
    "full_name": (r"full_?name", r"name", r"customer_?name", r"person_?name", r"contact_?name"),
    "email": (r"e_?mail(_address)?", r"mail"),
    "phone": (r"phone(_?number)?", r"mobile", r"tel(ephone)?", r"cell", r"fax"),
    "dob": (r"dob", r"date_?of_?birth", r"birth_?date", r"birthday", r"birth"),
    "address": (r"address(_?(line)?_?\d)?", r"street(_?address)?", r"addr(_?\d)?", r"address_line_?\d"),
    "street_number": (r"street_?(number|no|num)", r"house_?(number|no)", r"building_?number"),
    "city": (r"city", r"town", r"suburb", r"locality", r"municipality"),
    "state": (r"state", r"province", r"region", r"county"),
    "postcode": (r"post_?code", r"zip(_?code)?", r"postal_?code", r"zipcode"),
    "country": (r"country(_?code)?", r"nation"),
    "gender": (r"gender", r"sex"),
    "age": (r"age",),
    "customer_id": (r"customer_?(id|no|number|key)", r"cust_?id", r"client_?id"),
    "national_id": (r"ssn", r"soc_?sec(_?id)?", r"social_?security(_?number)?", r"national_?id", r"tax_?id",
                    r"passport(_?(no|number))?", r"nin"),
    "order_id": (r"order_?(id|no|number)",),
    "product_id": (r"product_?(id|no|code)", r"sku"),
    "account_id": (r"account_?(id|no|number)",),
    "id": (r"id", r"uuid", r"guid", r"key", r"pk", r"record_?id", r"rec_?id", r"unique_?id", r"row_?id"),
    "source": (r"source(_?system)?", r"system", r"origin", r"src"),
    "created_at": (r"created(_?(at|on|date|time))?", r"creation_?date", r"inserted_?at"),
    "updated_at": (r"updated(_?(at|on|date|time))?", r"modified(_?(at|on|date))?", r"last_?updated",
                   r"last_?modified", r"timestamp", r"ts"),
    "date": (r"date", r"\w*_date", r"date_\w*"),
    "status": (r"status", r"state_?code"),
    "price": (r"price", r"unit_?price", r"cost"),
    "amount": (r"amount", r"total", r"revenue"),
    "quantity": (r"quantity", r"qty"),
    "company": (r"company(_?name)?", r"organisation", r"organization", r"employer"),
}

GENERIC_TOKENS = {"name", "first", "last", "date", "state", "total", "cost", "mail", "cell", "system", "source",
                  "origin", "birth", "town", "region", "county", "status", "nation", "amount", "price", "mobile"}
"""Words too common to type a column when they are only one token of its name ("file_name" is no name)."""

TEXT_KINDS = {"first_name", "last_name", "middle_name", "full_name", "address", "city", "state", "country",
              "company"}
ID_KINDS = {"customer_id", "national_id", "order_id", "product_id", "account_id", "id"}


def snake(name: str) -> str:
    """`FirstName`, `first-name`, `First Name` -> `first_name`."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    return re.sub(r"[^0-9a-zA-Z]+", "_", s).strip("_").lower()


def name_kind(column: str) -> tuple[str | None, float]:
    """The standard type a column *name* suggests, and how sure we are (1.0 exact, 0.8 token match)."""
    s = snake(column)
    for kind, pats in NAME_PATTERNS.items():
        for p in pats:
            if re.fullmatch(p, s):
                return kind, 0.95 if p == pats[0] else 0.9
    tokens = s.split("_")
    for kind, pats in NAME_PATTERNS.items():
        for p in pats:
            if p not in GENERIC_TOKENS and len(p) > 3 and any(re.fullmatch(p, t) for t in tokens):
                return kind, 0.75
    if tokens and tokens[-1] == "id":
        return "id", 0.7
    return None, 0.0


VALUE_KINDS: dict[Kind, str] = {Kind.EMAIL: "email", Kind.PHONE: "phone", Kind.DATE: "date", Kind.UUID: "uuid",
                               Kind.POSTCODE: "postcode"}


def value_shares(s: pl.Series) -> dict[str, float]:
    """Share of non-null sample values that are each value-detectable type (the value layer decides)."""
    s = s.drop_nulls()
    if s.dtype in (pl.Date, pl.Datetime) or isinstance(s.dtype, pl.Datetime):
        return {"date": 1.0}
    if s.dtype.is_numeric():
        if s.dtype.is_integer() and s.len():
            as_date = s.cast(pl.String).str.to_date("%Y%m%d", strict=False)
            share = as_date.is_not_null().mean() or 0.0
            return {"date": float(share)} if share > 0.8 else {"numeric": 1.0}
        return {"numeric": 1.0}
    if s.dtype.is_nested() or s.dtype == pl.Binary or isinstance(s.dtype, pl.Duration | pl.Time):
        return {}  # lists, structs, bytes and times of day name no standard type
    values, _ = present_values(s.cast(pl.String, strict=False))
    if values.len() == 0:
        return {}
    vt = classify(values, min_share=0.8)
    out = {name: float(vt.shares.get(kind.value, 0.0)) for kind, name in VALUE_KINDS.items()}
    out["postcode"] = float(values.to_frame("v").select(identifiers.is_postcode(pl.col("v")).mean()).item() or 0.0)
    out["alpha"] = float(values.str.contains(r"^[^\d@]+$").mean() or 0.0)
    return out


def detect_kind(column: str, sample: pl.Series) -> tuple[str | None, float, list[str]]:
    """Combine name and value evidence into (standard type, confidence 0..1, evidence lines)."""
    nk, nconf = name_kind(column)
    shares = value_shares(sample)
    evidence: list[str] = []
    if nk:
        evidence.append(f"name '{column}' suggests {nk}")
    value_kind, vshare = None, 0.0
    for k in ("email", "uuid", "date", "phone"):
        if shares.get(k, 0.0) >= 0.8:
            value_kind, vshare = k, shares[k]
            break
    if value_kind:
        evidence.append(f"{vshare:.0%} of values look like {value_kind}")
    if nk is None and value_kind is None:
        return None, 0.0, evidence
    if nk is None:
        kind = {"uuid": "id"}.get(value_kind or "", value_kind)
        return kind, round(0.6 + 0.3 * vshare, 3), evidence
    date_kinds = {"dob", "date", "created_at", "updated_at"}
    if value_kind is None:
        conflict = (nk == "email" and shares.get("email", 0) < 0.3 and shares) or (
            nk in date_kinds and shares.get("date", 0) < 0.3 and shares and "numeric" not in shares)
        if conflict:
            evidence.append("values do not support the name")
            return nk, round(nconf * 0.5, 3), evidence
        if nk in TEXT_KINDS and shares.get("alpha", 1.0) >= 0.8:
            evidence.append(f"{shares.get('alpha', 1.0):.0%} of values are text")
            return nk, min(1.0, round(nconf + 0.05, 3)), evidence
        return nk, nconf, evidence
    agrees = (value_kind == nk) or (value_kind == "date" and nk in date_kinds) or (
        value_kind == "uuid" and nk in ID_KINDS) or (value_kind == "phone" and nk in ID_KINDS | {"postcode"})
    if agrees:
        return nk, min(1.0, round(nconf + 0.05, 3)), evidence
    evidence.append("values and name disagree; values win")
    kind = {"uuid": "id"}.get(value_kind, value_kind)
    return kind, round(0.5 + 0.3 * vshare, 3), evidence


def detect_all(lf: pl.LazyFrame, sample_rows: int = 2000) -> dict[str, tuple[str | None, float, list[str]]]:
    """Detect the semantic type of every user column from a head sample."""
    sample = lf.head(sample_rows).collect()
    return {c: detect_kind(c, sample[c]) for c in sample.columns if c != ROW_ID and not c.startswith("__")}
