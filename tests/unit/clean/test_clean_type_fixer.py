"""type-fixer: numbers, dates, booleans from text, value by value, and nothing lost on failure."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from agensium.engine.agent import ROW_ID
from agensium.engine.clean.type_fixer import TypeFixer, TypeFixerParams


def test_numbers_with_separators_currency_percent_and_parentheses(h) -> None:
    ctx = h.ctx(
        {
            "amount": ["1,234.50", "$5", "(3.00)", "12%", "€ 7", "-2", "1e3", "USD 10"],
            "count": ["1", "2", "3", "4", "5", "6", "7", "8"],
        }
    )
    r = TypeFixer().run(TypeFixerParams(), ctx)
    out = h.out(r, ctx)
    assert out.schema["amount"] == pl.Float64
    assert out["amount"].to_list() == [1234.5, 5.0, -3.0, 0.12, 7.0, -2.0, 1000.0, 10.0]
    assert out.schema["count"] == pl.Int64  # a column named like a SQL function converts like any other
    assert out["count"].to_list() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert r.data["conversions"]["amount"]["failed"] == 0
    assert out[ROW_ID].to_list() == list(range(8))


def test_decimal_comma_is_decided_per_column(h) -> None:
    ctx = h.ctx({"eu": ["1.234,50", "2,5", "10", "3.000,00"], "us": ["1,234.50", "2.5", "10", "3,000.00"]})
    out = h.out(TypeFixer().run(TypeFixerParams(), ctx), ctx)
    assert out["eu"].to_list() == [1234.5, 2.5, 10.0, 3000.0]
    assert out["us"].to_list() == [1234.5, 2.5, 10.0, 3000.0]


def test_dates_in_five_formats_with_day_first_evidence(h) -> None:
    ctx = h.ctx({"d": ["2024-01-31", "31/01/2024", "05/02/2024", "7 Mar 2024", "Apr 9, 2024", "10.06.2024"]})
    r = TypeFixer().run(TypeFixerParams(), ctx)
    out = h.out(r, ctx)
    assert out.schema["d"] == pl.Date
    assert out["d"].to_list() == [
        dt.date(2024, 1, 31),
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 5),
        dt.date(2024, 3, 7),
        dt.date(2024, 4, 9),
        dt.date(2024, 6, 10),
    ]
    dates = r.data["conversions"]["d"]["dates"]
    # 31/01/2024 reads only day-first; 05/02/2024 then follows it; a dotted date is day-first by convention
    orders = {o["pair"]: o for o in dates["order_by_pair"]}
    assert dates["day_first"] is True and orders["/4"]["only_day_first"] == 1 and orders["/4"]["day_first"]
    assert orders[".4"]["day_first"] is True and "convention" in orders[".4"]["decided_by"]
    assert len(dates["formats"]) == 5


def test_month_first_evidence_and_ambiguous_column_reported(h) -> None:
    ctx = h.ctx({"us": ["01/31/2024", "02/05/2024"], "amb": ["01/02/2024", "03/04/2024"]})
    r = TypeFixer().run(TypeFixerParams(), ctx)
    out = h.out(r, ctx)
    assert out["us"].to_list() == [dt.date(2024, 1, 31), dt.date(2024, 2, 5)]
    # every value reads both ways and nothing says which: not guessed, the text is kept beside
    assert out["amb"].to_list() == [None, None]
    assert out["amb__original"].to_list() == ["01/02/2024", "03/04/2024"]
    assert r.data["conversions"]["amb"]["dates"]["ambiguous_values"] == 2
    assert any(a.category == "date_order" and a.affected_fields == ["amb"] for a in r.alerts)
    forced = TypeFixer().run(TypeFixerParams(day_first="month_first"), ctx)
    assert h.out(forced, ctx)["amb"].to_list() == [dt.date(2024, 1, 2), dt.date(2024, 3, 4)]


def test_datetimes_and_booleans(h) -> None:
    ts = ["2024-01-02 03:04:05", "2024-01-02T10:00:00", "2024-01-02T10:00:00Z", "2024-01-02T10:00:00+02:00"]
    ctx = h.ctx({"ts": ts, "b": ["yes", "N", "y", "no"], "digits": ["1", "0", "1", "1"]})
    out = h.out(TypeFixer().run(TypeFixerParams(), ctx), ctx)
    expected = [dt.datetime(2024, 1, 2, 3, 4, 5), dt.datetime(2024, 1, 2, 10), dt.datetime(2024, 1, 2, 10)]
    assert out["ts"].to_list() == [*expected, dt.datetime(2024, 1, 2, 8)]  # offsets converted to UTC
    assert out["b"].to_list() == [True, False, True, False]
    assert out.schema["digits"] == pl.Int64  # pure 0/1 stays a number, not a boolean


def test_codes_with_leading_zeros_phones_and_long_ids_stay_text(h) -> None:
    ctx = h.ctx(
        {
            "zip": ["01234", "12345"],
            "phone": ["+4420794609", "+4420794610"],
            "card": ["4111111111111111", "4012888888881881"],
        }
    )
    r = TypeFixer().run(TypeFixerParams(), ctx)
    assert r.data_out is None
    assert set(r.data["kept_as_text"]) == {"zip", "phone", "card"}
    assert r.score is None  # nothing to do is not a made-up number


def test_failures_keep_their_text_in_a_companion_column_by_default(h) -> None:
    values = [str(i) for i in range(60)] + ["abc", "N/A"]
    ctx = h.ctx({"n": values})
    r = TypeFixer().run(TypeFixerParams(), ctx)
    out = h.out(r, ctx)
    assert out["n"].to_list() == [*list(range(60)), None, None]
    assert out["n__original"].to_list() == [None] * 60 + ["abc", None]
    assert r.data["manifest"]["columns_added"] == ["n__original"]
    # the N/A token, and "abc" (null in the typed column, its text in n__original)
    assert r.data["manifest"]["nulls_introduced"] == {"n": 2}
    ri = r.row_issues
    assert ri.select("row_index", "column", "value").rows() == [(60, "n", "abc")]


def test_failures_go_to_quarantine_when_asked(h) -> None:
    ctx = h.ctx({"n": [str(i) for i in range(60)] + ["abc"], "t": ["x"] * 61})
    r = TypeFixer().run(TypeFixerParams(on_failure="quarantine"), ctx)
    out = h.out(r, ctx)
    assert out.height == 60 and 60 not in out[ROW_ID].to_list()
    q = pl.read_csv(r.outputs[0].path)
    assert q["row_number"].to_list() == [60]
    assert q["n"].to_list() == ["abc"] and "not a valid integer" in q["quarantine_reason"][0]


def test_column_below_threshold_stays_text_and_is_reported(h) -> None:
    ctx = h.ctx({"mixed": ["1", "2", "3", "x", "y"]})
    r = TypeFixer().run(TypeFixerParams(), ctx)
    assert r.data_out is None
    note = r.data["kept_as_text"]["mixed"]
    assert note["best_type"] == "integer" and note["parse_ratio"] == pytest.approx(0.6)
    assert r.score == 0.0
    # the values that kept it text are reported row by row
    assert r.row_issues.select("row_index", "issue_type", "value").rows() == [
        (3, "type_mismatch", "x"),
        (4, "type_mismatch", "y"),
    ]


def test_forced_type_and_null_on_failure(h) -> None:
    ctx = h.ctx({"mixed": ["1", "2", "x"]})
    r = TypeFixer().run(TypeFixerParams(column_types={"mixed": "float"}, on_failure="null"), ctx)
    out = h.out(r, ctx)
    assert out["mixed"].to_list() == [1.0, 2.0, None]
    assert "mixed__original" not in out.columns
    assert r.data["manifest"]["nulls_introduced"] == {"mixed": 1}
    assert any(a.category == "data_loss" for a in r.alerts)


def test_whole_floats_become_integers_and_audit_counts_text_changes(h) -> None:
    ctx = h.ctx({"age": [30.0, None, 41.0], "ratio": [0.5, 1.0, 2.0], "s": ["1,000", "2", "3"]})
    r = TypeFixer().run(TypeFixerParams(), ctx)
    out = h.out(r, ctx)
    assert out.schema["age"] == pl.Int64 and out["age"].to_list() == [30, None, 41]
    assert out.schema["ratio"] == pl.Float64
    by_col = r.data["audit"]["changed_cells_by_column"]
    assert by_col == {"age": 2, "s": 1}  # "30.0" -> "30", "41.0" -> "41"; "1,000" -> "1000"
    sample = next(e for e in r.data["audit"]["changes"] if e["column"] == "s")["samples"]
    assert sample == [{"row_id": 0, "before": "1,000", "after": "1000"}]


def test_unknown_column_parameter_is_a_specific_error(h) -> None:
    from agensium.errors import AgensiumError, ErrorCode

    ctx = h.ctx({"a": ["1"]})
    with pytest.raises(AgensiumError) as e:
        TypeFixer().run(TypeFixerParams(target_columns=["nope"]), ctx)
    assert e.value.code is ErrorCode.INVALID_PARAMETERS and e.value.context["unknown_columns"] == ["nope"]
