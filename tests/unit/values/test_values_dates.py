"""Dates in many formats, mixed in one column: parsed values checked against the dates that were written
(and against pandas/dateutil where a format is ambiguous by nature)."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
from dateutil import parser as dateutil_parser

from agensium.engine.values.dates import CATALOGUE, any_date, distinct_counts, plan_dates

FORMATS = {  # strftime format -> the catalogue's name of it
    "%Y-%m-%d": "YYYY-MM-DD", "%Y/%m/%d": "YYYY/MM/DD", "%Y%m%d": "YYYYMMDD", "%d/%m/%Y": "DD/MM/YYYY",
    "%m/%d/%Y": "MM/DD/YYYY", "%d.%m.%Y": "DD.MM.YYYY", "%d-%m-%Y": "DD-MM-YYYY", "%d %b %Y": "D Mon YYYY",
    "%d %B %Y": "D Mon YYYY", "%b %d, %Y": "Mon D, YYYY", "%B %d, %Y": "Mon D, YYYY", "%d-%b-%Y": "D-Mon-YYYY",
    "%d-%b-%y": "D-Mon-YY", "%m/%d/%y": "MM/DD/YY",
}


def _dates(rng: random.Random, n: int) -> list[dt.date]:
    return [dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 27000)) for _ in range(n)]


def _plan(values: list[str]):
    return plan_dates(distinct_counts(pl.Series(values)))


def _parse(plan, values: list[str], guess: bool = False) -> list:
    return pl.Series("v", values).to_frame().select(plan.parse(pl.col("v"), guess=guess)).to_series().to_list()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_each_format_reads_back_the_date_written(fmt: str) -> None:
    rng = random.Random(hash(fmt) % 1000)
    days = _dates(rng, 400)
    if fmt.endswith("%y"):  # two-digit years: 1970-2069 (the window chrono reads them in)
        days = [dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(0, 36500)) for _ in range(400)]
    text = [d.strftime(fmt) for d in days]
    plan = _plan(text)
    assert plan is not None and FORMATS[fmt] in plan.counts
    assert _parse(plan, text) == days


def test_seven_formats_mixed_in_one_column_with_invalid_values() -> None:
    rng = random.Random(11)
    days = _dates(rng, 3000)
    fmts = ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d %b %Y", "%d.%m.%Y", "%Y%m%d", "%b %d %Y"]
    text = [d.strftime(fmts[i % len(fmts)]) for i, d in enumerate(days)]
    bad = ["2023-02-30", "31/31/2020", "someday", "2019-00-10"]
    text[::97] = [bad[i % len(bad)] for i in range(len(text[::97]))]
    truth = [None if i % 97 == 0 else d for i, d in enumerate(days)]
    plan = _plan(text)
    assert plan is not None and plan.day_first is True  # 31/01/2024-style values decide it
    assert _parse(plan, text) == truth
    ok = pl.Series("v", text).to_frame().select(plan.conforms(pl.col("v")).sum()).item()
    assert ok == sum(d is not None for d in truth)


def test_day_month_order_from_the_evidence_and_ambiguous_values_never_guessed() -> None:
    rng = random.Random(2)
    days = _dates(rng, 500)
    us = [d.strftime("%m/%d/%Y") for d in days]
    plan = _plan(us)
    assert plan.day_first is False and _parse(plan, us) == days
    ambiguous = [d for d in days if d.day <= 12 and d.day != d.month]
    assert plan.ambiguous == len(ambiguous)  # readable both ways, resolved by the column's evidence
    only_low = [d.strftime("%d/%m/%Y") for d in days if d.day <= 12]
    undecided = _plan(only_low)
    assert undecided.day_first is None and undecided.undecided
    got = _parse(undecided, only_low)
    assert all(g is None for g, d in zip(got, (d for d in days if d.day <= 12), strict=True) if d.day != d.month)
    assert sum(g is not None for g in _parse(undecided, only_low, guess=True)) == len(only_low)


def test_both_orders_used_in_one_column_leave_the_ambiguous_ones_undecided() -> None:
    rng = random.Random(4)
    days = _dates(rng, 600)
    text = [d.strftime("%d/%m/%Y" if i % 2 else "%m/%d/%Y") for i, d in enumerate(days)]
    plan = _plan(text)
    pair = next(o for o in plan.orders if o.pair == "/4")
    assert pair.day_first is None and pair.only_day_first > 50 and pair.only_month_first > 50
    got = _parse(plan, text)
    for g, d in zip(got, days, strict=True):
        if d.day > 12:  # readable one way only: right whichever format wrote it
            assert g == d
        elif d.day != d.month:
            assert g is None


def test_times_offsets_and_named_months_against_dateutil() -> None:
    values = ["2024-01-15 10:30", "2024-01-15T10:30:00Z", "2024-01-15T10:30:00+02:00", "Jan 15, 2024 3:04 PM",
              "Tuesday, March 5th, 2024", "15 January 2024 23:59:59", "2024-01-15T10:30:00.250"]
    plan = _plan(values)
    got = _parse(plan, values)
    for text, value in zip(values, got, strict=True):
        ref = dateutil_parser.parse(text)
        if ref.tzinfo is not None:
            ref = ref.astimezone(dt.UTC).replace(tzinfo=None)
        assert value == ref, text


def test_any_date_and_the_catalogue_shapes_keep_two_digit_years_out_of_four_digit_formats() -> None:
    got = pl.Series("v", ["24-01-15", "2024-01-15", "15/01/24", "not a date"]).to_frame().select(
        any_date(pl.col("v"))).to_series().to_list()
    assert got[1] == dt.datetime(2024, 1, 15) and got[3] is None
    assert got[0] == dt.datetime(2015, 1, 24)  # DD-MM-YY, never the year 24
    assert len({f.name for f in CATALOGUE}) == len(CATALOGUE)
