"""Reader benchmark: the wide CSV to typed Parquet, wall time and peak RSS per size.

    .venv/bin/python benchmarks/bench_read_csv.py            # 1M rows
    .venv/bin/python benchmarks/bench_read_csv.py 1000000 10000000
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ensure_wide_csv, measure, print_table

READ = ("import sys, time; from pathlib import Path; from agensium.engine.io.readers import read_dataset; "
        "t = time.perf_counter(); read_dataset(Path(sys.argv[1]), Path(sys.argv[2])); "
        "print(round(time.perf_counter() - t, 3))")


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        src = ensure_wide_csv(n)
        with tempfile.TemporaryDirectory() as tmp:
            fig = measure([sys.executable, "-c", READ, str(src), str(Path(tmp) / "out.parquet")])
        read_s = fig.pop("stdout").strip()
        rows.append({"rows": n, "csv_mb": round(src.stat().st_size / 2**20), "read_s": read_s, **fig})
    print_table(rows, "read_dataset: CSV -> typed Parquet (read_s in-process; wall_s incl. interpreter start and imports)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000_000])
