"""Load test: N concurrent tasks with big files and a large parameters.json through `agensium.client.Client`,
against `make run`'s embedded server and a production-like stack, side by side in one run.

Each task has its own user, thread and `Client`: submit (create -> multipart upload straight to storage ->
process), then `Client.wait` polls `GET /tasks/{id}` (each poll timed). Every task uploads the SAME
generated CSV (`benchmarks/data/load_<MB>mb_seed42.csv`: ids, SKUs, names, e-mails, cities, amounts with
nulls, quantities, dates, timestamps, flags, free text; seeded, so the same bytes every run) and the same
~200 KB parameters.json (test-coverage-agent's allowed SKU list, plus range/format/not-null tests).
The tool's agents that need only the primary file run (profile-my-data: all but drift-detector), so the run
measures the service more than the engine.

Printed per stack: wall time for all tasks; per-task time from created_at to completed_at (server clock;
min/median/max), with the client's upload time and the worker's processing time; RSS of the API processes
at start and their peak (flat: file bytes never pass through the API), of the workers and of SeaweedFS,
sampled every 0.1 s; p50/p95/p99 of the status polls.

    .venv/bin/python benchmarks/bench_load.py                     # 10 tasks x 100 MB, both stacks
    .venv/bin/python benchmarks/bench_load.py --quick --stack embedded   # 3 tasks x 10 MB
    .venv/bin/python benchmarks/bench_load.py [--tasks N] [--mb SIZE] [--stack embedded|production|both]
        [--tool TOOL] [--api-workers 4] [--workers 2] [--data-dir DIR]

The production stack needs PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and Redis (6379).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from bench_api import login, pct
from common import DATA_DIR, print_table
from load_stacks import Production, RssSampler, Stack, clean_environ, embedded, production

from agensium.client import Client, Task
from agensium.engine.registry import get_tool

SEED = 42
CHUNK_ROWS = 10_000
SKUS = 16_000  # distinct SKUs in the data, all of them in the allowed list (~200 KB of parameters.json)
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Dennis",
         "Katherine", "Ken", "Radia", "Linus", "Hedy", "Tim", "Sophie", "Guido", "Anita", "Niklaus"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton",
        "Ritchie", "Johnson", "Thompson", "Perlman", "Torvalds", "Lamarr", "Berners-Lee", "Wilson",
        "van Rossum", "Borg", "Wirth"]
CITIES = ["London", "Paris", "Berlin", "Madrid", "Rome", "Vienna", "Lisbon", "Dublin", "Warsaw", "Prague",
          "Oslo", "Helsinki", "Athens", "Zurich", "Brussels", "Amsterdam", "Copenhagen", "Budapest",
          "Stockholm", "Tallinn"]
WORDS = ["late", "delivery", "customer", "called", "refund", "asked", "gift", "wrap", "fragile", "box",
         "damaged", "priority", "weekend", "address", "changed", "invoice", "resent", "discount", "applied"]


def make_csv(mb: int, directory: Path) -> Path:
    """About `mb` MB of CSV in 10,000-row chunks, each from its own seeded generator (same bytes every run)."""
    path = directory / f"load_{mb}mb_seed{SEED}.csv"
    if path.exists():
        return path
    directory.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")  # renamed when whole: a reader never sees half
    with tmp.open("wb") as f:
        chunk = 0
        while f.tell() < mb * 1_000_000:
            rows(chunk).write_csv(f, include_header=chunk == 0, datetime_format="%Y-%m-%d %H:%M:%S")
            chunk += 1
    tmp.replace(path)
    return path


def rows(chunk: int, n: int = CHUNK_ROWS) -> pl.DataFrame:
    """Chunk `chunk` of the load file: numbers, text and dates, a few nulls, quoted free text."""
    rng = np.random.default_rng([SEED, chunk])
    notes = [" ".join(np.random.default_rng([SEED, i]).choice(WORDS, 1 + i % 6)) for i in range(200)]
    amount = np.round(rng.lognormal(3.5, 1.0, n), 2)
    frame = pl.DataFrame({
        "order_id": np.arange(chunk * n, (chunk + 1) * n),
        "sku": rng.integers(0, SKUS, n),
        "first": pl.Series(FIRST).gather(rng.integers(0, len(FIRST), n)),
        "last": pl.Series(LAST).gather(rng.integers(0, len(LAST), n)),
        "city": pl.Series(CITIES).gather(np.minimum(rng.zipf(1.6, n) - 1, len(CITIES) - 1)),
        "amount": pl.Series(amount).scatter(np.flatnonzero(rng.random(n) < 0.02), None),
        "quantity": rng.poisson(3, n) + 1,
        "order_date": np.datetime64("2020-01-01") + rng.integers(0, 1826, n).astype("timedelta64[D]"),
        "updated_at": (np.datetime64("2020-01-01T00:00:00")
                       + rng.integers(0, 157_766_400, n).astype("timedelta64[s]")).astype("datetime64[ms]"),
        "active": rng.random(n) < 0.9,
        "note": pl.Series(notes).gather(rng.integers(0, len(notes), n)),
    })
    return frame.select(
        "order_id", pl.format("SKU-{}", pl.col("sku").cast(pl.String).str.zfill(5)).alias("sku"),
        pl.concat_str("first", "last", separator=" ").alias("customer"),
        pl.concat_str(pl.col("first").str.to_lowercase(), pl.lit("."),
                      pl.col("last").str.to_lowercase().str.replace_all(r"[ -]", ""),
                      (pl.col("order_id") % 1000).cast(pl.String), pl.lit("@example.com")).alias("email"),
        "city", "amount", "quantity", "order_date", "updated_at", "active",
        pl.when(pl.col("order_id") % 7 == 0).then(pl.col("note") + ", customer called").otherwise("note").alias("note"),
    )


def make_parameters(agents: list[str], directory: Path) -> Path | None:
    """A large parameters.json for the agents that take one (None if none of them runs)."""
    doc: dict[str, dict[str, object]] = {}
    if "unified-profiler" in agents:
        doc["unified-profiler"] = {"null_alert_threshold": 10, "top_n_values": 20, "outlier_method": "mad"}
    if "test-coverage-agent" in agents:
        doc["test-coverage-agent"] = {
            "unique_columns": ["order_id"], "not_null_columns": ["order_id", "sku", "email"],
            "range_tests": {"amount": {"min": 0, "max": 100_000}, "quantity": {"min": 1, "max": 50}},
            "format_tests": {"sku": r"SKU-\d{5}", "email": {"pattern": r"[^@\s]+@[^@\s]+\.[a-z]{2,}",
                                                             "description": "an e-mail address"}},
            "allowed_values": {"sku": [f"SKU-{i:05d}" for i in range(SKUS)], "city": CITIES},
        }
    if not doc:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "load_parameters.json"
    path.write_text(json.dumps(doc))
    return path


class TimedClient(Client):
    """The client with every status poll timed (`Client.wait` polls through `task()`)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.poll_ms: list[float] = []

    def task(self, task_id: str) -> Task:
        t0 = time.perf_counter()
        task = super().task(task_id)
        self.poll_ms.append((time.perf_counter() - t0) * 1000)
        return task


@dataclass
class TaskRun:
    status: str = "NOT STARTED"
    error: str | None = None
    upload_s: float | None = None      # client: create -> process accepted (upload straight to storage)
    total_s: float | None = None       # server: created_at -> completed_at
    processing_s: float | None = None  # server: processing_started_at -> completed_at
    poll_ms: list[float] = field(default_factory=list)


def one_task(url: str, token: str, tool: str, agents: list[str], csv: Path, params: Path | None,
             timeout: float, run: TaskRun) -> None:
    try:
        with TimedClient(url, token) as c:
            t0 = time.perf_counter()
            task = c.submit(tool, primary=csv, parameters=params, agents=agents)
            run.upload_s = time.perf_counter() - t0
            task = c.wait(task.task_id, timeout=timeout, max_interval=1.0)
            run.poll_ms = c.poll_ms
        run.status, run.error = task.status, task.error_code and f"{task.error_code}: {task.error_message}"
        if task.completed_at is not None:
            run.total_s = (task.completed_at - task.created_at).total_seconds()
            if task.processing_started_at is not None:
                run.processing_s = (task.completed_at - task.processing_started_at).total_seconds()
    except Exception as exc:  # one failed task is a figure of the run, not the end of it
        run.status, run.error = "ERROR", f"{type(exc).__name__}: {exc}"


def drive(stack: Stack, n: int, tool: str, agents: list[str], csv: Path, params: Path | None,
          timeout: float) -> dict[str, str]:
    """Log in n users; run n tasks on 2,000-row files (warm-up: every API process loads its code), then the
    n tasks on the big file; the stack's figures."""
    t0 = time.perf_counter()
    tokens = login(stack.url, stack.var, n)
    idle = RssSampler(stack).sample()[0]["api"]
    warm, _, _ = run_tasks(stack, tokens, tool, agents, small_csv(csv), params, timeout)
    print(f"[{stack.name}] {n} users logged in and {n} warm-up tasks run in {time.perf_counter() - t0:.1f} s",
          flush=True)
    print(f"[{stack.name}] {n} tasks running: {stack.description}", flush=True)
    runs, wall, rss = run_tasks(stack, tokens, tool, agents, csv, params, timeout)
    for i, run in enumerate(warm + runs):
        if run.status != "COMPLETED":
            print(f"[{stack.name}] {'warm-up ' if i < n else ''}task {i % n}: {run.status} {run.error or ''}",
                  flush=True)
    return figures(runs, wall, rss, idle)


def run_tasks(stack: Stack, tokens: list[str], tool: str, agents: list[str], csv: Path, params: Path | None,
              timeout: float) -> tuple[list[TaskRun], float, RssSampler]:
    """One task per token, each in its own thread with its own client, while the RSS is sampled."""
    runs = [TaskRun() for _ in tokens]
    threads = [threading.Thread(target=one_task, args=(stack.url, tok, tool, agents, csv, params, timeout, run),
                                daemon=True) for tok, run in zip(tokens, runs, strict=True)]
    with RssSampler(stack) as rss:
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    return runs, wall, rss


def small_csv(csv: Path) -> Path:
    """The first 2,000 rows of the load file: the warm-up tasks' input."""
    path = csv.with_name(f"{csv.stem}_head.csv")
    if not path.exists():
        with csv.open("rb") as src:
            head = b"".join(src.readline() for _ in range(2_001))
        tmp = path.with_name(f"{path.name}.{os.getpid()}.part")
        tmp.write_bytes(head)
        tmp.replace(path)
    return path


def figures(runs: list[TaskRun], wall: float, rss: RssSampler, idle_api: float) -> dict[str, str]:
    total = [r.total_s for r in runs if r.total_s is not None]
    upload = [r.upload_s for r in runs if r.upload_s is not None]
    processing = [r.processing_s for r in runs if r.processing_s is not None]
    polls = [ms for r in runs for ms in r.poll_ms]
    return {
        "tasks COMPLETED": f"{sum(r.status == 'COMPLETED' for r in runs)}/{len(runs)}",
        "wall, all tasks (s)": f"{wall:.1f}",
        "per task, create->COMPLETED min (s)": _fmt(min, total),
        "per task, create->COMPLETED median (s)": _fmt(statistics.median, total),
        "per task, create->COMPLETED max (s)": _fmt(max, total),
        "per task, upload median (s)": _fmt(statistics.median, upload),
        "per task, processing median (s)": _fmt(statistics.median, processing),
        "API RSS idle, before any task (MB, all API processes)": f"{idle_api:.0f}",
        "API RSS at start, after the warm-up (MB, all)": f"{rss.start['api']:.0f}",
        "API RSS peak during the run (MB, all)": f"{rss.peak['api']:.0f}",
        "largest API process at start (MB)": f"{rss.start_largest['api']:.0f}",
        "largest API process peak (MB)": f"{rss.largest['api']:.0f}",
        "workers RSS peak, all processes (MB)": f"{rss.peak['workers']:.0f}",
        "largest worker process peak (MB)": f"{rss.largest['workers']:.0f}",
        "SeaweedFS RSS peak (MB)": f"{rss.peak['storage']:.0f}",
        "status polls (GET /tasks/{id})": str(len(polls)),
        "status poll p50 (ms)": _fmt(lambda v: pct(v, 50), polls),
        "status poll p95 (ms)": _fmt(lambda v: pct(v, 95), polls),
        "status poll p99 (ms)": _fmt(lambda v: pct(v, 99), polls),
    }


def _fmt(stat: Callable[[list[float]], float], values: list[float]) -> str:
    return f"{stat(values):.1f}" if values else "-"


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, help="Concurrent tasks (default 10; 3 with --quick)")
    ap.add_argument("--mb", type=int, help="Size of the input file in MB (default 100; 10 with --quick)")
    ap.add_argument("--stack", choices=["embedded", "production", "both"], default="both")
    ap.add_argument("--tool", default="profile-my-data")
    ap.add_argument("--quick", action="store_true", help="3 tasks x 10 MB")
    ap.add_argument("--api-workers", type=int, default=4, help="uvicorn --workers of the production API")
    ap.add_argument("--workers", type=int, default=2, help="`agensium worker` processes of the production stack")
    ap.add_argument("--timeout", type=float, default=1800, help="Seconds a task may take")
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR, help="Where the input file is generated")
    args = ap.parse_args(argv)
    args.tasks = args.tasks or (3 if args.quick else 10)
    args.mb = args.mb or (10 if args.quick else 100)
    return args


def main(argv: list[str]) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))  # clean up as on Ctrl-C
    clean_environ()
    spec = get_tool(args.tool)
    agents = [a.id for a in spec.agents if set(a.needs) <= {"primary"}]
    csv = make_csv(args.mb, args.data_dir)
    params = make_parameters(agents, args.data_dir)
    size = f"parameters.json of {params.stat().st_size / 1e3:.0f} KB" if params else "no parameters.json"
    print(f"{args.tasks} concurrent tasks, each its own user, thread and Client, all uploading the same "
          f"{csv.name} ({csv.stat().st_size / 1e6:.0f} MB) with {size}", flush=True)
    print(f"{args.tool}: {', '.join(agents)}; {os.cpu_count()} cores", flush=True)
    stacks = ["embedded", "production"] if args.stack == "both" else [args.stack]
    results: dict[str, dict[str, str]] = {}
    try:
        for name in stacks:
            with tempfile.TemporaryDirectory(prefix=f"agensium-load-{name}-") as tmp:
                starter = (embedded(Path(tmp)) if name == "embedded" else
                           production(Path(tmp), Production(api_workers=args.api_workers, workers=args.workers)))
                with starter as stack:
                    results[name] = drive(stack, args.tasks, args.tool, agents, csv, params, args.timeout)
    except KeyboardInterrupt:
        print("interrupted: every process of the benchmark was stopped", file=sys.stderr)
        return 130
    print()
    print_table([{"figure": k, **{name: results[name][k] for name in stacks}} for k in results[stacks[0]]])
    return 0 if all(r["tasks COMPLETED"].split("/")[0] == str(args.tasks) for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
