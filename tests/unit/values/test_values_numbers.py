"""Numbers written as text, currencies, placeholders and card checksums against plain Python references."""

from __future__ import annotations

import random
from decimal import Decimal

import polars as pl
import pytest

from agensium.engine.values import DEFAULT_TOKENS, classify, identifiers, numbers
from agensium.engine.values.missing import ambiguous_as_data


def _eval(expr, values: list) -> list:
    return pl.Series("v", values, dtype=pl.String).to_frame().select(expr(pl.col("v"))).to_series().to_list()


def _written(rng: random.Random, x: Decimal, decimal: str) -> tuple[str, str | None]:
    """A number as people write it, and the currency it names."""
    neg = x < 0
    whole, frac = f"{abs(x):.2f}".split(".")
    if rng.random() < 0.5 and len(whole) > 3:
        group = "," if decimal == "." else rng.choice([".", " ", "'"])
        whole = f"{int(whole):,}".replace(",", group)
    body = f"{whole}{decimal}{frac}"
    style = rng.randrange(5)
    if style == 0:
        return (f"({body})" if neg else body), None
    if style == 1:
        return ("-" if neg else "") + "$" + body, "USD"
    if style == 2:
        return ("-" if neg else "") + body + " EUR", "EUR"
    if style == 3:
        return "€" + ("-" if neg else "") + body, "EUR"
    return ("-" if neg else "") + "GBP " + body, "GBP"


@pytest.mark.parametrize("decimal", [".", ","])
def test_numbers_and_currencies_read_back(decimal: str) -> None:
    rng = random.Random(8 if decimal == "." else 9)
    truth = [Decimal(rng.randrange(-10**8, 10**8)) / 100 for _ in range(3000)]
    written = [_written(rng, x, decimal) for x in truth]
    texts = [w for w, _ in written]
    got = _eval(lambda e: numbers.parse_number(e, decimal), texts)
    assert got == pytest.approx([float(x) for x in truth])
    assert _eval(numbers.currency, texts) == [c for _, c in written]
    assert numbers.decide_decimal(pl.Series(texts)) == decimal


def test_codes_are_not_quantities() -> None:
    assert _eval(numbers.parse_number, ["007", "+4412345", "0.5", "0", "12%", "1e3"]) == [None, None, 0.5, 0.0, 12.0,
                                                                                        1000.0]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def test_luhn_matches_the_textbook_algorithm() -> None:
    rng = random.Random(1)
    values = ["".join(rng.choice("0123456789") for _ in range(rng.randint(12, 19))) for _ in range(4000)]
    got = _eval(lambda e: identifiers.luhn_valid(e), values)
    assert got == [_luhn(v) for v in values]


@pytest.mark.parametrize("token", ["NULL", "null", " N/A ", "n/a", "NA", "-", "None", "nan", "#N/A", "(null)", "--"])
def test_placeholders_in_their_usual_spellings(token: str) -> None:
    assert _eval(DEFAULT_TOKENS.is_placeholder, [token, "Ann", "", None]) == [True, False, False, False]


def test_ambiguous_tokens_are_data_only_where_the_column_writes_values_like_them() -> None:
    def decide(values: list[str]) -> list[str]:
        frame = pl.Series("v", values).to_frame().group_by("v").agg(pl.len().alias("n"))
        return ambiguous_as_data(frame)

    assert decide(["US", "DE", "NA", "FR", "GB", "NA"]) == ["na"]  # Namibia
    assert decide(["NY", "CA", "NA", "TX", "GA"]) == []  # US states: NA is no state
    assert decide(["+", "-", "+", "-", "+"]) == ["-"]  # signs
    assert decide(["late", "-", "ok", "vip"]) == []


def test_a_column_named_like_a_kind_needs_a_smaller_share() -> None:
    values = ["ada@example.com", "x at y.com", "bob@example.org", "n/a", "cy@example.net", "me", "maybe", "later"]
    assert classify(pl.Series(values), "email").kind.value == "email"
    assert classify(pl.Series(values), "notes").kind.value == "text"


def test_one_thing_written_several_ways_is_counted() -> None:
    from agensium.engine.values import measure

    df = pl.DataFrame({
        "active": ["Yes", "yes", "Y", "TRUE", "No", "no", "N/A", "yes", "no", "Yes"],
        "rate": ["12%", "0.15", "0.2", "0.11", "0.3", "5%", "0.4", "0.1", "0.2", "0.9"],
        "price": ["$5.00", "€4.00", "USD 3.50", "2.00", "$1,200.00", "$3.10", "EUR 9.99", "$0.50", "7", "$8"],
    })
    got = measure(df.lazy(), {c: classify(df[c], c) for c in df.columns})
    # booleans: yes/no in lower case is the usual way (4 of 9); Title, y/n and TRUE are other ways
    assert got["active"].kind.value == "boolean_text" and got["active"].inconsistent == 9 - 4
    assert got["rate"].inconsistent == 2  # two percents among plain fractions
    assert got["price"].currencies == {"USD": 6, "EUR": 2} and got["price"].inconsistent == 2
