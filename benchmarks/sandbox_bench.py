"""Sandbox benchmark: 100,000 seeded files, then the latency of the calls the reconciler makes.

Runs the sandbox as its own process (`python -m reconciler sandbox`), so its peak RSS (VmHWM)
is the server's alone. Reports median and p95 over repeated calls on one kept-alive session:

    bulk get of 100 files, one full page (100) of file listing (first and last page),
    a 100-item bulk export create, and the sandbox's peak memory.

    .venv/bin/python benchmarks/sandbox_bench.py [--files 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

PROJECT = "bench/genomes"
VOLUME = "bench/out"
FOLDERS = 10


def file_id(n: int) -> str:
    return f"{n:024x}"


def write_seed(path: Path, count: int) -> None:
    per_folder = count // FOLDERS
    seed = {
        "tokens": [{"token": "bench-token", "username": "bench"}],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
        "volumes": [
            {
                "id": VOLUME,
                "location": "aws:us-east-1",
                "service": {"type": "s3", "bucket": "bench-bucket", "prefix": "runs/"},
            }
        ],
        "files": [
            {
                "id": file_id(n),
                "project": PROJECT,
                "path": f"batch{n // per_folder:02d}/sample{n:06d}.bam",
                "size": 1_000_000 + n,
                "metadata": {"sample_type": "tumor" if n % 2 else "normal"},
                "tags": ["final"] if n % 3 == 0 else [],
            }
            for n in range(count)
        ],
    }
    path.write_text(json.dumps(seed))


def measure(call: Callable[[], requests.Response], repeat: int) -> tuple[float, float]:
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = call()
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    timings.sort()
    return statistics.median(timings), timings[max(0, int(len(timings) * 0.95) - 1)]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        seed = Path(tmp) / "seed.json"
        write_seed(seed, args.files)
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "sandbox", "--port", "0", "--data",
             str(Path(tmp) / "data"), "--seed", str(seed), "--job-pace", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            url = server.stdout.readline().strip().split("=", 1)[1]
            server.stdout.readline()
            seeded = time.perf_counter() - started
            http = requests.Session()
            http.headers["X-SBG-Auth-Token"] = "bench-token"
            # Control calls carry the sandbox's token (the seed's first) like every caller.
            control = f"{url.removesuffix('/v2')}/_sandbox/config"
            http.post(control, json={"rate_limit": 10**9}).raise_for_status()
            folder = http.get(f"{url}/files", params={"project": PROJECT, "limit": 1}).json()
            folder_id = folder["items"][0]["id"]
            per_folder = args.files // FOLDERS

            def bulk_get() -> requests.Response:
                ids = [file_id(rng.randrange(args.files)) for _ in range(100)]
                return http.post(f"{url}/bulk/files/get", json={"file_ids": ids})

            def page(offset: int) -> Callable[[], requests.Response]:
                params = {"parent": folder_id, "limit": 100, "offset": offset, "fields": "_all"}
                return lambda: http.get(f"{url}/files", params=params)

            created = iter(range(10**9))

            def bulk_create() -> requests.Response:
                batch = next(created)
                items = [
                    {
                        "source": {"file": file_id(batch * 100 + n)},
                        "destination": {"volume": VOLUME, "location": f"b{batch}/{n}.bam"},
                        "overwrite": False,
                        "properties": {"sse_algorithm": "AES256", "sse_aws_kms_key_id": None,
                                       "aws_canned_acl": None},
                    }
                    for n in range(100)
                ]  # fmt: skip
                response = http.post(
                    f"{url}/bulk/storage/exports/create?copy_only=true", json={"items": items}
                )
                assert all("resource" in item for item in response.json()["items"])
                return response

            rows = [
                ("bulk get, 100 files", measure(bulk_get, args.repeat)),
                ("file list, first page of 100", measure(page(0), args.repeat)),
                ("file list, last page of 100", measure(page(per_folder - 100), args.repeat)),
                ("bulk export create, 100 items", measure(bulk_create, args.repeat)),
            ]
            time.sleep(2.5)  # let the jobs finish, so the runner's work counts in the peak
            rss = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"sandbox benchmark: {args.files:,} files in {FOLDERS} folders, {args.repeat} runs each")
    print(f"  seeding and start-up            {seeded:8.2f} s")
    for name, (median, p95) in rows:
        print(f"  {name:<32}{median:8.2f} ms median  {p95:8.2f} ms p95")
    print(f"  sandbox peak RSS (VmHWM)        {rss:8.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
