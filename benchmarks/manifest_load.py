"""Benchmark: load and validate generated manifests that list every file by ID.

Each size is loaded in a fresh process, so that its peak RSS (resource.getrusage, interpreter
and imports included) is its own; the manifest is written before the clock starts, and the
CPU seconds tell a busy machine from a slow load. Targets (issue 20): 1,000,000 entries with
realistic locations in at most ~800 MiB and ~30 s on the 2-CPU development machine.
`--headers-only` measures the light load that `apply --plan` uses (digest and headers).

    .venv/bin/python benchmarks/manifest_load.py [--entries 100000,500000,1000000]
        [--locations realistic|short] [--headers-only]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEAD = (
    "# yaml-language-server: $schema=../schemas/manifest.schema.json\n"
    "version: 1\nproject: rfranklin/rna-seq\n"
    "defaults:\n  volume: rfranklin/output\n  mode: move\n"
    "exports:\n"
)


def location(i: int, kind: str) -> str:
    """`realistic`: a results tree of batches of 1,000 samples (about 45 characters);
    `short`: the layout of the first version of this benchmark."""
    if kind == "short":
        return f"results/{i % 1000}/{i}.bam"
    return f"results/batch{i // 1000:04d}/sample{i:07d}/s{i:07d}.bam"


def write_manifest(folder: Path, entries: int, *, locations: str = "realistic") -> Path:
    path = folder / "big.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for i in range(entries):
            out.write(f"  - file: 5f0c{i:020x}\n    location: {location(i, locations)}\n")
    return path


def _one(entries: int, locations: str, headers_only: bool) -> dict[str, object]:
    from reconciler.manifest.load import load_manifests

    with tempfile.TemporaryDirectory() as tmp:
        path = write_manifest(Path(tmp), entries, locations=locations)
        size = path.stat().st_size
        start, cpu = time.perf_counter(), time.process_time()
        if headers_only:
            loaded = load_manifests([path], root=Path(tmp), rules=False)
        else:
            loaded = load_manifests([path], root=Path(tmp))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        rules = len(loaded.rules)
    return {
        "entries": entries,
        "rules": rules,
        "megabytes": round(size / 1e6, 1),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--entries", default="100000", help="sizes, comma-separated")
    parser.add_argument("--locations", choices=("realistic", "short"), default="realistic")
    parser.add_argument(
        "--headers-only", action="store_true", help="the light load: digest and headers"
    )
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = [int(n) for n in args.entries.split(",")]
    if args.one:
        print(json.dumps(_one(sizes[0], args.locations, args.headers_only)))
        return 0
    try:
        import _ruamel_yaml  # noqa: F401

        c_parser = "yes"
    except ImportError:
        c_parser = "no"
    mode = "headers only" if args.headers_only else "full load"
    print(f"{mode}, {args.locations} locations, C parser: {c_parser}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| entries | MB of YAML | seconds | CPU seconds | peak MiB |")
    print("|---:|---:|---:|---:|---:|")
    for size in sizes:
        argv = [sys.executable, __file__, "--one", "--entries", str(size)]
        argv += ["--locations", args.locations] + (["--headers-only"] if args.headers_only else [])
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr.strip().splitlines()[-1], file=sys.stderr)
            return 1
        row = json.loads(done.stdout)
        print(
            f"| {size:,} | {row['megabytes']} | {row['seconds']} | {row['cpu_seconds']} "
            f"| {row['peak_mib']} |"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
