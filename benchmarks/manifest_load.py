"""Benchmark: load and validate one generated manifest of 100,000 entries by file ID.

Target (issue 2): under 10 s and 400 MB on the development machine. Prints wall time, peak
RSS (resource.getrusage) and whether the C parser (ruamel.yaml.clib) was used.

    .venv/bin/python benchmarks/manifest_load.py [--entries N]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from reconciler.manifest.load import load_manifests


def write_manifest(folder: Path, entries: int) -> Path:
    path = folder / "big.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write("# yaml-language-server: $schema=../schemas/manifest.schema.json\n")
        out.write("version: 1\nproject: rfranklin/rna-seq\n")
        out.write("defaults:\n  volume: rfranklin/output\n  mode: move\n")
        out.write("exports:\n")
        for i in range(entries):
            out.write(f"  - file: 5f0c{i:020x}\n    location: results/{i % 1000}/{i}.bam\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    try:
        import _ruamel_yaml  # noqa: F401

        c_parser = True
    except ImportError:
        c_parser = False
    with tempfile.TemporaryDirectory() as tmp:
        path = write_manifest(Path(tmp), args.entries)
        size = path.stat().st_size
        start = time.perf_counter()
        loaded = load_manifests([path], root=Path(tmp))
        elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(loaded.rules)} entries ({size / 1e6:.1f} MB of YAML, C parser: "
        f"{'yes' if c_parser else 'no'}): {elapsed:.2f} s, peak RSS {peak_mib:.0f} MiB"
    )
    return 0 if elapsed < 10 and peak_mib < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
