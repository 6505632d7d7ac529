"""The long soak: `python benchmarks/soak.py --cycles 200` from the repository root.

Plan/apply cycles against a sandbox on a free loopback port, with random (seeded) faults and
manifests that change between cycles, checked after every cycle from the sandbox's own state;
the engine and its checks are those of the short soak in CI (tests/reliability/soak_engine.py).
Prints the figures (cycles, faults switched on and seen firing, jobs, results, violations) and
exits 1 when any check failed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reconciler.sandbox.server import start  # noqa: E402
from tests.reliability.soak_engine import Soak, soak_seed  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--files", type=int, default=600, help="files in the sandbox's project")
    parser.add_argument("--kill-rate", type=float, default=0.25)
    parser.add_argument("--quiet", action="store_true", help="no line per cycle")
    args = parser.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        work = Path(folder)
        sandbox = start(work / "sandbox", seed=soak_seed(args.files), port=0)
        try:
            soak = Soak(
                sandbox,
                work / "run",
                seed=args.seed,
                files=args.files,
                kill_rate=args.kill_rate,
                log=None if args.quiet else lambda line: print(line, flush=True),
            )
            figures = soak.run(args.cycles)
        finally:
            sandbox.stop()
    print(f"soak started {started}, seed {args.seed}, {args.files} files")
    for line in figures.lines():
        print(line)
    return 1 if figures.violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
