"""Issue 7's benchmark: plan and apply of N files next to the two baselines a user writes today.

For each size N: a generated scenario (`scenario.py`) is seeded once, then each subject runs
against a fresh copy in its own sandbox process, with a full rate budget: the reconciler's
plan, its apply, baseline (b) bulk, and baseline (a) per file (only at `--per-file-at`; other
sizes are extrapolated). Requests are counted from the sandbox's request log. Writes the raw
figures (`benchmarks/scale/results.json`), the report (`benchmarks/RESULTS.md`) and the plot
(`benchmarks/results.png`).

    .venv/bin/python benchmarks/scale/run.py --sizes 1000,10000,100000
    .venv/bin/python benchmarks/scale/run.py --report-only   # redraw from results.json
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import harness
import report
import scenario

ROOT = Path(__file__).resolve().parents[2]
RESULTS_JSON = ROOT / "benchmarks" / "scale" / "results.json"
RESULTS_MD = ROOT / "benchmarks" / "RESULTS.md"
PLOT = ROOT / "benchmarks" / "results.png"
REAL_WINDOW = 300.0
SUBJECT_TIMEOUT = 4 * 3600.0


def _sizes(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", "reconciler"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    commit = done.stdout.strip() or "unknown"
    return f"{commit} (with uncommitted changes in reconciler/)" if dirty else commit


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_size(
    n: int,
    *,
    work: Path,
    settings: harness.Settings,
    subjects: list[str],
) -> dict[str, Any]:
    generated = scenario.generate(n)
    folder = work / f"scenario-{n}"
    scenario.write(generated, folder)
    template = work / f"template-{n}"
    seeded = harness.seed_template(folder / "seed.json", template)
    _log(f"N={n:,}: seeded in {seeded:.1f}s ({generated.describe()})")
    out: dict[str, Any] = {
        "n": n,
        "settings": settings.as_dict(),
        "scenario": generated.describe(),
        "exports": generated.exports,
        "in_sync": generated.count("in-sync"),
        "runs": {},
    }
    for kind in subjects:
        token = scenario.TOKENS[0] if kind == "plan" else scenario.TOKENS[1]
        _log(f"N={n:,}: {kind} ...")
        result = harness.run(
            kind,
            template=template,
            scenario=folder,
            work=work / f"run-{n}-{kind}-{int(settings.rate_window)}",
            settings=settings,
            token=token,
            timeout=SUBJECT_TIMEOUT,
        )
        requests = result["requests"]
        _log(
            f"N={n:,}: {kind}: {requests['total']} requests, {requests['rate_limited']} x 429, "
            f"{result['wall']:.1f}s wall, {result['cpu']:.1f}s CPU, "
            f"{result['peak_rss_mib']:.0f} MiB, aliases after: {result['aliases_after']}"
        )
        out["runs"][kind] = result
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes, default=[1000, 10_000, 100_000])
    parser.add_argument("--latency", type=float, default=0.08, help="seconds per request")
    parser.add_argument("--job-pace", type=float, default=5.0, help="seconds a job takes")
    parser.add_argument("--rate-limit", type=int, default=1000, help="requests per window")
    parser.add_argument(
        "--rate-window", type=float, default=30.0, help="seconds (the platform's: 300)"
    )
    parser.add_argument(
        "--per-file-at", type=_sizes, default=[1000], help="sizes that run baseline (a)"
    )
    parser.add_argument(
        "--real-window-at",
        type=_sizes,
        default=[],
        help="sizes that also run apply and baseline (b) with the real 300 s window",
    )
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--report-only", action="store_true", help="redraw from results.json")
    args = parser.parse_args(argv)
    if args.report_only:
        data = json.loads(RESULTS_JSON.read_text(encoding="utf-8"))
        data["rendered_by"] = ".venv/bin/python benchmarks/scale/run.py --report-only"
    else:
        command = ".venv/bin/python benchmarks/scale/run.py " + shlex.join(
            argv if argv is not None else sys.argv[1:]
        )
        settings = harness.Settings(args.latency, args.job_pace, args.rate_limit, args.rate_window)
        started = time.monotonic()
        data = {
            "command": command.strip(),
            "commit": _git_commit(),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "machine": f"{platform.machine()}, {_cpus()} CPUs, Python {platform.python_version()}",
            "settings": settings.as_dict(),
            "sizes": [],
            "real_window": [],
        }
        with tempfile.TemporaryDirectory(prefix="scale-") as scratch:
            work = args.work or Path(scratch)
            for n in args.sizes:
                subjects = ["plan", "apply", "bulk"]
                if n in args.per_file_at:
                    subjects.append("per-file")
                data["sizes"].append(run_size(n, work=work, settings=settings, subjects=subjects))
                RESULTS_JSON.write_text(json.dumps(data, indent=1), encoding="utf-8")
            real = harness.Settings(args.latency, args.job_pace, args.rate_limit, REAL_WINDOW)
            for n in args.real_window_at:
                data["real_window"].append(
                    run_size(n, work=work, settings=real, subjects=["apply", "bulk"])
                )
                RESULTS_JSON.write_text(json.dumps(data, indent=1), encoding="utf-8")
        data["total_minutes"] = round((time.monotonic() - started) / 60, 1)
        RESULTS_JSON.write_text(json.dumps(data, indent=1), encoding="utf-8")
    RESULTS_MD.write_text(report.markdown(data, plot_name=PLOT.name), encoding="utf-8")
    report.plot(data, PLOT)
    _log(f"wrote {RESULTS_MD.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")
    return 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


if __name__ == "__main__":
    raise SystemExit(main())
