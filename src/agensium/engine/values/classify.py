"""Decide what a text column holds from a sample of its values (the name only as a hint).

The kind with the largest conforming share among the present values (placeholders and blanks set
aside) wins, when that share reaches `min_share` (or `hinted_share` when the column's name agrees);
ties go to the more specific kind (`PRECEDENCE`). Exact counts are then made over the whole column by
the caller, with the returned `ValueType`'s vectorised checks.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from agensium.engine.values import contact, dates, identifiers, names, numbers, phones
from agensium.engine.values.booleans import is_boolean_text
from agensium.engine.values.hints import suggests
from agensium.engine.values.kinds import Kind, ValueType
from agensium.engine.values.missing import DEFAULT_TOKENS, MissingTokens, ambiguous_as_data, is_blank

PRECEDENCE: tuple[Kind, ...] = (
    Kind.EMAIL, Kind.URL, Kind.UUID, Kind.IPV4, Kind.IPV6, Kind.CARD, Kind.IBAN, Kind.SSN, Kind.DATE,
    Kind.BOOLEAN, Kind.PHONE, Kind.NUMBER, Kind.POSTCODE, Kind.PERSON_NAME,
)
HINT_ONLY = frozenset({Kind.POSTCODE, Kind.PERSON_NAME})
"""Kinds whose values alone are too common to decide on (a 5-digit code, "New York")."""
PREFILTERED = {Kind.CARD: identifiers.CARD_SHAPE, Kind.IBAN: identifiers.IBAN_SHAPE}
SAMPLE_PHONES = 300


def present_values(sample: pl.Series, tokens: MissingTokens = DEFAULT_TOKENS) -> tuple[pl.Series, MissingTokens]:
    """The sample's values that are not missing, and the column's own placeholder vocabulary."""
    s = sample.drop_nulls().cast(pl.String)
    s = s.filter(~s.to_frame("v").select(is_blank(pl.col("v"))).to_series())
    distinct = s.str.strip_chars().to_frame("v").group_by("v").agg(pl.len().alias("n"))
    column_tokens = tokens.without(ambiguous_as_data(distinct, tokens))
    keep = ~s.to_frame("v").select(column_tokens.is_placeholder(pl.col("v"))).to_series()
    return s.filter(keep), column_tokens


def _shares(values: pl.Series, decimal: numbers.Decimal) -> dict[str, float]:
    v = pl.col("v")
    frame = values.to_frame("v")
    exprs = {
        Kind.EMAIL: contact.is_email(v), Kind.URL: contact.is_url(v), Kind.UUID: identifiers.is_uuid(v),
        Kind.IPV4: identifiers.is_ipv4(v), Kind.IPV6: identifiers.ipv6_candidate(v),
        Kind.SSN: identifiers.is_us_ssn(v), Kind.BOOLEAN: is_boolean_text(v),
        Kind.NUMBER: numbers.is_number_text(v, decimal), Kind.POSTCODE: identifiers.is_postcode(v),
        Kind.PERSON_NAME: names.looks_like_person_name(v),
        Kind.PHONE: phones.phone_shaped(v) & ~dates.is_date_like(v),  # 2024-01-15 has a phone's shape
    }
    row = frame.select([e.mean().alias(k.value) for k, e in exprs.items()]).row(0, named=True)
    out = {k: float(x or 0.0) for k, x in row.items()}
    for kind, shape in PREFILTERED.items():
        shaped = frame.filter(v.str.contains(shape))
        check = identifiers.is_card_number if kind == Kind.CARD else identifiers.is_iban
        out[kind.value] = float(shaped.select(check(v).sum()).item() or 0) / values.len() if shaped.height else 0.0
    return out


def classify(sample: pl.Series, column: str | None = None, *, tokens: MissingTokens = DEFAULT_TOKENS,
             min_share: float = 0.5, hinted_share: float = 0.3, regions: Sequence[str] = ()) -> ValueType:
    """What the sampled text values of one column are (Kind.TEXT when no kind fits)."""
    values, column_tokens = present_values(sample, tokens)
    if values.len() == 0:
        return ValueType(Kind.EMPTY, 1.0, tokens=column_tokens)
    decimal = numbers.decide_decimal(values)
    shares = _shares(values, decimal)
    plan = dates.plan_dates(dates.distinct_counts(values))
    if plan is not None:
        ok = values.to_frame("v").select(plan.conforms(pl.col("v")).mean()).item()
        shares[Kind.DATE.value] = float(ok or 0.0)
    phone_regions = tuple(regions) + phones.FALLBACK_REGIONS
    if shares[Kind.PHONE.value] > 0:
        phone_regions = phones.candidate_regions(values.unique().head(2000).to_list(), regions)
        shares[Kind.PHONE.value] = _phone_share(values, shares[Kind.PHONE.value], phone_regions)
    best = _best(shares, column, min_share, hinted_share)
    if best is None:
        return ValueType(Kind.TEXT, 1.0, shares=shares, tokens=column_tokens)
    kind, hinted = best
    if kind == Kind.IPV6:
        uniq = values.unique().head(200).to_list()
        if sum(identifiers.is_ipv6_value(x) for x in uniq) < min_share * len(uniq):
            return ValueType(Kind.TEXT, 1.0, shares=shares, tokens=column_tokens)
    if kind == Kind.NUMBER and _currency_share(values, decimal) >= 0.5:
        kind = Kind.CURRENCY
    return ValueType(kind, shares[best[0].value], shares=shares, dates=plan if kind == Kind.DATE else None,
                     decimal=decimal, regions=phone_regions, tokens=column_tokens, hinted=hinted)


def _phone_share(values: pl.Series, shaped: float, regions: Sequence[str]) -> float:
    """Share of phone numbers: shaped like one, mostly written like one (not bare digits), and read by
    libphonenumber as a possible number (on up to SAMPLE_PHONES distinct values)."""
    if shaped == 0:
        return 0.0
    frame = values.to_frame("v")
    candidates = frame.filter(phones.phone_shaped(pl.col("v")) & ~dates.is_date_like(pl.col("v")))
    if float(candidates.select(phones.is_formatted(pl.col("v")).mean()).item() or 0.0) < 0.5:
        return 0.0
    uniq = candidates.get_column("v").unique().head(SAMPLE_PHONES).to_list()
    return shaped * phones.valid_share(uniq, regions)


def _currency_share(values: pl.Series, decimal: numbers.Decimal) -> float:
    nums = values.to_frame("v").filter(numbers.is_number_text(pl.col("v"), decimal))
    if nums.height == 0:
        return 0.0
    return float(nums.select(numbers.currency(pl.col("v")).is_not_null().mean()).item() or 0.0)


def _best(shares: dict[str, float], column: str | None, min_share: float, hinted_share: float
          ) -> tuple[Kind, bool] | None:
    """The kind with the largest share above its threshold; on a tie the one the name suggests, then the
    more specific (earlier in PRECEDENCE)."""
    ranked: list[tuple[float, bool, int, Kind]] = []
    for i, kind in enumerate(PRECEDENCE):
        share = shares.get(kind.value, 0.0)
        hinted = suggests(column, kind.value)
        if kind in HINT_ONLY and not hinted:
            continue
        if share > 0 and share >= (hinted_share if hinted else min_share):
            ranked.append((share, hinted, -i, kind))
    if not ranked:
        return None
    _, hinted, _, kind = max(ranked)
    return kind, hinted
