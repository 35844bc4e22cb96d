"""benchmarks/common.py: the helpers other benchmarks rely on."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "agensium_bench_common", Path(__file__).resolve().parents[3] / "benchmarks" / "common.py")
assert _spec is not None and _spec.loader is not None
common = importlib.util.module_from_spec(_spec)  # a unique name: no clash with any other `common` module
_spec.loader.exec_module(common)


def test_measure_reports_the_child_peak_memory_and_exit_code() -> None:
    fig = common.measure([sys.executable, "-c", "x = bytearray(200 * 2**20); x[-1] = 1; print('ok')"])
    assert fig["rc"] == 0 and fig["stdout"].strip() == "ok"
    assert 200 <= fig["peak_rss_mb"] < 400 and fig["wall_s"] > 0
    assert common.measure([sys.executable, "-c", "raise SystemExit(3)"])["rc"] == 3


def test_label_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert [common.label(n) for n in (1_000_000, 10_000_000, 50_000, 1234)] == ["1m", "10m", "50k", "1234"]
    common.print_table([{"rows": 10, "wall_s": 1.5, "name": "a"}, {"rows": 1000, "wall_s": 12.25, "name": "bb"}])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["rows", "wall_s", "name"] and lines[3].split() == ["1000", "12.25", "bb"]


def test_ensure_wide_csv_reuses_an_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "DATA_DIR", tmp_path)
    (tmp_path / "wide_5k.csv").write_text("id\n1\n")
    monkeypatch.setattr(common, "MAKE_WIDE_CSV", tmp_path / "missing.py")  # would fail if called
    assert common.ensure_wide_csv(5_000) == tmp_path / "wide_5k.csv"
