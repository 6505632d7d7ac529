"""Requests and wall time of one apply that moves N files (issue 5's budget).

Runs a sandbox on a loopback port (jobs end about 1 s after submission), writes a manifest
that moves every file of one folder, and runs the real apply (`reconciler.usecases.apply.apply`:
live read, plan, bulk creates, polling, receipt) with default engine settings. Prints the
requests by kind, the total against the budget 4 x ceil(N/100) + 30, and the wall time.

    .venv/bin/python benchmarks/apply_bench.py [--files 10000] [--job-pace 1.0]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.trust import platform_key
from reconciler.manifest.load import load_manifests
from reconciler.sandbox.server import start
from reconciler.usecases.apply import ApplyOptions, apply
from reconciler.usecases.plan import Connection

PROJECT = "bench/cohort"
VOLUME = "bench/fresh"
TOKEN = "sandbox-bench-token-0000000000"


def seed(files: int) -> dict[str, Any]:
    return {
        "tokens": [{"token": TOKEN, "username": "bench"}],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
        "volumes": [
            {
                "id": VOLUME,
                "location": "aws:us-east-1",
                "service": {"type": "s3", "bucket": "bench-fresh", "prefix": "moved/"},
            }
        ],
        "files": [
            {"id": f"{n:024x}", "project": PROJECT, "path": f"batch/f{n:05d}.bam", "size": 1000 + n}
            for n in range(files)
        ],
    }


def manifest(folder: Path) -> Path:
    body = {
        "version": 1,
        "project": PROJECT,
        "exports": [
            {"glob": "batch/*.bam", "location": "bam/{name}", "volume": VOLUME, "mode": "move"}
        ],
    }
    path = folder / "bench.yaml"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--job-pace", type=float, default=1.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sandbox = start(folder / "sandbox", seed=seed(args.files), job_pace=args.job_pace)
        try:
            manifests = load_manifests([str(manifest(folder))], root=folder)
            config = ApiConfig(endpoint=sandbox.url, token=TOKEN)
            with ApiClient(config) as client:
                started = time.monotonic()
                applied = apply(
                    manifests,
                    [Connection(platform_key(None), manifests, client)],
                    ApplyOptions(state_dir=folder / "state"),
                    confirm=lambda plan, outcomes: True,
                    stderr=io.StringIO(),
                )
                wall = time.monotonic() - started
                stats = client.stats.snapshot()
                total = client.stats.total
            results = Counter(str(o.result) for o in applied.outcomes)
        finally:
            sandbox.stop()

    budget = 4 * math.ceil(args.files / 100) + 30
    print(f"apply of {args.files} moves (job pace {args.job_pace:g} s), exit {applied.exit_code}")
    print(f"results: {dict(results)}")
    for kind, count in stats.items():
        print(f"  {kind:24} {count}")
    verdict = "within" if total <= budget else "OVER"
    print(f"requests: {total} ({verdict} the budget of {budget} = 4 x ceil(N/100) + 30)")
    print(f"wall time: {wall:.1f} s")
    return 0 if total <= budget and applied.exit_code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
