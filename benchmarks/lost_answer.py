"""One lost create answer must not stall an apply (issue 13, point 2).

Runs the real apply (`reconciler.usecases.apply.apply`, default engine settings: 60 s read timeout)
of N moves against a sandbox on a loopback port twice: once without faults, once with the
answer of the first bulk create lost after the platform committed its jobs (`lose_responses`).
Before issue 13 the second run slept the whole read timeout before re-reading (150 files: 61 s
instead of 3 s); now it re-reads at once and adopts the jobs. Prints both wall times and their
ratio; exits 1 when the faulty run takes twice as long or more.

    .venv/bin/python benchmarks/lost_answer.py [--files 150] [--job-pace 1] [--repeat 3] [--lost 1]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

# The same seed and manifest as the apply benchmark (this script's folder is on the path).
from apply_bench import TOKEN, manifest, seed

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.trust import platform_key
from reconciler.manifest.load import load_manifests
from reconciler.sandbox.server import start
from reconciler.usecases.apply import ApplyOptions, apply
from reconciler.usecases.plan import Connection


def one_run(folder: Path, files: int, job_pace: float, lose: int) -> tuple[float, Counter[str]]:
    sandbox = start(folder / "sandbox", seed=seed(files), job_pace=job_pace, lose_responses=lose)
    try:
        manifests = load_manifests([str(manifest(folder))], root=folder)
        with ApiClient(ApiConfig(endpoint=sandbox.url, token=TOKEN)) as client:
            started = time.monotonic()
            applied = apply(
                manifests,
                [Connection(platform_key(None), manifests, client)],
                ApplyOptions(state_dir=folder / "state"),
                confirm=lambda plan, outcomes: True,
                stderr=io.StringIO(),
            )
            wall = time.monotonic() - started
        lost = sum(1 for entry in sandbox.request_log() if entry.get("lost"))
        if lost != lose:
            raise SystemExit(f"expected {lose} lost answers, the sandbox lost {lost}")
        return wall, Counter(str(o.result) for o in applied.outcomes)
    finally:
        sandbox.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=150)
    parser.add_argument("--job-pace", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--lost", type=int, default=1, help="create answers lost (default 1)")
    args = parser.parse_args()

    times: dict[int, list[float]] = {0: [], args.lost: []}
    for _ in range(args.repeat):
        for lose in (0, args.lost):
            with tempfile.TemporaryDirectory() as tmp:
                wall, results = one_run(Path(tmp), args.files, args.job_pace, lose)
            if results != Counter({"completed": args.files}):
                print(f"lost answers {lose}: not converged: {dict(results)}")
                return 1
            times[lose].append(wall)
    clean, faulty = statistics.median(times[0]), statistics.median(times[args.lost])
    print(f"apply of {args.files} moves (job pace {args.job_pace:g} s), median of {args.repeat}:")
    print(f"  without faults:       {clean:.2f} s  {[round(t, 2) for t in times[0]]}")
    print(
        f"  {args.lost} lost answer(s):   {faulty:.2f} s  {[round(t, 2) for t in times[args.lost]]}"
    )
    print(f"  ratio: {faulty / clean:.2f} (must be under 2)")
    return 0 if faulty < 2 * clean else 1


if __name__ == "__main__":
    sys.exit(main())
