"""Benchmark: profile-my-data, all five agents, JSON + Excel + HTML written, through the CLI.

The primary is the wide table of `shared/bench/make_wide_csv.py` (seed 42); the baseline is the
same generator with seed 7 (same distributions, different draws), so drift is tested on every
column. Prints wall seconds and peak RSS of the whole `agensium run` process (targets: 1M rows
<= 5 s and <= 1 GB; 10M rows <= 2 GB). If ydata-profiling is importable it is run with
minimal=True on the same file and the ratio is printed.

    .venv/bin/python benchmarks/bench_profile.py             # 1,000,000 rows
    .venv/bin/python benchmarks/bench_profile.py --rows 10000000
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA_DIR, MAKE_WIDE_CSV, ROOT, ensure_wide_csv, label, measure, print_table

AGENSIUM = ROOT / ".venv" / "bin" / "agensium"

# the generator with its seed replaced: same distributions, different draws
_SEEDED = """
import sys, numpy as np
script, rows, out, seed = sys.argv[1:5]
_rng = np.random.default_rng
np.random.default_rng = lambda _seed=None: _rng(int(seed))
sys.argv = [script, rows, out]
exec(compile(open(script).read(), script, "exec"))
"""

_YDATA = """
import sys, pandas as pd
from ydata_profiling import ProfileReport
df = pd.read_csv(sys.argv[1])
ProfileReport(df, minimal=True, progress_bar=False).to_file(sys.argv[2])
"""


def ensure_baseline_csv(rows: int, seed: int = 7) -> Path:
    path = DATA_DIR / f"wide_{label(rows)}_seed{seed}.csv"
    if path.exists():
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    with (DATA_DIR / ".wide.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = path.with_suffix(".csv.part")
            subprocess.run([sys.executable, "-c", _SEEDED, str(MAKE_WIDE_CSV), str(rows), str(tmp), str(seed)],
                           check=True, stdout=subprocess.DEVNULL, cwd=MAKE_WIDE_CSV.parent)
            tmp.replace(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-baseline", action="store_true", help="profile without drift detection")
    ap.add_argument("--repeat", type=int, default=1, help="runs (figures of each are printed)")
    args = ap.parse_args()
    primary = ensure_wide_csv(args.rows)
    baseline = None if args.no_baseline else ensure_baseline_csv(args.rows)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            out = Path(tmp) / f"out{i}"
            cmd = [str(AGENSIUM), "run", "profile-my-data", str(primary), "--out", str(out)]
            if baseline:
                cmd += ["--baseline", str(baseline)]
            m = measure(cmd)
            if m["rc"]:
                raise SystemExit(f"agensium run failed (rc {m['rc']})")
            results.append({"tool": "agensium profile-my-data", "rows": f"{args.rows:,}",
                            "baseline": "yes" if baseline else "no", "wall_s": m["wall_s"],
                            "peak_rss_mb": m["peak_rss_mb"]})
        if importlib.util.find_spec("ydata_profiling") is not None:
            y = measure([sys.executable, "-c", _YDATA, str(primary), str(Path(tmp) / "ydata.html")])
            results.append({"tool": "ydata-profiling minimal", "rows": f"{args.rows:,}", "baseline": "no",
                            "wall_s": y["wall_s"], "peak_rss_mb": y["peak_rss_mb"]})
    print_table(results, f"profile-my-data benchmark ({label(args.rows)} rows x 20 columns)")
    best = min(r["wall_s"] for r in results if r["tool"].startswith("agensium"))
    print("targets: 1M rows <= 5 s wall and <= 1,024 MB; 10M rows <= 2,048 MB")
    if len(results) > args.repeat:
        y = results[-1]
        print(f"ydata-profiling / agensium wall ratio: {y['wall_s'] / best:.1f}x, "
              f"memory ratio: {y['peak_rss_mb'] / min(r['peak_rss_mb'] for r in results[:-1]):.1f}x")
    else:
        print("ydata-profiling is not installed (pip install '.[bench]' to compare)")


if __name__ == "__main__":
    main()
