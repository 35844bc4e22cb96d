"""clean-my-data on the dirty twin of a customer table (tests/datagen/twins.py), checked cell by cell
against the clean twin it was made from."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from agensium.engine.pipeline import RunRequest, run_tool
from datagen.twins import make_twins


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("twins")
    twins = make_twins(1500, 0.12, 21)
    src = tmp / "dirty.csv"
    twins.dirty.write_csv(src)
    out = run_tool(RunRequest(tool_id="clean-my-data", inputs={"primary": src}, out_dir=tmp / "out",
                              formats=("json",)))
    assert out.status == "completed", out.error
    data = next(o.path for o in out.outputs if o.kind == "data")
    return twins, pl.read_csv(data, infer_schema=False), out.report


def _both_ways(text: str) -> bool:
    """Readable day-first and month-first as two different dates (the twin writes both orders)."""
    try:
        a, b = dt.datetime.strptime(text, "%d/%m/%Y"), dt.datetime.strptime(text, "%m/%d/%Y")
    except ValueError:
        return False
    return a != b


def _rows(twins, column: str, kinds: set[str | None]) -> list[int]:
    labels = twins.labels[column]
    return [i for i, label in enumerate(labels) if (label[0] if label else None) in kinds]


@pytest.mark.parametrize("column", ["signup_date", "birth_date"])
def test_dates_in_any_format_are_written_iso_and_bad_ones_kept_beside(cleaned, column: str) -> None:
    twins, out, report = cleaned
    results = report["agent_results"]
    clean = twins.clean[column].to_list()
    got = out[column].to_list()
    original = out[f"{column}__original"].to_list()
    dirty = twins.dirty[column].to_list()
    undecided = 0
    for i in _rows(twins, column, {None, "reformat"}):
        if _both_ways(dirty[i]):  # the column writes both orders: such a date is never guessed
            assert got[i] is None and original[i] == dirty[i]
            undecided += 1
            continue
        assert got[i] == clean[twins.source_row[i]], (i, dirty[i])
        dt.date.fromisoformat(got[i])
    assert undecided > 0
    for i in _rows(twins, column, {"invalid"}):
        assert got[i] is None and original[i] == twins.dirty[column][i]
    for i in _rows(twins, column, {"placeholder", "blank"}):
        assert got[i] is None and original[i] is None  # a placeholder is a missing value, not a failure
    conv = results["type-fixer"]["data"]["conversions"][column]
    assert conv["to"] == "date" and len(conv["dates"]["formats"]) >= 5
    assert any(a["agent_id"] == "type-fixer" and a["category"] == "date_order" and column in a["affected_fields"]
               for a in report["alerts"])


def test_whole_numbers_stay_integers_and_placeholders_become_missing(cleaned) -> None:
    twins, out, report = cleaned
    results = report["agent_results"]
    assert results["type-fixer"]["data"]["conversions"]["quantity"]["to"] == "integer"
    got = out["quantity"].to_list()
    clean = twins.clean["quantity"].to_list()
    for i in _rows(twins, "quantity", {None}):
        assert got[i] == str(clean[twins.source_row[i]])  # "14", never "14.0"
    for column in ("city", "status", "first_name"):
        values = out[column].to_list()
        for i in _rows(twins, column, {"placeholder", "blank"}):
            assert values[i] is None, (column, twins.dirty[column][i])
    converted = results["null-handler"]["summary"]["null_tokens_converted"]
    texts = ("first_name", "last_name", "email", "phone", "city", "state", "status")
    assert converted == sum(twins.truth.columns[c].missing for c in texts)  # placeholders and blanks


def test_amounts_in_two_currencies_are_split_not_merged(cleaned) -> None:
    twins, out, report = cleaned
    results = report["agent_results"]
    conv = results["type-fixer"]["data"]["conversions"]["amount"]
    assert set(conv["currencies"]) == {"USD", "EUR"}
    currency = out["amount__currency"].to_list()
    dirty = twins.dirty["amount"].to_list()
    for i, text in enumerate(dirty):
        want = "EUR" if "€" in text else "USD" if ("$" in text or "USD" in text) else None
        assert currency[i] == want, text
    amounts = out["amount"].to_list()
    clean = twins.clean["amount"].to_list()
    for i in _rows(twins, "amount", {None, "reformat"}):
        assert float(amounts[i]) == pytest.approx(float(clean[twins.source_row[i]]))
    assert any(a["agent_id"] == "type-fixer" and a["category"] == "currency" for a in report["alerts"])
