"""What a column's name suggests. Values decide what a column holds; a name that agrees with them only
lowers the share of conforming values needed (a column named "email" with 40% valid addresses is an
e-mail column with bad values, a column named "notes" with 40% addresses is text)."""

from __future__ import annotations

import re

HINTS: dict[str, frozenset[str]] = {
    "email": frozenset({"email", "mail", "e-mail", "emailaddress"}),
    "phone": frozenset({"phone", "tel", "telephone", "mobile", "cell", "fax", "msisdn", "phonenumber"}),
    "date_text": frozenset({"date", "dob", "birth", "birthday", "born", "birthdate", "created", "updated",
                            "modified", "timestamp", "time", "datetime", "day", "at", "on", "since", "until",
                            "expiry", "expires", "joined", "signup", "registered", "dt"}),
    "number_text": frozenset({"amount", "price", "cost", "total", "balance", "salary", "revenue", "fee", "income",
                              "value", "qty", "quantity", "count", "age", "score", "rate", "pct", "percent",
                              "weight", "height", "spend", "paid", "payment", "sum", "usd", "eur", "gbp"}),
    "url": frozenset({"url", "website", "link", "homepage", "web", "uri", "href"}),
    "postcode": frozenset({"zip", "zipcode", "postcode", "postal", "postalcode", "plz", "cap"}),
    "person_name": frozenset({"name", "surname", "forename", "firstname", "lastname", "fullname", "given",
                              "family", "first", "last", "middle", "contact", "customer", "person", "patient",
                              "employee"}),
    "ipv4": frozenset({"ip", "ipv4", "ipaddress", "ipaddr"}),
    "ipv6": frozenset({"ip", "ipv6", "ipaddress", "ipaddr"}),
    "credit_card": frozenset({"card", "cc", "pan", "credit", "creditcard", "cardnumber"}),
    "iban": frozenset({"iban", "account", "bank"}),
    "ssn": frozenset({"ssn", "social", "sin", "socialsecurity"}),
    "boolean_text": frozenset({"is", "has", "flag", "active", "enabled", "verified", "opt"}),
}
NOT_PERSON = frozenset({"file", "filename", "user", "username", "host", "hostname", "product", "company", "domain",
                        "table", "column", "display", "brand", "app", "server", "db", "schema", "field", "path",
                        "dir", "city", "country", "street", "store", "shop", "team", "org", "organisation",
                        "organization", "project", "item", "category", "type", "status", "code", "key", "tag",
                        "label", "title", "event", "job", "place", "town", "state", "region", "business"})


def name_tokens(column: str) -> set[str]:
    """Lower-case tokens of a column name: split on non-letters and camelCase, plus the joined form."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", column)
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if p]
    return set(parts) | {"".join(parts)}


def suggests(column: str | None, kind: str) -> bool:
    """Does the column name suggest values of this kind?"""
    if not column or kind not in HINTS:
        return False
    tokens = name_tokens(column)
    if kind == "person_name" and tokens & NOT_PERSON:
        return False
    if kind == "currency":
        kind = "number_text"
    return bool(tokens & HINTS[kind])
