"""Benchmark: profile-my-data, all five agents, JSON + Excel + HTML written, through the CLI.

The primary is the wide table of `shared/bench/make_wide_csv.py` (seed 42); the baseline is the
same generator with seed 7 (same distributions, different draws), so drift is tested on every
column. Prints wall seconds and peak RSS of the whole `agensium run` process (targets: 1M rows
<= 5 s and <= 1 GB; 10M rows <= 2 GB). The peer, ydata-profiling with minimal=True (pandas read_csv
+ HTML report), runs on the same file in the same run, with the interpreter of a separate virtualenv
(`benchmarks/peers.sh` creates `benchmarks/.venv-peers`; ydata-profiling is never installed into
.venv, whose pinned versions it would change); wall time, peak RSS and the ratios to ours are printed.

    benchmarks/peers.sh                                          # once: the peer's virtualenv
    .venv/bin/python benchmarks/bench_profile.py                 # 1,000,000 rows, with the peer
    .venv/bin/python benchmarks/bench_profile.py --rows 10000000 --no-peer
    .venv/bin/python benchmarks/bench_profile.py --peer-python /path/to/python
"""

from __future__ import annotations

import argparse
import fcntl
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATA_DIR, MAKE_WIDE_CSV, ROOT, ensure_wide_csv, label, measure, print_table

AGENSIUM = ROOT / ".venv" / "bin" / "agensium"
PEER_PYTHON = Path(__file__).resolve().parent / ".venv-peers" / "bin" / "python"

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


def _peer_python(arg: str | None, disabled: bool) -> Path | None:
    """The interpreter that has ydata-profiling: --peer-python, else benchmarks/.venv-peers if it exists."""
    if disabled:
        return None
    if arg:
        path = Path(arg)
        if not path.exists():
            raise SystemExit(f"--peer-python {arg}: no such interpreter (run benchmarks/peers.sh)")
        return path
    return PEER_PYTHON if PEER_PYTHON.exists() else None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--no-baseline", action="store_true", help="profile without drift detection")
    ap.add_argument("--repeat", type=int, default=1, help="runs (figures of each are printed)")
    ap.add_argument("--peer-python", default=None,
                    help="python with ydata-profiling installed (default: benchmarks/.venv-peers/bin/python if present)")
    ap.add_argument("--no-peer", action="store_true", help="skip the ydata-profiling comparison")
    args = ap.parse_args()
    peer = _peer_python(args.peer_python, args.no_peer)
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
        if peer is not None:
            y = measure([str(peer), "-c", _YDATA, str(primary), str(Path(tmp) / "ydata.html")])
            if y["rc"]:
                raise SystemExit(f"ydata-profiling failed with {peer} (rc {y['rc']})")
            results.append({"tool": "ydata-profiling minimal", "rows": f"{args.rows:,}", "baseline": "no",
                            "wall_s": y["wall_s"], "peak_rss_mb": y["peak_rss_mb"]})
    print_table(results, f"profile-my-data benchmark ({label(args.rows)} rows x 20 columns)")
    ours = results[: args.repeat]
    best_wall = min(r["wall_s"] for r in ours)
    best_rss = min(r["peak_rss_mb"] for r in ours)
    print("targets: 1M rows <= 5 s wall and <= 1,024 MB; 10M rows <= 2,048 MB")
    if peer is not None:
        y = results[-1]
        print(f"ydata-profiling ({peer}): {y['wall_s']:.1f} s, {y['peak_rss_mb']:,.0f} MB; "
              f"ratio to agensium (best run): wall {y['wall_s'] / best_wall:.1f}x, "
              f"memory {y['peak_rss_mb'] / best_rss:.1f}x")
    elif not args.no_peer:
        print("ydata-profiling comparison skipped: run benchmarks/peers.sh (or pass --peer-python)")


if __name__ == "__main__":
    main()
