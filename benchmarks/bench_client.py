"""Uploads through `agensium.client` against boto3's managed transfer (`upload_file`), same files, same storage.

Starts `agensium serve` (embedded SeaweedFS and SQLite, no worker) on free ports in a temp dir, makes CSV
files of the given sizes, and uploads each in a fresh process: the client does create → upload-urls →
PUT or multipart (4 parts in parallel); boto3 puts the same bytes into the same bucket with its defaults
(8 MiB parts, 10 threads). Prints wall time, throughput and the process's peak RSS: the client's stays
flat whatever the size, because it never holds more than a 1 MiB chunk per part in flight.

    .venv/bin/python benchmarks/bench_client.py [--sizes 12,200] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_api import login, start_server

DATA = Path(__file__).resolve().parent / "data"

CLIENT = r"""
import json, resource, sys, time
from agensium.client import Client
url, token, path = sys.argv[1:4]
with Client(url, token) as c:
    task = c.create_task("profile-my-data", ["unified-profiler"])
    t0 = time.perf_counter()
    c.upload(task.task_id, {"primary": path})
    wall = time.perf_counter() - t0
    c.delete(task.task_id)
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

BOTO3 = r"""
import json, resource, sys, time
import boto3
from botocore.config import Config
endpoint, access, secret, bucket, path = sys.argv[1:6]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                                         request_checksum_calculation="when_required"))
t0 = time.perf_counter()
s3.upload_file(path, bucket, "bench/boto3.csv")
wall = time.perf_counter() - t0
s3.delete_object(Bucket=bucket, Key="bench/boto3.csv")
print(json.dumps({"wall": wall, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_csv(mb: int) -> Path:
    """A CSV of about `mb` MB (generated once into benchmarks/data/)."""
    path = DATA / f"client_{mb}mb.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    with path.open("w") as f:
        f.write("id,name,score,email\n")
        start = 0
        while f.tell() < mb * 1_000_000:
            f.write("".join(f"{i},name{i % 97},{(i * 37) % 1000},user{i}@example.com\n"
                            for i in range(start, start + 100_000)))
            start += 100_000
    return path


def measure(script: str, *args: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="12,200", help="File sizes in MB, comma-separated")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    files = [make_csv(int(s)) for s in args.sizes.split(",")]
    os.environ["AGENSIUM_EMBEDDED_WORKER"] = "false"  # uploads only: nothing is processed
    with tempfile.TemporaryDirectory(prefix="agensium-bench-client-") as tmp:
        var = Path(tmp)
        proc, url = start_server(var)
        try:
            from agensium.service.seaweed import load_or_create_credentials

            token = login(url, var, 1)[0]
            access, secret = load_or_create_credentials(var)
            bucket = os.environ.get("S3_BUCKET", "agensium")
            s3_url = f"http://127.0.0.1:{_s3_port(var)}"
            print(f"{'file':<22}{'MB':>7}  {'uploader':<26}{'wall s':>8}{'MB/s':>8}{'peak RSS MB':>13}")
            for path in files:
                mb = path.stat().st_size / 1e6
                for _ in range(args.repeat):
                    for name, result in (("agensium.client", measure(CLIENT, url, token, str(path))),
                                         ("boto3 upload_file", measure(BOTO3, s3_url, access, secret, bucket, str(path)))):
                        print(f"{path.name:<22}{mb:>7.0f}  {name:<26}{result['wall']:>8.2f}"
                              f"{mb / result['wall']:>8.0f}{result['rss_mb']:>13.0f}")
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _s3_port(var: Path) -> str:
    """The embedded S3 port, read from the command line of the SeaweedFS the server started."""
    for pid_file in (var / "s3").glob("weed.pid"):
        cmdline = Path(f"/proc/{pid_file.read_text().strip()}/cmdline").read_bytes().split(b"\0")
        for arg in cmdline:
            if arg.startswith(b"-s3.port="):
                return arg.split(b"=", 1)[1].decode()
    raise SystemExit("could not find the embedded S3 port")


if __name__ == "__main__":
    main()
