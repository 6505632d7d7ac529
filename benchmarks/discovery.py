"""Requests of a plan's reading by list and by search discovery, and the estimate the plan says
before its first listing, for the issue's world: N files, one per sample folder, in
`tops` x `subs` folders under `results/`, declared by `glob: results/**/*.bam` (the world and
manifest of `tests/test_live_estimate.py`, at the issue's size).

Runs the sandbox on a loopback port (its rate limit raised so that the run takes seconds, not
the 50 minutes the real limit would make 10,100 listings take; the time the estimate gives at
the real limit is printed beside it), then `live.read.read` twice with a watch that writes to
a buffer, and prints the requests by kind, the estimate and the time each reading took.

    .venv/bin/python benchmarks/discovery.py [--tops 100] [--subs 100] [--latency 0]
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import tempfile
import time
from pathlib import Path

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.live.progress import ReadWatch
from reconciler.live.read import read
from reconciler.manifest.load import load_manifests
from reconciler.sandbox.server import start

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' world, below
from tests.reliability.secret import SECRET_TOKEN
from tests.test_live_estimate import ESTIMATE, MANIFEST, PROJECT, world


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tops", type=int, default=100)
    parser.add_argument("--subs", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.0, help="sandbox latency, seconds")
    args = parser.parse_args(argv)
    files, folders = args.tops * args.subs, args.tops + args.tops * args.subs
    print(f"world: {files:,} files in {args.tops} x {args.subs} folders ({folders:,} folders)")
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        manifest = Path(folder) / "bench.yaml"
        manifest.write_text(MANIFEST, encoding="utf-8")
        rules = load_manifests([manifest], root=Path(folder)).rules
        sandbox = start(
            Path(folder) / "sandbox",
            seed=world(args.tops, args.subs),
            latency=args.latency,
            rate_limit=10_000_000,
        )
        try:
            for discovery in ("list", "search"):
                out = io.StringIO()
                with ApiClient(ApiConfig(endpoint=sandbox.url, token=SECRET_TOKEN)) as client:
                    started = time.monotonic()
                    reading = read(
                        client, rules, discovery=discovery, watch=ReadWatch(out, every=3600)
                    )
                    wall = time.monotonic() - started
                    stats = client.stats.snapshot()
                found = sum(
                    1 for f in reading.live.projects[PROJECT].by_path.values() if not f.is_folder
                )
                match = ESTIMATE.search(out.getvalue())
                estimate = int(match[2].replace(",", "")) if match else -1
                # What the reading made after it said its estimate: all but the project,
                # volume, job and count reads and the rate-limit read before it.
                before = 4 + stats.get("get_rate_limit", 0) + (2 if estimate >= 0 else 0)
                after = client.stats.total - before
                off = abs(estimate - after) / after if after else 0.0
                print(
                    f"\n{discovery}: {client.stats.total:,} requests, {found:,} files found, "
                    f"{wall:.1f}s wall; estimate {estimate:,} against {after:,} made after it "
                    f"({off:.1%} off)"
                )
                for kind, count in stats.items():
                    print(f"  {kind:<22} {count:,}")
                for line in out.getvalue().splitlines()[:3]:
                    print(f"  said: {line}")
                minutes = math.ceil(max(0, estimate - 1000) / 1000) * 5
                print(f"  at 1,000 requests per 5 min: about {minutes} min of waiting")
                failed = failed or found != files or off > 0.2
        finally:
            sandbox.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
