"""Issue 20's benchmark: the real `reconciler` commands, one process each, through a whole
cycle on a world of N files moved by one glob (or by ID), against a sandbox process.

For each size N (`glob_world.py` builds the world; the sandbox's data folder is seeded once
per size through its own seeding functions and copied for every run), each manifest kind
(`glob`, `by-id`) and each discovery mode (`list`, `search`), in a fresh copy of the data:

    reconciler validate                                      (by ID only: the big manifests)
    reconciler plan --out plan.json --format markdown [--discovery D]   > note.md
    reconciler apply --plan plan.json --yes                  > apply-report.txt
    reconciler plan --detailed-exitcode [--discovery D]      > replan.txt (exit 0: no changes)

Each phase records its requests by kind (the sandbox's request log, moved aside after every
phase), wall time, CPU and peak RSS of the command's process (`measure.py`), and stderr with
arrival times. Beside them: the seeding time, plan.json, receipt.json and journal.jsonl in
bytes per item, the time from apply's start to its first bulk create, the Markdown note's
length in characters, the plan's read estimate (`read_estimate.py`), the longest silence on
the plan's stderr, and the projected time at the platform's limit (`cycle_report.py`).

The sandbox's rate limit is lifted (10^9 requests per 300 s): the runs measure requests and
the non-waiting time, and the waits of the real limit are projected. `--discovery search`
passes `--discovery search` to the commands that accept it; a CLI without the flag is
recorded as unsupported (the default, `list`, passes the flag only where it exists).

    cd /work/wt/bench20 && . .venv/bin/activate
    python benchmarks/scale/cycle.py --sizes 10000 --manifests glob
    python benchmarks/scale/cycle.py --sizes 100000,250000,1000000 --manifests glob,by-id
    python benchmarks/scale/cycle.py --sizes 1000000 --manifests by-id-split
    python benchmarks/scale/cycle.py --sizes 1000000 --manifests glob --discovery search
    python benchmarks/scale/cycle_report.py            # the Markdown tables from cycle.json

Results accumulate in `benchmarks/scale/cycle.json` (`--results`), one entry per (N, manifest,
discovery), the latest run replacing an earlier one; it is written after every phase, so a
run stopped halfway keeps what it measured. Scratch goes to `--work` (default: a temporary
folder; a given folder keeps the seeded templates for the next run, `--keep` the run folders).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import glob_world
import harness
import ledger
import measure
import read_estimate
import run
import scenario

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "cycle.json"
LIFTED = {"rate_limit": 10**9, "rate_window": 300.0}
LISTING_KINDS = ("file list", "file search")
CREATE_KIND = "bulk export create"


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _reconciler(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


def _env(url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SB_", "RECONCILER_"))}
    env["PYTHONPATH"] = str(harness.ROOT)
    if url is not None:
        env |= {"SB_API_ENDPOINT": url, "SB_AUTH_TOKEN": scenario.TOKENS[0]}
    return env


def accepts_discovery(command: str) -> bool:
    done = subprocess.run(
        _reconciler(command, "--help"), capture_output=True, text=True, env=_env(), check=True
    )
    return "--discovery" in done.stdout


def template(shape: glob_world.Shape, work: Path, kinds: tuple[str, ...]) -> tuple[Path, dict]:
    """The world's folder, with its seeded data folder (made once per shape under `work`) and
    the manifests of `kinds`."""
    world = work / f"world-{shape.n}-{shape.files_per_sample}x{shape.samples_per_batch}"
    stamp = world / "seeded.json"
    if not stamp.exists():
        shutil.rmtree(world, ignore_errors=True)
        started = time.monotonic()
        glob_world.write(shape, world, ())
        written = time.monotonic() - started
        seeded = harness.seed_template(world / "seed.json", world / "template")
        info = {"generate_seconds": round(written, 1), "seed_seconds": seeded}
        stamp.write_text(json.dumps(info), encoding="utf-8")
    for kind in kinds:
        if not (world / f"manifests-{kind}").is_dir():
            glob_world.write_manifests(shape, world, kind)
    return world, json.loads(stamp.read_text(encoding="utf-8"))


class Sandbox:
    """`serve.py` in its own process on a copy of the template; its peak RSS at the end."""

    def __init__(self, template_dir: Path, data: Path, settings: dict[str, Any]) -> None:
        subprocess.run(["cp", "-a", "--sparse=always", str(template_dir), str(data)], check=True)
        self.data = data
        self.process = subprocess.Popen(
            [
                *(sys.executable, str(harness.SERVE), "--data", str(data)),
                *("--settings", json.dumps(settings)),
            ],
            env=_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(data.parent / "sandbox.log").open("w"),
            text=True,
        )
        assert self.process.stdout is not None
        self.url = str(json.loads(self.process.stdout.readline())["url"])

    def take_log(self, folder: Path) -> ledger.Tally:
        """The requests since the last call (the log is moved to `folder`; the sandbox opens
        a new one at its next request)."""
        folder.mkdir(parents=True, exist_ok=True)
        log = self.data / ledger.LOG_NAME
        if log.exists():
            log.replace(folder / ledger.LOG_NAME)
        return ledger.tally(folder)

    def cpu(self) -> float:
        """User + system seconds the sandbox has used so far (its job runner included)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> float:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            _, status, usage = os.wait4(self.process.pid, 0)
        except ChildProcessError:
            return 0.0
        self.process.returncode = os.waitstatus_to_exitcode(status)
        return round(usage.ru_maxrss / 1024, 1)


def phases(manifest: str, discovery: str, flags: dict[str, bool]) -> list[tuple[str, list[str]]]:
    def with_discovery(command: str, *args: str) -> list[str]:
        extra = ["--discovery", discovery] if flags[command] else []
        return [command, *args, *extra]

    steps = [("validate", ["validate"])] if manifest.startswith("by-id") else []
    return [
        *steps,
        ("plan", with_discovery("plan", "--out", "plan.json", "--format", "markdown")),
        ("apply", with_discovery("apply", "--plan", "plan.json", "--yes")),
        ("replan", with_discovery("plan", "--detailed-exitcode")),
    ]


def run_cycle(
    shape: glob_world.Shape,
    manifest: str,
    discovery: str,
    *,
    world: Path,
    folder: Path,
    settings: dict[str, Any],
    timeout: float,
    save: Any,
) -> dict[str, Any]:
    flags = {command: accepts_discovery(command) for command in ("plan", "apply")}
    out: dict[str, Any] = {"n": shape.n, "manifest": manifest, "discovery": discovery}
    if discovery != "list" and not flags["plan"]:
        out["unsupported"] = "reconciler plan has no --discovery option"
        return out
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "manifests").mkdir(parents=True)
    for source in sorted((world / f"manifests-{manifest}").iterdir()):
        shutil.copy(source, folder / "manifests")
    sandbox = Sandbox(world / "template", folder / "sandbox", settings)
    out["phases"] = {}
    try:
        for name, args in phases(manifest, discovery, flags):
            _log(f"N={shape.n:,} {manifest} {discovery}: {name} ...")
            stdout = folder / {"plan": "note.md", "apply": "apply-report.txt"}.get(
                name, f"{name}.txt"
            )
            sandbox_cpu = sandbox.cpu()
            done = measure.run(
                _reconciler(*args),
                cwd=folder,
                env=_env(sandbox.url),
                stdout=stdout,
                stderr_log=folder / f"{name}.stderr",
                timeout=timeout,
            )
            tally = sandbox.take_log(folder / f"log-{name}")
            result = {"command": "reconciler " + " ".join(args), **done.as_dict()}
            result["requests"] = tally.as_dict()
            result["sandbox_cpu"] = round(sandbox.cpu() - sandbox_cpu, 2)
            # Wall times mean little on a busy machine: say how busy it was.
            result["load_average"] = round(os.getloadavg()[0], 2)
            result |= _extras(name, done, tally, folder, stdout)
            out["phases"][name] = result
            save(out)
            _log(
                f"N={shape.n:,} {manifest} {discovery}: {name}: exit {done.exit_code}, "
                f"{tally.total:,} requests, {done.wall:.1f} s, {done.peak_rss_mib:.0f} MiB"
            )
            if done.exit_code not in (0, 2):
                break
    finally:
        out["sandbox_peak_rss_mib"] = sandbox.stop()
    state = folder / ".reconciler"
    sizes = {
        "plan_json": folder / "plan.json",
        "receipt_json": state / "receipt.json",
        "journal_jsonl": state / "journal.jsonl",
    }
    out["bytes"] = {k: p.stat().st_size if p.exists() else None for k, p in sizes.items()}
    return out


def _extras(
    name: str, done: measure.Measured, tally: ledger.Tally, folder: Path, stdout: Path
) -> dict[str, Any]:
    text = stdout.read_text(encoding="utf-8", errors="replace")
    summary = next((line.strip("* ") for line in text.splitlines() if "Plan:" in line), None)
    first_line = text.splitlines()[0] if text else None
    extras: dict[str, Any] = {"summary": summary or first_line}
    if done.exit_code not in (0, 2):
        extras["error"] = " / ".join(line for _, line in done.stderr[-2:]) or None
    if name == "plan":
        extras["note_chars"] = len(text)
        estimate = read_estimate.find(done.stderr)
        first_listing = min(
            (tally.first_by_kind[k] for k in LISTING_KINDS if k in tally.first_by_kind),
            default=None,
        )
        extras["read_estimate"] = (
            None
            if estimate is None
            else {
                "requests": estimate.requests,
                "line": estimate.line,
                "after_start": round(estimate.at - done.started, 2),
                "before_first_listing": first_listing is None or estimate.at <= first_listing,
                # Both as this runner saw them: the line when it read the pipe (late on a
                # loaded machine), the listing when the sandbox logged it.
                "first_listing_after": None
                if first_listing is None
                else round(first_listing - done.started, 2),
            }
        )
    if name == "apply" and CREATE_KIND in tally.first_by_kind:
        extras["first_create_after"] = round(tally.first_by_kind[CREATE_KIND] - done.started, 2)
    return extras


def _save_into(path: Path, meta: dict[str, Any]) -> Any:
    def save(run: dict[str, Any]) -> None:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"runs": []}
        key = (run["n"], run["manifest"], run["discovery"])
        data["runs"] = [
            r for r in data["runs"] if (r["n"], r["manifest"], r["discovery"]) != key
        ] + [{**meta, **run}]
        data["runs"].sort(key=lambda r: (r["n"], r["manifest"], r["discovery"]))
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    return save


def _list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_list, default=["10000"])
    parser.add_argument(
        "--manifests", type=_list, default=["glob"], help="glob, by-id, by-id-split"
    )
    parser.add_argument("--discovery", type=_list, default=["list"], help="list, search")
    parser.add_argument("--files-per-sample", type=int, help="default: 1 up to 10,000, else 4")
    parser.add_argument("--samples-per-batch", type=int, help="default: 100 / 1,000")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--job-pace", type=float, default=1.0, help="seconds a job takes")
    parser.add_argument("--phase-timeout", type=float, default=4 * 3600.0, help="seconds")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep each run's folder")
    args = parser.parse_args(argv)
    settings = {"latency": args.latency, "job_pace": args.job_pace, **LIFTED}
    meta = {
        "commit": run._git_commit(),
        "reconciler_commit": _last_commit("reconciler"),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "settings": settings,
    }
    with tempfile.TemporaryDirectory(prefix="cycle-") as scratch:
        work = args.work or Path(scratch)
        for size in args.sizes:
            n = int(size.replace("_", ""))
            default = glob_world.Shape.default(n)
            shape = glob_world.Shape(
                n,
                args.files_per_sample or default.files_per_sample,
                args.samples_per_batch or default.samples_per_batch,
            )
            world, seeded = template(shape, work, tuple(args.manifests))
            _log(f"N={n:,}: {shape.describe()}, seeded in {seeded['seed_seconds']:.0f} s")
            for manifest in args.manifests:
                for discovery in args.discovery:
                    folder = work / f"run-{n}-{manifest}-{discovery}"
                    base = {**meta, "shape": shape.describe(), "world": seeded}
                    result = run_cycle(
                        shape,
                        manifest,
                        discovery,
                        world=world,
                        folder=folder,
                        settings=settings,
                        timeout=args.phase_timeout,
                        save=_save_into(args.results, base),
                    )
                    _save_into(args.results, base)(result)
                    if not args.keep:
                        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _last_commit(folder: str) -> str:
    """The last commit that changed `folder`: what the measured code is, whatever the branch."""
    done = subprocess.run(
        ["git", "log", "-1", "--format=%h", "--", folder],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
