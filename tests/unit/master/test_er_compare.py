from __future__ import annotations

import polars as pl

from agensium.engine.master.er.compare import LEVEL_LABELS, compare_field
from agensium.engine.master.er.config import FieldSpec
from agensium.engine.master.er.fields import normalise_date


def _labels(comp: str, a: list, b: list, **kw) -> list[str]:
    lv = compare_field(FieldSpec(column="x", comparator=comp), pl.Series(a, dtype=pl.String),
                       pl.Series(b, dtype=pl.String), **kw)
    names = LEVEL_LABELS[comp]
    return ["missing" if v == -1 else names[v] for v in lv.to_list()]


def test_date_levels():
    a = ["19710624", "19710624", "19710624", "19710624", None]
    b = ["19710624", "19712406", "19710524", "20030117", "19710624"]
    assert _labels("date", a, b) == ["exact", "day_month_transposed", "one_digit_typo", "different", "missing"]


def test_date_normalisation_parses_formats():
    df = pl.DataFrame({"d": ["1971-06-24", "24/06/1971", "19710624", "garbage 12"]})
    assert df.select(normalise_date("d", pl.String))["d"].to_list() == ["19710624", "19710624", "19710624", "12"]


def test_name_swap_detected_via_partner():
    first_a, first_b = pl.Series(["caleb"]), pl.Series(["rowe"])
    last_a, last_b = pl.Series(["rowe"]), pl.Series(["caleb"])
    lv = compare_field(FieldSpec(column="f", comparator="name"), first_a, first_b, last_a, last_b)
    assert LEVEL_LABELS["name"][lv[0]] == "swapped_or_initial"


def test_name_similarity_levels():
    assert _labels("name", ["allen", "allen", "robert"], ["allen", "alen", "bob"]) == [
        "exact", "jaro_winkler>=0.92", "different"]
