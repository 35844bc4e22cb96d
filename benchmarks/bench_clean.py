"""Benchmark: clean-my-data, all eight agents with default parameters, every output written.

Runs the tool in a child process on the wide table of `shared/bench/make_wide_csv.py` and prints
wall time and peak RSS (targets: 1M rows <= 8 s and <= 1.5 GB; 10M rows <= 2 GB).

    .venv/bin/python benchmarks/bench_clean.py            # 1,000,000 rows
    .venv/bin/python benchmarks/bench_clean.py 10000000   # 10,000,000 rows
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE = Path(os.environ.get("AGENSIUM_SHARED", "/work/shared")) / "bench" / "make_wide_csv.py"

CHILD = """
import sys
from pathlib import Path
from agensium.engine.pipeline import RunRequest, run_tool
out = run_tool(RunRequest(tool_id="clean-my-data", inputs={"primary": Path(sys.argv[1])}, out_dir=Path(sys.argv[2])))
print(out.status, {r.agent_id: r.duration_ms for r in out.results})
for o in out.outputs:
    print(f"  {o.name}: {o.rows if o.rows is not None else ''}")
"""


def wide_csv(rows: int) -> Path:
    """The benchmark table, from helper A's shared cache if present, else generated here once."""
    try:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from common import ensure_wide_csv  # type: ignore[import-not-found]

        return Path(ensure_wide_csv(rows))
    except ImportError:
        pass
    name = "wide_1m.csv" if rows == 1_000_000 else f"wide_{rows}.csv"
    path = ROOT / "benchmarks" / "data" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(MAKE), str(rows), str(path)], check=True)
    return path


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    src = wide_csv(rows)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD, str(src), str(Path(tmp) / "out")],
                              capture_output=True, text=True)
        wall = time.perf_counter() - t0
        rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(proc.stdout.strip())
    if proc.returncode:
        print(proc.stderr[-3000:])
        raise SystemExit(proc.returncode)
    print(f"clean-my-data {rows:,} rows: wall {wall:.2f} s, peak RSS {rss_mb:,.0f} MB "
          f"(targets: 8 s / 1,536 MB at 1M; 2,048 MB at 10M)")


if __name__ == "__main__":
    main()
