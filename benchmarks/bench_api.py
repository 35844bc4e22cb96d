"""API latency: each lifecycle call under 50 concurrent clients (DESIGN §8: ≤ 50 ms p99).

Starts `agensium serve` (embedded SeaweedFS and SQLite, or DATABASE_URL) on free ports in a temp
dir, registers users, then drives N concurrent clients through create → get → list → upload-urls →
PUT (to storage, not timed as an API call) → process → get. Prints p50/p95/p99 per call.

    .venv/bin/python benchmarks/bench_api.py [--clients 50] [--rounds 10]

`process` needs a broker: set AGENSIUM_BROKER_URL (e.g. redis://127.0.0.1:6379/0) and a private
AGENSIUM_QUEUE_NAME, or leave the embedded worker on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

CSV = b"id,name,amount\n" + b"".join(f"{i},name{i},{i * 1.5}\n".encode() for i in range(200))
PASSWORD = "Bench-horse-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(var: Path) -> tuple[subprocess.Popen[bytes], str]:
    port, s3_port = free_port(), free_port()
    env = {**os.environ, "AGENSIUM_VAR_DIR": str(var), "AGENSIUM_PORT": str(port),
           "AGENSIUM_EMBEDDED_S3_PORT": str(s3_port), "AGENSIUM_LOG_LEVEL": "WARNING",
           "AGENSIUM_AUTH_RATE_LIMIT_PER_MINUTE": "100000"}
    exe = Path(sys.executable).with_name("agensium")
    proc = subprocess.Popen([str(exe), "serve"], env=env, stdout=(var / "serve.log").open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit("server did not start:\n" + (var / "serve.log").read_text()[-3000:])


def login(url: str, var: Path, n: int) -> list[str]:
    tokens = []
    with httpx.Client(base_url=url, timeout=30) as c:
        for i in range(n):
            email = f"bench{i}-{os.getpid()}@example.com"
            c.post("/auth/register", json={"email": email, "password": PASSWORD})
            mails = [json.loads(p.read_text()) for p in sorted((var / "outbox").glob("*.json"))]
            code = next(re.search(r"\b(\d{6})\b", m["body"]).group(1)  # type: ignore[union-attr]
                        for m in reversed(mails) if m["to"] == email)
            c.post("/auth/verify", json={"email": email, "code": code})
            tokens.append(c.post("/auth/login", data={"username": email, "password": PASSWORD}).json()["access_token"])
    return tokens


async def one_client(url: str, token: str, rounds: int, timings: dict[str, list[float]], errors: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        async def call(name: str, method: str, path: str, **kw: object) -> httpx.Response:
            t = time.perf_counter()
            r = await c.request(method, path, **kw)  # type: ignore[arg-type]
            timings[name].append((time.perf_counter() - t) * 1000)
            if r.status_code >= 400:
                errors.append(f"{name}: {r.status_code} {r.text[:120]}")
            return r

        for _ in range(rounds):
            tid = (await call("POST /tasks", "POST", "/tasks",
                              json={"tool_id": "profile-my-data", "agents": ["unified-profiler"]})).json()["task_id"]
            await call("GET /tasks/{id}", "GET", f"/tasks/{tid}")
            await call("GET /tasks", "GET", "/tasks?limit=20")
            up = (await call("POST upload-urls", "POST", f"/tasks/{tid}/upload-urls", json={"files": {"primary": {
                "filename": "a.csv", "content_type": "text/csv", "size_bytes": len(CSV)}}})).json()["uploads"]["primary"]
            async with httpx.AsyncClient(timeout=60) as raw:
                await raw.put(up["url"], content=CSV, headers=up["headers"])
            await call("POST process", "POST", f"/tasks/{tid}/process")
            await call("GET /tasks/{id}", "GET", f"/tasks/{tid}")


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="agensium-bench-api-") as tmp:
        var = Path(tmp)
        proc, url = start_server(var)
        try:
            tokens = login(url, var, args.clients)
            timings: dict[str, list[float]] = defaultdict(list)
            errors: list[str] = []
            t0 = time.perf_counter()

            async def run() -> None:
                await asyncio.gather(*(one_client(url, tok, args.rounds, timings, errors) for tok in tokens))

            asyncio.run(run())
            wall = time.perf_counter() - t0
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
    print(f"{args.clients} concurrent clients x {args.rounds} rounds, {wall:.1f} s wall")
    print(f"{'call':<20}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for name, vals in timings.items():
        print(f"{name:<20}{len(vals):>6}{pct(vals, 50):>10.1f}{pct(vals, 95):>10.1f}{pct(vals, 99):>10.1f}")
    if errors:
        print(f"{len(errors)} error answers, e.g. {errors[0]}")


if __name__ == "__main__":
    main()
