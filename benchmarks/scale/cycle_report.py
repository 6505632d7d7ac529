"""The Markdown tables of issue 20's benchmark, from `cycle.json` (see `cycle.py`), with every
target of the issue checked against the figures.

Definitions:
- projected time at the platform's limit (1,000 requests per 300 s, a full budget when each
  phase starts): (ceil(R/1000) - 1) x 300 s (`report.rate_time`) plus the measured wall time,
  which is the non-waiting part: the sandbox's limit was lifted, so nothing waited. The
  sandbox adds no latency unless the run says so, so real round trips come on top.
- bytes per item: the file's size divided by N (every file is one item of the plan).
- KiB per file: the process's peak RSS divided by N (the interpreter and its imports, about
  70 MiB, included).

    python benchmarks/scale/cycle_report.py [--results benchmarks/scale/cycle.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import report

HERE = Path(__file__).resolve().parent
REAL_LIMIT = {"rate_limit": 1000, "rate_window": 300.0}
GIB = 1024.0  # MiB
BYTES_PER_ITEM = 1_500  # 1.5 KB
FIRST_CREATE = 30.0
NOTE_CHARS = 60_000
ESTIMATE_SLACK = 0.2
PROGRESS_EVERY = 10.0
PHASES = ("validate", "plan", "apply", "replan")
_KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "listings": ("file list", "file search"),
    "bulk file gets": ("bulk file get",),
    "creates": ("bulk export create",),
    "polls": ("bulk export get",),
}


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def blocks(n: int) -> int:
    return math.ceil(n / 100)


def projected(phase: dict[str, Any]) -> float:
    return report.rate_time(phase["requests"]["total"], REAL_LIMIT) + phase["wall"]


def _row(cells: Iterable[object]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _table(head: list[str], rows: list[list[object]]) -> list[str]:
    align = ["---" if i < 4 else "---:" for i in range(len(head))]
    return [_row(head), _row(align), *(_row(r) for r in rows)]


def phase_rows(runs: list[dict[str, Any]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in runs:
        n = run["n"]
        for name in PHASES:
            phase = run.get("phases", {}).get(name)
            if phase is None:
                continue
            kinds = phase["requests"]["by_kind"]
            total = phase["requests"]["total"]
            counted = {col: sum(kinds.get(k, 0) for k in ks) for col, ks in _KIND_COLUMNS.items()}
            exit_code = "killed" if phase["exit_code"] is None else phase["exit_code"]
            rows.append(
                [
                    f"{n:,}",
                    run["manifest"],
                    run["discovery"],
                    name,
                    exit_code,
                    f"{total:,}",
                    f"{total / blocks(n):.2f}",
                    *(f"{counted[col]:,}" for col in _KIND_COLUMNS),
                    f"{total - sum(counted.values()):,}",
                    seconds(phase["wall"]),
                    seconds(phase["cpu"]),
                    seconds(phase.get("sandbox_cpu")),
                    f"{phase['peak_rss_mib']:,.0f}",
                    f"{phase['peak_rss_mib'] * 1024 / n:.2f}",
                    seconds(projected(phase)),
                    phase.get("load_average", "-"),
                ]
            )
    return rows


def run_rows(runs: list[dict[str, Any]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for run in runs:
        n, phases, sizes = run["n"], run.get("phases", {}), run.get("bytes", {})
        plan, apply, replan = (phases.get(p, {}) for p in ("plan", "apply", "replan"))
        known = [v for v in sizes.values() if v is not None]
        estimate = plan.get("read_estimate")
        est = "none printed"
        if estimate:
            est = (
                f"{estimate['requests']:,} ({estimate['requests'] / plan['requests']['total']:.2f})"
            )
        rows.append(
            [
                f"{n:,}",
                run["manifest"],
                run["discovery"],
                run.get("unsupported") or run.get("shape", ""),
                *(
                    _per_item(sizes.get(k), n)
                    for k in ("plan_json", "receipt_json", "journal_jsonl")
                ),
                f"{sum(known) / n:,.0f}" if known else "-",
                seconds(projected(plan) + projected(apply)) if plan and apply else "-",
                seconds(apply.get("first_create_after")),
                f"{plan['note_chars']:,}" if "note_chars" in plan else "-",
                replan.get("exit_code", "-"),
                est,
                seconds(plan.get("max_stderr_silence")),
                seconds(run.get("world", {}).get("seed_seconds")),
            ]
        )
    return rows


def _per_item(size: int | None, n: int) -> str:
    return "-" if size is None else f"{size / n:,.0f}"


def targets(run: dict[str, Any]) -> list[str]:
    """The targets of issue 20 that speak to this run, each with its verdict. Their scopes
    follow the issue: the request budgets (ratios of ceil(N/100)) for every glob run, the next
    plan and the bytes per item for every run, the 2 GiB and the first create at 1,000,000
    items, the note at 10,000 and 1,000,000, the estimate and progress at 10,000 (glob, list)."""
    n, manifest, phases = run["n"], run["manifest"], run.get("phases", {})
    subject = f"N={n:,} {manifest} {run['discovery']}"
    out: list[str] = []

    def check(what: str, figure: str, holds: bool) -> None:
        out.append(f"- {subject}: {what}: {figure} **{'holds' if holds else 'does not hold'}**")

    plan, apply, replan = (phases.get(p) for p in ("plan", "apply", "replan"))
    # The plan's budget is the search's: a listing walk costs a request per folder by nature.
    if plan and manifest == "glob" and run["discovery"] == "search":
        budget = 3.5 * blocks(n)
        total = plan["requests"]["total"]
        check(f"plan requests <= 3.5 x ceil(N/100) = {budget:,.0f}", f"{total:,}", total <= budget)
    if apply and manifest == "glob":
        budget = 3 * blocks(n) + 20
        total = apply["requests"]["total"]
        check(f"apply requests <= 3 x ceil(N/100) + 20 = {budget:,}", f"{total:,}", total <= budget)
    if replan:
        code = replan["exit_code"]
        check("the next plan shows no changes (exit 0)", f"exit {code}", code == 0)
    sizes = run.get("bytes", {})
    if sizes and all(v is not None for v in sizes.values()):
        per_item = sum(sizes.values()) / n
        check(
            f"plan.json + receipt + journal <= {BYTES_PER_ITEM:,} bytes per item",
            f"{per_item:,.0f}",
            per_item <= BYTES_PER_ITEM,
        )
    if n >= 1_000_000:
        for name in ("plan", "apply", "replan"):
            if name in phases:
                rss = phases[name]["peak_rss_mib"]
                check(f"{name} peak RSS <= 2 GiB", f"{rss:,.0f} MiB", rss <= 2 * GIB)
        if apply:
            first = apply.get("first_create_after")
            check(
                f"first create <= {FIRST_CREATE:.0f} s after apply starts",
                seconds(first),
                first is not None and first <= FIRST_CREATE,
            )
    if plan and n in (10_000, 1_000_000):
        chars = plan["note_chars"]
        check(f"Markdown note < {NOTE_CHARS:,} characters", f"{chars:,}", chars < NOTE_CHARS)
    if plan and n == 10_000 and manifest == "glob" and run["discovery"] == "list":
        _reading_targets(plan, check)
    return out


def _reading_targets(plan: dict[str, Any], check: Callable[[str, str, bool], None]) -> None:
    silence = plan["max_stderr_silence"]
    check(
        f"plan progress at least every {PROGRESS_EVERY:.0f} s",
        f"longest silence {seconds(silence)}",
        silence <= PROGRESS_EVERY,
    )
    estimate, total = plan.get("read_estimate"), plan["requests"]["total"]
    if estimate is None:
        check("plan prints a read estimate", "none found on stderr", False)
        return
    off = abs(estimate["requests"] - total) / max(total, 1)
    check(
        f"read estimate within {ESTIMATE_SLACK:.0%} of the requests made",
        f"{estimate['requests']:,} vs {total:,}",
        off <= ESTIMATE_SLACK,
    )
    check(
        "read estimate printed before the first listing",
        f"at {seconds(estimate['after_start'])}",
        bool(estimate["before_first_listing"]),
    )


PHASE_HEAD = [
    "N", "manifest", "discovery", "phase", "exit", "requests", "x ceil(N/100)",
    *_KIND_COLUMNS, "other", "wall", "CPU", "sandbox CPU", "peak MiB", "KiB/file",
    "projected at 1,000/5 min", "load",
]  # fmt: skip
RUN_HEAD = [
    "N", "manifest", "discovery", "world", "plan.json B/item", "receipt B/item",
    "journal B/item", "together B/item", "plan + apply projected", "first create",
    "note chars", "next plan exit", "read estimate (x requests)",
    "plan's longest stderr silence", "seeding",
]  # fmt: skip


def markdown(data: dict[str, Any]) -> str:
    runs = data["runs"]
    lines = ["Measured:", ""]
    for meta in sorted(
        {(r["commit"], r.get("reconciler_commit", "?"), r["date"], r["machine"]) for r in runs}
    ):
        lines.append(
            f"- commit `{meta[0]}` (`reconciler/` as of `{meta[1]}`), {meta[2]}, {meta[3]}"
        )
    for settings in sorted({json.dumps(r["settings"], sort_keys=True) for r in runs}):
        lines.append(f"- sandbox settings: `{settings}`")
    lines += ["", "### Requests, time and memory per phase", ""]
    lines += _table(PHASE_HEAD, phase_rows(runs))
    lines += ["", "### Files, first create, note, next plan, estimate", ""]
    lines += _table(RUN_HEAD, run_rows(runs))
    failed = [
        f"- N={run['n']:,} {run['manifest']} {run['discovery']}: `{name}` exit "
        f"{phase['exit_code']}: {phase.get('error') or 'no message'}"
        for run in runs
        for name, phase in run.get("phases", {}).items()
        if phase["exit_code"] not in (0, 2)
    ]
    if failed:
        lines += ["", "### Commands that failed (the cycle stops there)", "", *failed]
    lines += ["", "### Targets", ""]
    for run in runs:
        lines += targets(run)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=HERE / "cycle.json")
    args = parser.parse_args(argv)
    data = json.loads(args.results.read_text(encoding="utf-8"))
    sys.stdout.write(markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
