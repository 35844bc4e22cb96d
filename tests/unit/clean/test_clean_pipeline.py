"""clean-my-data end to end through `run_tool`: every input row is accounted for, defaults are safe."""

from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from pathlib import Path

import polars as pl
import pytest

from agensium.engine.pipeline import RunRequest, run_tool

HEADER = ["id", "name", "city", "amount", "joined", "count", "status", "notes", "name"]
ROWS = [
    ["1", " Ann  Lee ", "London", "1,234.50", "2024-01-31", "3", "active", "N/A"],
    ["2", "Bob", "london ", "$5", "31/01/2024", "4", "ACTIVE", "ok"],
    ["", "", "", "", "", "", "", ""],  # empty row
    ["3", "Cafe\u0301", "Paris", "(3.00)", "05/02/2024", "5", "inactive", "-"],
    ["3", "Cafe\u0301", "Paris", "(3.00)", "05/02/2024", "5", "inactive", "-"],  # exact duplicate
    ["4", "Dee", "PARIS", "12%", "7 Mar 2024", "1000000", "pending", ""],  # outlier count
    ["5", "eve", "Berlin", "€7", "Apr 9, 2024", "6", "active", "null"],
    ["6", "Fay", "Berlin", "-2", "10.06.2024", "7", "active", "x" * 100_000],  # 100 KB cell
    ["7", "gus", "Rome", "10", "2024-06-11", "8", "active", "y"],
    ["8", "Hal", " Rome", "11", "2024-06-12", "9", "active", "z"],
]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow([*r, f"dup-{r[0]}" if r[0] else ""] if len(r) < len(header) else r)
    return path


def _run(
    tmp_path: Path, params: dict | None = None, agents: list[str] | None = None, src: Path | None = None
):
    src = src or _write(tmp_path / "messy.csv", HEADER, ROWS)
    out = run_tool(
        RunRequest(
            tool_id="clean-my-data",
            inputs={"primary": src},
            out_dir=tmp_path / "out",
            parameters=params,
            agents=agents,
            formats=("json",),
        )
    )
    assert out.status == "completed", out.error
    return out


def _files(out) -> dict[str, Path]:
    return {o.kind if o.kind in ("data", "quarantine") else o.name: o.path for o in out.outputs}


def _norm(v: str | None) -> str | None:
    return None if v is None else unicodedata.normalize("NFC", " ".join(v.split()))


def test_defaults_account_for_every_row_and_change_nothing_destructive(tmp_path: Path) -> None:
    out = _run(tmp_path)
    files = _files(out)
    cleaned = pl.read_csv(files["data"], infer_schema=False)
    quarantine = pl.read_csv(files["quarantine"], infer_schema=False)
    # exactly the empty row was quarantined; every other row is in the cleaned file, in order
    assert quarantine["row_number"].to_list() == ["2"]
    assert cleaned.height == len(ROWS) - 1
    # amounts in two currencies: split into the amount and its currency, never added up together
    assert cleaned.columns == ["id", "name", "city", "amount", "joined", "count", "status", "notes", "name_2",
                               "amount__currency"]
    kept = [r for i, r in enumerate(ROWS) if i != 2]
    # text columns: only trimmed, space runs collapsed, NFC (case untouched); placeholders become missing
    for j, col in ((1, "name"), (2, "city"), (6, "status"), (7, "notes")):
        expected = [None if r[j] in ("N/A", "-", "null") else _norm(r[j]) or None for r in kept]
        assert cleaned[col].to_list() == expected, col
    assert cleaned["amount__currency"].to_list() == [None, "USD", None, None, None, "EUR", None, None, None]
    # typed columns: parsed value by value (information kept, no value lost)
    assert cleaned["amount"].to_list() == [
        "1234.5",
        "5.0",
        "-3.0",
        "-3.0",
        "0.12",
        "7.0",
        "-2.0",
        "10.0",
        "11.0",
    ]
    assert cleaned["joined"].to_list() == [
        str(d)
        for d in (
            dt.date(2024, 1, 31),
            dt.date(2024, 1, 31),
            dt.date(2024, 2, 5),
            dt.date(2024, 2, 5),
            dt.date(2024, 3, 7),
            dt.date(2024, 4, 9),
            dt.date(2024, 6, 10),
            dt.date(2024, 6, 11),
            dt.date(2024, 6, 12),
        )
    ]
    assert cleaned["count"].to_list() == [r[5] for r in kept]  # outlier reported, not removed
    results = out.report["agent_results"]
    assert results["duplicate-resolver"]["summary"]["duplicate_rows"] == 1
    assert results["outlier-remover"]["summary"]["outliers_found"] >= 1
    assert results["null-handler"]["summary"]["null_tokens_converted"] == 4  # N/A, -, -, null in notes
    checks = {c["check"]: c["passed"] for c in results["cleanse-writeback"]["data"]["checks"]}
    assert checks == {
        "data_retention": True,
        "columns": True,
        "types": True,
        "numeric_finite": True,
        "no_new_nulls": True,
        "no_duplicates": False,
    }
    assert results["cleanse-previewer"]["summary"]["total_rules_previewed"] == 6
    # the audit of every data-changing agent is in its data and rendered as a report table
    audit = results["type-fixer"]["data"]["audit"]
    assert audit["changed_cells_by_column"]["amount"] == 9  # every amount was rewritten as a number
    titles = [t["title"] for t in results["type-fixer"]["data"]["tables"]]
    assert "Changed cells by column and rule" in titles
    fs = results["field-standardization"]["data"]["audit"]["changed_cells_by_column"]
    assert fs == {"name": 3, "city": 2}  # " Ann  Lee " and the two decomposed "Cafe"; "london ", " Rome"


def test_destructive_options_still_lose_no_row(tmp_path: Path) -> None:
    params = {
        "type-fixer": {"on_failure": "quarantine"},
        "field-standardization": {"apply_clusters": True, "column_case": {"status": "lower"}},
        "duplicate-resolver": {"strategy": "keep_first"},
        "null-handler": {"convert_null_tokens": "all", "column_strategies": {"notes": "drop_rows"}},
        "outlier-remover": {"action": "remove", "columns": ["count"]},
    }
    out = _run(tmp_path, params)
    files = _files(out)
    cleaned = pl.read_csv(files["data"], infer_schema=False)
    quarantine = pl.read_csv(files["quarantine"], infer_schema=False)
    removed = pl.read_csv(files["duplicates_removed.csv"])
    q_rows = [int(v) for v in quarantine["row_number"]]
    ids = {int(v) for v in cleaned["id"]}
    assert removed["removed_row"].to_list() == [4] and removed["kept_row_id"].to_list() == [3]
    # rows 0 (N/A), 3 ('-'), 5 (empty notes) and 6 ('null') have no notes -> quarantined; row 2 is empty
    assert sorted(q_rows) == [0, 2, 3, 5, 6]
    assert cleaned.height + len(q_rows) + removed.height == len(ROWS)
    assert ids == {2, 6, 7, 8}
    assert set(cleaned["status"]) == {"active"}
    checks = {
        c["check"]: c["passed"] for c in out.report["agent_results"]["cleanse-writeback"]["data"]["checks"]
    }
    assert all(checks.values()), checks


def test_previewer_alone_reports_no_rules(tmp_path: Path) -> None:
    out = _run(tmp_path, agents=["cleanse-previewer"])
    r = out.report["agent_results"]["cleanse-previewer"]
    assert r["score"] is None and r["summary"]["status"] == "no rules configured"


def test_previewer_predicts_the_real_run(tmp_path: Path) -> None:
    params = {"duplicate-resolver": {"strategy": "keep_first"}, "outlier-remover": {"action": "remove"}}
    out = _run(tmp_path, params)
    sim = {
        e["agent_id"]: e
        for e in out.report["agent_results"]["cleanse-previewer"]["data"]["simulated_results"]
    }
    for agent in ("quarantine-agent", "duplicate-resolver", "outlier-remover"):
        real = out.report["agent_results"][agent]["data"]["manifest"]
        assert sim[agent]["changes"]["row_change"] == real["rows_out"] - real["rows_in"], agent


def test_wide_table_runs(tmp_path: Path) -> None:
    header = [f"c{i}" for i in range(300)]
    rows = [[f" v{i}_{j} " if i % 3 else str(j * i) for i in range(300)] for j in range(20)]
    src = tmp_path / "wide.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    out = _run(tmp_path, src=src)
    cleaned = pl.read_csv(_files(out)["data"], infer_schema=False)
    assert cleaned.shape == (20, 300)
    assert cleaned["c1"].to_list() == [f"v1_{j}" for j in range(20)]
    fs = out.report["agent_results"]["field-standardization"]["summary"]
    assert fs["values_changed"] == 200 * 20


@pytest.mark.parametrize("bad", [{"type-fixer": {"min_parse_ratio": 2}}, {"null-handler": {"nope": 1}}])
def test_invalid_parameters_are_rejected(tmp_path: Path, bad: dict) -> None:
    from agensium.errors import AgensiumError, ErrorCode

    with pytest.raises(AgensiumError) as e:
        _run(tmp_path, bad)
    assert e.value.code is ErrorCode.INVALID_PARAMETERS
