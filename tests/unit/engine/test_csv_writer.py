"""Columns CSV cannot hold (nested, binary, duration) from a Parquet input: written as text that says what
they held, and every tool runs through them."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from agensium.engine.io.csv_writer import csv_ready
from agensium.engine.pipeline import RunRequest, run_tool

ROWS = 40
ODD = pl.DataFrame({
    "name": [f"Person {i % 13}" for i in range(ROWS)],
    "email": [f"p{i % 13}@example.com" for i in range(ROWS)],
    "born": [date(1980, 1, 1 + i % 13) for i in range(ROWS)],
    "tags": [[i, i + 1] if i % 5 else None for i in range(ROWS)],
    "point": [{"x": i, "label": f"é{i}"} if i % 7 else None for i in range(ROWS)],
    "fixed": pl.Series([[i, -i] for i in range(ROWS)], dtype=pl.Array(pl.Int64, 2)),
    "blob": [bytes([i, 0, 255]) if i % 3 else None for i in range(ROWS)],
    "wait": [timedelta(seconds=90 * i) if i % 4 else None for i in range(ROWS)],
    "clock": [time(i % 24, 30) for i in range(ROWS)],
    "price": [Decimal(f"{i}.25") for i in range(ROWS)],
    "seen": pl.Series([datetime(2024, 1, 1 + i % 28) for i in range(ROWS)]).dt.replace_time_zone("UTC"),
})


def test_csv_ready_writes_each_value_as_text_that_reads_back() -> None:
    text = csv_ready(ODD).write_csv()
    back = pl.read_csv(text.encode(), infer_schema=False)
    assert back.height == ROWS
    want = ODD.to_dict(as_series=False)
    for i in range(ROWS):
        tags, point, blob, wait = (back[c][i] for c in ("tags", "point", "blob", "wait"))
        assert (json.loads(tags) if tags is not None else None) == want["tags"][i]
        assert (json.loads(point) if point is not None else None) == want["point"][i]
        assert json.loads(back["fixed"][i]) == want["fixed"][i]
        assert (base64.b64decode(blob) if blob is not None else None) == want["blob"][i]
        expected = want["wait"][i]
        assert wait == (None if expected is None else pl.Series([expected]).dt.to_string("iso")[0])
    assert back["wait"][1] == "PT1M30S"
    # columns CSV holds are left alone
    assert csv_ready(ODD.select("name", "price")).equals(ODD.select("name", "price"))


@pytest.mark.parametrize("tool_id", ["profile-my-data", "clean-my-data", "master-my-data"])
def test_every_tool_runs_every_agent_on_parquet_only_types(tmp_path: Path, tool_id: str) -> None:
    src = tmp_path / "odd.parquet"
    ODD.write_parquet(src)
    inputs: dict[str, Path | str] = {"primary": src}
    if tool_id == "profile-my-data":
        inputs["baseline"] = src
    out = run_tool(RunRequest(tool_id=tool_id, inputs=inputs, out_dir=tmp_path / "out", formats=("json",)))
    assert out.status == "completed"
    # every agent succeeds, except those with nothing to do here (no contract, no checks): skipped, uncharged
    nothing_to_do = {"test-coverage-agent", "contract-enforcer"}
    assert {r.agent_id: (r.status, r.error) for r in out.results} == {
        r.agent_id: ("skipped" if r.agent_id in nothing_to_do else "success", None) for r in out.results}
    assert all(r.summary["skipped_reason"] for r in out.results if r.status == "skipped")
    for o in out.outputs:
        if o.name.endswith(".csv"):
            pl.read_csv(o.path, infer_schema=False)  # every CSV written is a CSV
    data = [o for o in out.outputs if o.kind == "data"]
    if tool_id != "profile-my-data":
        written = pl.read_csv(data[0].path, infer_schema=False)
        assert written.height == ROWS if tool_id == "clean-my-data" else written.height <= ROWS
        assert json.loads(written["tags"].drop_nulls()[0]) in ODD["tags"].drop_nulls().to_list()
