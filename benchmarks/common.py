"""Shared benchmark helpers: the wide test table, wall time + peak memory of a command, a plain table.

Benchmarks print figures; they never assert on time (the machines are shared and noisy).
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data"
MAKE_WIDE_CSV = Path(os.environ.get("AGENSIUM_MAKE_WIDE_CSV", "/work/shared/bench/make_wide_csv.py"))

_MEASURE = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:])
tree_peak = 0
try:
    import psutil  # optional (bench extra): sums the whole process tree while it runs
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
            tree_peak = max(tree_peak, sum(p.memory_info().rss for p in procs if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.05)
except ImportError:
    pass
rc = proc.wait()
wall = time.perf_counter() - t0
largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"rc": rc, "wall_s": wall, "peak_rss_mb": max(largest, tree_peak) / 2**20}), file=sys.stderr)
"""


def label(rows: int) -> str:
    """1_000_000 -> "1m", 10_000_000 -> "10m", 50_000 -> "50k"."""
    for size, unit in ((1_000_000, "m"), (1_000, "k")):
        if rows >= size and rows % size == 0:
            return f"{rows // size}{unit}"
    return str(rows)


def ensure_wide_csv(rows: int = 1_000_000) -> Path:
    """`benchmarks/data/wide_<label>.csv` (rows x 20 mixed columns, seed 42), generated once if missing.

    Generation writes to a temp name and renames, under a lock, so parallel benchmarks never read a
    half-written file.
    """
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"wide_{label(rows)}.csv"
    if path.exists():
        return path
    with (DATA_DIR / ".wide.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = path.with_suffix(".csv.part")
            subprocess.run([sys.executable, str(MAKE_WIDE_CSV), str(rows), str(tmp)], check=True,
                           stdout=subprocess.DEVNULL)
            tmp.replace(path)
    return path


def measure(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, Any]:
    """Run `cmd`; return {"wall_s", "peak_rss_mb", "rc", "stdout"}.

    Peak RSS: the larger of `getrusage(RUSAGE_CHILDREN)` (largest single process of the tree, read in a
    fresh wrapper so earlier runs never leak into the figure) and, when psutil is installed, the polled
    sum over the whole process tree (for commands that run workers side by side).
    """
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], env={**os.environ, **(env or {})},
                          cwd=cwd, capture_output=True, text=True)
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "{}"
    try:
        figures = json.loads(last)
    except json.JSONDecodeError:
        figures = {"rc": proc.returncode, "wall_s": float("nan"), "peak_rss_mb": float("nan")}
    if figures.get("rc"):
        sys.stderr.write(proc.stderr[-4000:])
    return {"wall_s": round(figures["wall_s"], 3), "peak_rss_mb": round(figures["peak_rss_mb"], 1),
            "rc": figures["rc"], "stdout": proc.stdout}


def print_table(rows: list[dict[str, Any]], title: str | None = None) -> None:
    """Rows of dicts as an aligned plain-text table (columns from the first row's keys)."""
    if not rows:
        return
    cols = list(rows[0])
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    if title:
        print(title)
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _numeric(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def timed(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """(result, seconds) of one in-process call."""
    t0 = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - t0
