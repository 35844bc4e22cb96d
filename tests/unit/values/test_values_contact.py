"""E-mail and phone checks against the libraries that define them: email-validator and libphonenumber."""

from __future__ import annotations

import random

import email_validator
import phonenumbers
import polars as pl
import pytest

from agensium.engine.values import contact, phones


def _check(fn, values: list[str]) -> list[bool]:
    return pl.Series("v", values, dtype=pl.String).to_frame().select(fn(pl.col("v")).fill_null(False)).to_series().to_list()


def _ev(address: str) -> bool:
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def _random_addresses(rng: random.Random, n: int) -> list[str]:
    local_chars = "abcxyz019._+-'" + "ü"
    domain_chars = "abcxyz019-."
    out = []
    for _ in range(n):
        local = "".join(rng.choice(local_chars) for _ in range(rng.randint(0, 8)))
        domain = "".join(rng.choice(domain_chars) for _ in range(rng.randint(0, 10)))
        tld = "".join(rng.choice("comrgu19") for _ in range(rng.randint(0, 4)))
        sep = rng.choice(["@", "@", "@", " at ", "@@", ""])
        out.append(f"{local}{sep}{domain}.{tld}" if tld else f"{local}{sep}{domain}")
    return out


def test_email_check_agrees_with_email_validator() -> None:
    rng = random.Random(3)
    values = [*_random_addresses(rng, 6000), "ada@example.com", "x+tag@sub.example.co.uk", "a..b@x.com", "a@b",
              "john.smith at example.com", "john@", "j@@x.com", "a@-b.com"]
    expected = [_ev(v) for v in values]
    assert sum(expected) > 300  # both outcomes are exercised
    got = _check(contact.is_email, values)
    wrong = [(v, g, e) for v, g, e in zip(values, got, expected, strict=True) if g != e]
    assert not wrong, wrong[:20]


def _numbers_of(region: str) -> list[phonenumbers.PhoneNumber]:
    out = []
    for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE):
        n = phonenumbers.example_number_for_type(region, kind)
        if n is not None:
            out.append(n)
    return out


REGIONS = ["US", "GB", "DE", "FR", "IN", "BR", "JP", "AU", "ES", "IT", "NL", "MX", "CN", "ZA", "NG", "SE", "CH", "PL"]


def test_possible_phone_agrees_with_libphonenumber() -> None:
    rng = random.Random(5)
    cases: list[tuple[str, str]] = []  # (text, region the text is read in)
    for region in REGIONS:
        for num in _numbers_of(region):
            for fmt in (phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                        phonenumbers.PhoneNumberFormat.NATIONAL):
                text = phonenumbers.format_number(num, fmt)
                cases.append((text, region))
                # the same number with a digit dropped or added
                digits = [i for i, ch in enumerate(text) if ch.isdigit()]
                i = rng.choice(digits[2:])
                cases.append((text[:i] + text[i + 1:], region))
                cases.append((text[:i] + "7" + text[i:], region))
    for region in REGIONS:
        for _ in range(40):
            cases.append(("+" + "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 16))), region))
    agree = 0
    for region in REGIONS:
        mine = [(t, r) for t, r in cases if r == region]
        got = _check(lambda e, r=region: phones.is_possible_phone(e, [r]), [t for t, _ in mine])
        for (text, _), g in zip(mine, got, strict=True):
            try:
                want = phonenumbers.is_possible_number(phonenumbers.parse(text, region))
            except phonenumbers.NumberParseException:
                want = False
            agree += g == want
    # libphonenumber's own reading also strips carrier and trunk codes some countries need (AR, MX, BR);
    # the vectorised reading of its length tables must agree on nearly every number
    assert agree / len(cases) >= 0.98, agree / len(cases)


@pytest.mark.parametrize(("text", "region", "e164"), [
    ("(415) 555-2671", "US", "+14155552671"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("+44 (0)20 7946 0958", None, "+442079460958"),
    ("01 42 68 53 00", "FR", "+33142685300"),
    ("+91 98765 43210", None, "+919876543210"),
    ("415-555-2671 ext. 12", "US", "+14155552671;ext=12"),
])
def test_formatting_reads_any_country_without_a_fixed_region(text, region, e164) -> None:
    regions = phones.candidate_regions([text], [region] if region else [])
    assert phones.format_phones([text], regions)[text] == e164
    assert _check(lambda e: phones.is_possible_phone(e, regions), [text]) == [True]
