"""`benchmarks/bench_load.py` on the embedded stack, run as a person runs it: every task completes, the table
has its rows and the API's RSS figures, the input file is the same bytes every time, and no process of the
benchmark is left behind, after a normal run and after Ctrl-C. No figure is asserted on time."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks" / "bench_load.py"
FIGURES = [
    "tasks COMPLETED", "wall, all tasks (s)", "per task, create->COMPLETED min (s)",
    "per task, create->COMPLETED median (s)", "per task, create->COMPLETED max (s)", "per task, upload median (s)",
    "per task, processing median (s)", "API RSS idle, before any task (MB, all API processes)",
    "API RSS at start, after the warm-up (MB, all)", "API RSS peak during the run (MB, all)",
    "largest API process at start (MB)", "largest API process peak (MB)", "workers RSS peak, all processes (MB)",
    "largest worker process peak (MB)", "SeaweedFS RSS peak (MB)", "status polls (GET /tasks/{id})",
    "status poll p50 (ms)", "status poll p95 (ms)", "status poll p99 (ms)",
]


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """The benchmark's TMPDIR (its stack's var/), so its processes can be found by path; short, because
    SeaweedFS puts unix sockets there (at most 107 bytes of path)."""
    path = Path(tempfile.mkdtemp(prefix="abl-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}


def _ours(tmp: Path) -> list[str]:
    """Processes whose command line or environment mention tmp: what the benchmark started."""
    found = []
    for p in psutil.process_iter():
        try:
            if str(tmp) in " ".join(p.cmdline()) or str(tmp) in "".join(p.environ().values()):
                found.append(f"{p.pid} {' '.join(p.cmdline())[:200]}")
        except psutil.Error:
            continue
    return found


def _table(out: str) -> dict[str, str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split() == ["figure", "embedded"])
    rows = [re.split(r"\s{2,}", line.strip()) for line in lines[start + 2:] if line.strip()]
    return {row[0]: row[1] for row in rows}


@pytest.mark.slow
def test_quick_run_completes_every_task_and_prints_each_figure(tmp_path: Path, short_tmp: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCH), "--quick", "--stack", "embedded", "--data-dir",
                           str(tmp_path / "data")], env=_env(short_tmp), capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = _table(proc.stdout)
    assert list(table) == FIGURES
    assert table["tasks COMPLETED"] == "3/3"
    api = [float(table[k]) for k in FIGURES if "API" in k]
    assert all(mb > 50 for mb in api), table  # a Python web server holds tens of MB at least
    assert float(table["largest API process peak (MB)"]) >= float(table["largest API process at start (MB)"])
    assert float(table["workers RSS peak, all processes (MB)"]) > 0 and float(table["SeaweedFS RSS peak (MB)"]) > 0
    polls = [float(table[f"status poll {p} (ms)"]) for p in ("p50", "p95", "p99")]
    assert int(table["status polls (GET /tasks/{id})"]) >= 3 and polls == sorted(polls)
    csv = tmp_path / "data" / "load_10mb_seed42.csv"
    assert 10_000_000 <= csv.stat().st_size < 12_000_000
    assert "load_10mb_seed42.csv (11 MB)" in proc.stdout and "parameters.json of 209 KB" in proc.stdout
    assert _ours(short_tmp) == []


def test_the_input_file_is_the_same_bytes_every_time_with_numbers_text_and_dates(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import bench_load; "
            "bench_load.make_csv(1, Path(sys.argv[2]))")
    for d in ("a", "b"):
        subprocess.run([sys.executable, "-c", code, str(BENCH.parent), str(tmp_path / d)], check=True, timeout=120)
    a, b = (tmp_path / d / "load_1mb_seed42.csv" for d in ("a", "b"))
    assert a.read_bytes() == b.read_bytes() and a.stat().st_size >= 1_000_000
    frame = pl.read_csv(a, try_parse_dates=True)
    assert frame["order_id"].is_unique().all() and frame["amount"].null_count() > 0
    assert {frame.schema[c] for c in ("order_date", "updated_at", "amount", "customer")} == {
        pl.Date, pl.Datetime("us"), pl.Float64, pl.String}


@pytest.mark.slow
def test_ctrl_c_during_the_run_stops_every_process(tmp_path: Path, short_tmp: Path) -> None:
    proc = subprocess.Popen([sys.executable, str(BENCH), "--stack", "embedded", "--tasks", "2", "--mb", "5",
                             "--data-dir", str(tmp_path / "data")], env=_env(short_tmp), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if "tasks running" in line:
                break
        assert _ours(short_tmp), "".join(seen)  # the stack is up: there is something to stop
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err, err
    assert _ours(short_tmp) == []
