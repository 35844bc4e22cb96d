"""Benchmark: clean-my-data, all eight agents with default parameters, every output written.

Runs `agensium run clean-my-data FILE --out DIR` (cleaned CSV, quarantine, row issues, JSON + Excel +
HTML reports) on the wide table of `shared/bench/make_wide_csv.py` and prints wall time and peak RSS
of the whole process (targets: 1M rows <= 8 s and <= 1.5 GB; 10M rows <= 2 GB), plus each agent's
own time from the report.

    .venv/bin/python benchmarks/bench_clean.py                  # 1,000,000 rows
    .venv/bin/python benchmarks/bench_clean.py --rows 10000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, ensure_wide_csv, label, measure, print_table

AGENSIUM = ROOT / ".venv" / "bin" / "agensium"


def _children_cpu() -> float:
    """User + system CPU seconds of every finished child process (a fairer figure on a busy machine)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1, help="runs (figures of each are printed)")
    args = ap.parse_args()
    src = ensure_wide_csv(args.rows)
    results = []
    timings: dict[str, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            out = Path(tmp) / f"out{i}"
            cpu0 = _children_cpu()
            m = measure([str(AGENSIUM), "run", "clean-my-data", str(src), "--out", str(out)])
            cpu = _children_cpu() - cpu0
            if m["rc"]:
                raise SystemExit(f"agensium run failed (rc {m['rc']})")
            report = json.loads((out / "clean_my_data_report.json").read_text())
            timings = report["metadata"]["timings_ms"]
            outputs = {o["name"]: o["rows"] for o in report["metadata"]["outputs"]}
            results.append(
                {
                    "tool": "agensium clean-my-data",
                    "rows": f"{args.rows:,}",
                    "wall_s": m["wall_s"],
                    "peak_rss_mb": m["peak_rss_mb"],
                    "cpu_s": round(cpu, 2),
                    "load_1m": round(os.getloadavg()[0], 1),
                    "agents_s": round(sum(timings.values()) / 1000, 2),
                }
            )
    print_table(
        results, f"clean-my-data benchmark ({label(args.rows)} rows x 20 columns, default parameters)"
    )
    print(
        "targets: 1M rows <= 8 s wall and <= 1,536 MB; 10M rows <= 2,048 MB "
        "(cpu_s = CPU seconds on 2 cores; load_1m = machine load during the run)"
    )
    print_table([{"agent": a, "seconds": round(ms / 1000, 2)} for a, ms in timings.items()], "time per agent")
    print("outputs: " + ", ".join(f"{n} ({r} rows)" if r is not None else n for n, r in outputs.items()))


if __name__ == "__main__":
    main()
