"""One measured run in a process of its own: the reconciler's plan or apply, or a baseline.

Prints one JSON line: wall time and CPU time (user + system of this process), both counted
from before the subject's own imports, as a user's command pays them; peak RSS of this process
(which includes the interpreter and its imports); the client's own counts where it keeps them,
and a summary of the outcome. Each subject imports only what it uses: the reconciler's runs do
not carry sevenbridges-python, the baselines do not carry the reconciler. Requests are counted
from the sandbox's request log by the runner, not here.

    python benchmarks/scale/subject.py KIND --url URL --token TOKEN --scenario DIR --work DIR

KIND: `plan`, `apply` (the reconciler), `bulk`, `per-file` (the baselines).
"""

from __future__ import annotations

import resource
import time

# Before any import of the subject's: what it imports is part of what it costs.
_STARTED_AT, _STARTED, _USAGE = (
    time.time(),
    time.monotonic(),
    resource.getrusage(resource.RUSAGE_SELF),
)

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def _client(args: argparse.Namespace) -> Any:
    from reconciler.api.client import ApiClient
    from reconciler.api.config import ApiConfig

    return ApiClient(ApiConfig(endpoint=args.url, token=args.token))


def run_plan(args: argparse.Namespace) -> dict[str, Any]:
    from reconciler.live.read import read
    from reconciler.manifest.load import load_manifests
    from reconciler.plan.planner import PlanContext, build_plan

    folder = args.scenario / "manifests"
    manifests = load_manifests([folder], root=args.scenario)
    loaded = time.monotonic()
    with _client(args) as client:
        live = read(client, manifests.rules).live
        read = time.monotonic()
        cpu = time.process_time()
        # No `resolution` passed: the core's CPU includes resolving the manifests, as it did
        # before the reader resolved them (issue 16), so the figures stay comparable. The
        # `plan` command resolves once, in the read, and passes the resolution on.
        plan = build_plan(
            manifests,
            live,
            context=PlanContext(
                tool_version="bench", endpoint=args.url, manifests_commit=None, planned_at="-"
            ),
        )
        core_cpu = time.process_time() - cpu
        text = _render_plan(plan)
        stats = client.stats.snapshot()
    actions = Counter(str(item.action) for item in plan.items)
    return {
        "core_cpu": round(core_cpu, 3),
        "live_read_wall": round(read - loaded, 3),
        "actions": dict(actions),
        "client_counts": stats,
        "rendered_lines": text.count("\n"),
    }


def _render_plan(plan: Any) -> str:
    try:
        from reconciler.plan.render_text import render_text
    except ImportError:  # the renderers are still being written
        return ""
    return render_text(plan)


def run_apply(args: argparse.Namespace) -> dict[str, Any]:
    from reconciler.api.trust import platform_key
    from reconciler.apply.report import render_text
    from reconciler.manifest.load import load_manifests
    from reconciler.usecases.apply import ApplyOptions, apply
    from reconciler.usecases.plan import Connection

    folder = args.scenario / "manifests"
    manifests = load_manifests([folder], root=args.scenario)
    with _client(args) as client:
        applied = apply(
            manifests,
            [Connection(platform_key(None), manifests, client)],
            ApplyOptions(state_dir=args.work / "state"),
            confirm=lambda plan, outcomes: True,
            stderr=io.StringIO(),
        )
        report = render_text(applied.outcomes, receipt=applied.receipt)
        stats = client.stats.snapshot()
    (args.work / "apply-report.txt").write_text(report, encoding="utf-8")
    results = Counter(str(o.result) for o in applied.outcomes)
    return {"exit_code": applied.exit_code, "results": dict(results), "client_counts": stats}


def run_bulk(args: argparse.Namespace) -> dict[str, Any]:
    import baselines

    return baselines.bulk(args.url, args.token, baselines.read_entries(args.scenario))


def run_per_file(args: argparse.Namespace) -> dict[str, Any]:
    import baselines

    return baselines.per_file(args.url, args.token, baselines.read_entries(args.scenario))


KINDS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "plan": run_plan,
    "apply": run_apply,
    "bulk": run_bulk,
    "per-file": run_per_file,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--scenario", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    before, started_at, started = _USAGE, _STARTED_AT, _STARTED
    outcome = KINDS[args.kind](args)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {
        "kind": args.kind,
        "started_at": started_at,
        "finished_at": time.time(),
        "wall": round(wall, 3),
        "cpu": round(cpu, 3),
        "peak_rss_mib": round(after.ru_maxrss / 1024, 1),
        **outcome,
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
