"""Run the engine benchmarks one after another and let each print its figures (`make bench`).

    .venv/bin/python benchmarks/run_all.py            # 1M-row profile and clean, all ER data sets
    .venv/bin/python benchmarks/run_all.py --big      # also the 10M-row profile and clean runs
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    runs = [["bench_read_csv.py"], ["bench_profile.py"], ["bench_clean.py"], ["bench_master.py"],
            ["bench_reports.py"]]
    if "--big" in argv:
        runs += [["bench_profile.py", "--rows", "10000000"], ["bench_clean.py", "--rows", "10000000"]]
    failed = 0
    for run in runs:
        print(f"\n=== {' '.join(run)}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / run[0]), *run[1:]], check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
