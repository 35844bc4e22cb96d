"""PII detection from values: validators, true positives, look-alikes that must not match, and the
Risk Scorer's scores and compliance mapping."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from profile_helpers import make_ctx

from agensium.engine.profile.pii import detect_column_pii, name_hint
from agensium.engine.profile.score_risk import RiskParams, RiskScorer
from agensium.engine.values import contact, identifiers, phones


def _eval(fn, values):
    return pl.DataFrame({"v": values}).select(fn(pl.col("v")))["v"].to_list()


def test_luhn_cards_and_look_alikes():
    good = ["4111 1111 1111 1111", "5555555555554444", "378282246310005", "6011-1111-1111-1117", "30569309025904"]
    bad = ["4111111111111112",  # Luhn fails
           "1234567812345670",  # passes Luhn, but no issuer starts with 1
           "411111111111",  # too short
           "4111 1111 1111 1111 1111 1",  # too long
           "4111a11111111111", None]
    assert _eval(identifiers.is_card_number, good) == [True] * len(good)
    assert _eval(identifiers.is_card_number, bad) == [False] * 5 + [None]


def test_iban_ssn_ip_email_url():
    assert _eval(identifiers.is_iban, ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "NL91ABNA0417164300",
                               "GB82 WEST 1234 5698 7654 33", "DE8937040044053201300", "XX82WEST12345698765432"]) \
        == [True, True, True, False, False, False]
    assert _eval(identifiers.is_us_ssn, ["123-45-6789", "000-12-3456", "666-12-3456", "912-12-3456", "123-00-6789",
                                 "123-45-0000", "123456789"]) == [True] + [False] * 6
    assert _eval(lambda e: identifiers.is_us_ssn(e, allow_undashed=True), ["123456789"]) == [True]
    assert _eval(identifiers.is_ipv4, ["192.168.0.1", "255.255.255.255", "256.1.1.1", "1.2.3", "01.2.3.4.5"]) \
        == [True, True, False, False, False]
    assert identifiers.is_ipv6_value("2001:db8::1") and not identifiers.is_ipv6_value("2001:db8:::1")
    assert _eval(contact.is_email, ["a.b@example.com", "x+tag@sub.example.co.uk", "a..b@x.com", "a@b", "@x.com",
                                "plain"]) == [True, True, False, False, False, False]
    assert _eval(contact.is_url, ["https://example.com/a?b=1", "ftp://files.example.org", "example.com", "http://"]) \
        == [True, True, False, False]


def test_phone_validation_uses_libphonenumber():
    values = ["+1 202-555-0143", "+44 20 7183 8750", "(202) 555-0143", "+44 123", "12345"]
    assert [phones.parse_phone(v, ["US"]) is not None for v in values] == [True, True, True, False, False]


def test_column_names_are_hints_only():
    assert name_hint("customer_email", "email")
    assert name_hint("firstName", "person_name") and name_hint("last_name", "person_name")
    assert not name_hint("filename", "person_name") and not name_hint("user_name", "person_name")
    assert not name_hint("product_name", "person_name")
    assert name_hint("zip_code", "postal_code") and not name_hint("zipper", "postal_code")


def test_detector_true_positives():
    rng = np.random.default_rng(0)
    emails = pl.Series([f"user{i}@example.com" for i in range(200)])
    assert detect_column_pii("contact", emails).pii_type == "email"  # found without any name hint
    ssn = pl.Series([f"{a:03d}-{g:02d}-{s:04d}" for a, g, s in
                     zip(rng.integers(1, 600, 200), rng.integers(1, 99, 200), rng.integers(1, 9999, 200), strict=True)])
    assert detect_column_pii("x", ssn).pii_type == "ssn"
    names = pl.Series(["John Smith", "Mary Jones", "Ahmed Khan", "Li Wei", "Sofia Rossi"] * 40)
    f = detect_column_pii("full_name", names)
    assert f.pii_type == "person_name" and f.name_hint and f.confidence <= 0.8
    dob = pl.Series([f"19{y:02d}-0{m}-{d % 28 + 1:02d}" for y, m, d in zip(range(40, 90), [1, 5, 9, 3, 7] * 10,
                                                                          range(50), strict=True)])
    assert detect_column_pii("date_of_birth", dob).pii_type == "date_of_birth"
    zips = pl.Series([f"{z:05d}" for z in rng.integers(10000, 99999, 200)])
    assert detect_column_pii("zip", zips).pii_type == "postal_code"


def test_look_alikes_do_not_match():
    rng = np.random.default_rng(1)
    # 16-digit ids that fail Luhn (or lack a card issuer prefix) are not cards
    ids = pl.Series([f"1{n:015d}" for n in rng.integers(0, 10**15, 300)])
    assert detect_column_pii("card_number", ids) is None
    # any 5-digit number is not a zip code without a postal-code column name
    assert detect_column_pii("amount", pl.Series([f"{z}" for z in rng.integers(10000, 99999, 200)])) is None
    # capitalised words in a column named filename / product_name are not person names
    assert detect_column_pii("filename", pl.Series(["Report Final", "Summary Draft"] * 50)) is None
    assert detect_column_pii("product_name", pl.Series(["Blue Widget", "Red Gadget"] * 50)) is None
    # a name hint alone is never enough
    assert detect_column_pii("email", pl.Series(["n/a", "unknown", "none"] * 50)) is None
    # nine-digit ids are not SSNs without a hint
    assert detect_column_pii("order_id", pl.Series([str(n) for n in rng.integers(10**8, 10**9, 200)])) is None
    # ISO dates are not phone numbers; dates outside a birth range are not birth dates
    assert detect_column_pii("created", pl.Series(["2021-03-04", "2020-12-31"] * 50)) is None
    assert detect_column_pii("birth_date", pl.Series(["2199-01-01", "2150-05-05"] * 50)) is None
    # masked or hashed values are not PII in clear text
    assert detect_column_pii("email", pl.Series(["****@example.com"] * 100)) is None


def test_risk_scorer_end_to_end(tmp_path):
    n = 300
    rng = np.random.default_rng(2)
    df = pl.DataFrame({
        "customer_id": np.arange(n),
        "email": [f"p{i}@mail.example.org" for i in range(n)],
        "card": (["4111111111111111", "5555555555554444", "378282246310005"] * 100)[:n],
        "account_id": [f"1{x:015d}" for x in rng.integers(0, 10**15, n)],
        "filename": [f"Report {i}.pdf" for i in range(n)],
        "zip": [f"{z}" for z in rng.integers(10000, 99999, n)],
        "amount": rng.integers(10000, 99999, n),
        "notes": ["ok"] * n,
    })
    res = RiskScorer().run(RiskParams(), make_ctx(tmp_path, df))
    fields = {f["field_name"]: f for f in res.data["fields"]}
    assert fields["email"]["pii_type"] == "email" and fields["email"]["matching_values"] == n
    assert fields["card"]["pii_type"] == "credit_card" and fields["card"]["risk_level"] == "high"
    assert fields["zip"]["pii_type"] == "postal_code"
    for c in ("customer_id", "account_id", "filename", "amount", "notes"):
        assert fields[c]["pii_type"] is None and fields[c]["risk_score"] == 0, c
    frameworks = {c["framework"] for c in fields["card"]["compliance"]}
    assert {"GDPR", "CCPA", "PCI DSS"} <= frameworks
    assert res.summary["overall_risk_score"] == max(f["risk_score"] for f in fields.values())
    assert res.summary["overall_risk_level"] == "high"
    assert any(i.issue_type == "pii_credit_card" and i.severity == "critical" for i in res.issues)
    assert res.score == pytest.approx(100 - res.summary["overall_risk_score"])


def test_risk_scorer_clean_data_scores_no_risk(tmp_path):
    df = pl.DataFrame({"a": list(range(100)), "b": ["x", "y"] * 50})
    res = RiskScorer().run(RiskParams(), make_ctx(tmp_path, df))
    assert res.summary["pii_fields_detected"] == 0 and res.summary["overall_risk_level"] == "none"


def test_phone_numbers_need_valid_numbers_or_a_phone_column_name():
    valid = pl.Series(["+1 202-555-0143", "+44 20 7183 8750", "+33 1 42 68 53 00", "+49 30 901820"] * 30)
    assert detect_column_pii("contact", valid).pii_type == "phone"
    # E.164-shaped numbers outside allocated ranges: only a phone column name makes them count
    possible = pl.Series([f"+44{n}" for n in range(1_000_000_000, 1_000_000_120)])
    assert detect_column_pii("ref", possible) is None
    f = detect_column_pii("mobile_phone", possible)
    assert f is not None and f.pii_type == "phone" and f.name_hint
