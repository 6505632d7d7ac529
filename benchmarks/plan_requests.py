"""Requests spent by the live read of a plan: N files declared by ID against a fresh volume.

Issue 4's budget: at most ceil(N/100) + 10 requests in all. Runs a sandbox on a loopback port
with a generated seed (N files in nested folders), calls `reconciler.live.read.read` and prints
the requests by kind, with and without a `{path}` placeholder (which walks parent folders).

    .venv/bin/python benchmarks/plan_requests.py [--files 10000] [--latency 0]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.live.read import read
from reconciler.manifest.models import ExportRule, Mode, Position, export_properties
from reconciler.sandbox.server import start

PROJECT = "bench/cohort"
VOLUME = "bench/fresh"
TOKEN = "sandbox-bench-token-0000000000"


def seed(files: int) -> dict[str, Any]:
    return {
        "tokens": [{"token": TOKEN, "username": "bench"}],
        "projects": [{"id": PROJECT, "name": "cohort", "location": "aws:us-east-1"}],
        "volumes": [
            {
                "id": VOLUME,
                "access_mode": "RW",
                "active": True,
                "location": "aws:us-east-1",
                "service": {"type": "s3", "bucket": "bench-fresh", "prefix": ""},
            }
        ],
        "files": [
            {
                "id": file_id(n),
                "project": PROJECT,
                "path": f"batch{n // 1000}/sample{n // 10}/f{n}.bam",
                "size": 1000 + n,
            }
            for n in range(files)
        ],
    }


def file_id(n: int) -> str:
    return f"{n:024x}"


def rules(files: int, location: str) -> list[ExportRule]:
    at = Position("bench.yaml", 1, 1)
    return [
        ExportRule(
            manifest="bench.yaml",
            index=n,
            project=PROJECT,
            platform=None,
            kind="file",
            selector=file_id(n),
            exclude=(),
            where_metadata=(),
            where_tags=(),
            allow_empty=False,
            location=location,
            volume=VOLUME,
            mode=Mode.MOVE,
            overwrite=False,
            properties=export_properties(),
            declared_at=at,
            location_at=at,
        )
        for n in range(files)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.0, help="sandbox latency, seconds")
    args = parser.parse_args(argv)
    budget = math.ceil(args.files / 100) + 10
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        sandbox = start(Path(folder), seed=seed(args.files), latency=args.latency)
        try:
            for location in ("exports/{name}", "exports/{path}"):
                client = ApiClient(ApiConfig(endpoint=sandbox.url, token=TOKEN))
                started, cpu = time.monotonic(), time.process_time()
                state = read(client, rules(args.files, location)).live
                wall, cpu = time.monotonic() - started, time.process_time() - cpu
                total = client.stats.total
                found = sum(1 for f in state.files_by_id.values() if f is not None)
                print(
                    f"N={args.files} location={location}: {total} requests "
                    f"(budget {budget}), {found} files, {len(state.objects)} destinations "
                    f"checked, {wall:.2f}s wall, {cpu:.2f}s CPU"
                )
                for kind, count in client.stats.snapshot().items():
                    print(f"  {kind:<22} {count}")
                if location == "exports/{name}" and total > budget:
                    failed = True
                client.close()
        finally:
            sandbox.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
