"""`reconciler apply [PATH...]`: plan, confirm, and converge with bulk exports; or apply a saved
plan (`--plan FILE`), which is already the approval; or send only what a reviewed plan showed
(`--reviewed FILE`: the plan of the merge request, applied after the merge;
`--reviewed-sources FILE`: the plans it was agreed from, named in the report and receipt, and
the exports not every one of them showed, which make the apply exit 1).

Manifests (and a saved plan) are read before any client exists: an invalid manifest or plan
costs no call. Without `--plan` the plan is shown first; a terminal is asked to confirm unless
`--yes`; anywhere else apply refuses without `--yes`. The per-item report goes to stdout;
the plan preview, progress and questions go to stderr; the report is written (and flushed)
before the receipt, so a receipt that cannot be written never takes it away. Exit 0 when every
declared item is in sync, 1 otherwise (see `usecases/apply.py`). The clock, the engine's
settings and the prompt come from the runtime `cli.main` was given (`runtime.py`).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reconciler.apply import guards
from reconciler.apply.outcome import ItemOutcome
from reconciler.apply.report import render_json
from reconciler.apply.report import render_text as render_report
from reconciler.apply.settings import DEFAULT_WAIT_TIMEOUT
from reconciler.commands import options
from reconciler.commands import runtime as runtimes
from reconciler.errors import ConfigError, GuardError
from reconciler.gitops.sources import read_sources
from reconciler.plan.io import load_plan
from reconciler.plan.model import Guards, Plan
from reconciler.plan.render_text import render_text
from reconciler.usecases.apply import DEFAULT_STATE_DIR, Applied, ApplyOptions, apply


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="converge: submit the plan's exports in bulk and wait for them",
        description="Plan against the live state and submit the exports, at most 100 per "
        "call, copies before moves, never twice. Exit 0 when every declared item is in "
        "sync, 1 otherwise.",
    )
    options.add_manifest_paths(parser)
    approval = parser.add_mutually_exclusive_group()
    approval.add_argument("--plan", metavar="FILE", help="apply this saved plan (the approval)")
    approval.add_argument(
        "--reviewed",
        metavar="FILE",
        help="plan now, but send only the exports this reviewed plan showed (same file, "
        "destination, action, mode, overwrite and properties); the rest is reported as not "
        "reviewed (exit 1)",
    )
    parser.add_argument(
        "--reviewed-sources",
        metavar="FILE",
        help="with --reviewed: the plans it was agreed from (`gitlab-reviewed-plan "
        "--sources` or `github-reviewed-plan --sources`), named in the report and the "
        "receipt; exports not every one of them showed are not reviewed (exit 1)",
    )
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--state-dir",
        default=DEFAULT_STATE_DIR,
        metavar="DIR",
        help=f"journal, lock and receipt (default: {DEFAULT_STATE_DIR}/)",
    )
    parser.add_argument("--max-moves", type=int, metavar="N", help="refuse to move more files")
    parser.add_argument("--max-bytes", metavar="SIZE", help="refuse to move more (e.g. 500GB)")
    parser.add_argument(
        "--wait-timeout",
        type=float,
        default=DEFAULT_WAIT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop waiting for jobs after this long (default: {DEFAULT_WAIT_TIMEOUT:g})",
    )
    options.add_target(parser)
    options.add_connection(parser)
    options.add_platforms(parser)
    options.add_discovery(parser)
    options.add_time_limit(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="the report's format"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    runtime = runtimes.of(args)
    if args.max_moves is not None and args.max_moves < 0:
        raise ConfigError("--max-moves must be 0 or more")
    if args.wait_timeout < 0:
        raise ConfigError("--wait-timeout must be 0 or more")
    max_bytes = guards.parse_size(args.max_bytes) if args.max_bytes is not None else None
    # A saved plan says what is sent; its manifests are only compared by digest (a match
    # proves they are the ones validated when it was made), so their entries are not checked
    # again: a manifest of 1,000,000 entries costs a light read.
    manifests = options.load(args, rules=args.plan is None)
    saved = load_plan(args.plan) if args.plan else None
    reviewed = load_plan(args.reviewed) if args.reviewed else None
    if args.reviewed_sources and reviewed is None:
        raise ConfigError("--reviewed-sources goes with --reviewed FILE")
    sources = (
        read_sources(args.reviewed_sources, plan_digest=reviewed.digest)
        if args.reviewed_sources and reviewed is not None
        else None
    )
    approved = saved is not None or reviewed is not None
    if not approved and not args.yes and not sys.stdin.isatty():
        raise GuardError(
            "apply needs a confirmation and there is no terminal to ask: pass --yes, "
            "or apply a reviewed plan with --plan FILE"
        )
    settings = ApplyOptions(
        state_dir=Path(args.state_dir),
        limits=Guards(max_moves=args.max_moves, max_bytes=max_bytes),
        engine=dataclasses.replace(runtime.engine, wait_timeout=args.wait_timeout),
        saved_plan=saved,
        saved_plan_origin=args.plan,
        reviewed_plan=reviewed,
        reviewed_plan_origin=args.reviewed,
        reviewed_sources=sources.record if sources else None,
        recheck_after_confirm=not approved and not args.yes,
    )

    def confirm(plan: Plan, outcomes: Sequence[ItemOutcome]) -> bool:
        if approved:
            return True
        sys.stderr.write(render_text(plan))
        return args.yes or runtime.ask(sys.stderr)

    def report(applied: Applied) -> None:
        if args.format == "json":
            sys.stdout.write(
                render_json(applied.outcomes, receipt=applied.receipt, exit_code=applied.exit_code)
            )
        else:
            sys.stdout.write(render_report(applied.outcomes, receipt=applied.receipt))
            if sources is not None:
                sys.stdout.write("".join(line + "\n" for line in sources.lines()))
        sys.stdout.flush()

    # Maintenance is waited out as long as apply waits for jobs, not the default 5 minutes.
    wait = args.wait_timeout
    with options.connect(manifests, args, maintenance_wait=wait) as connections:
        applied = apply(
            manifests,
            connections,
            settings,
            confirm=confirm,
            stderr=sys.stderr,
            report=report,
            clock=runtime.clock,
            sleep=runtime.sleep,
            env=runtime.environ,
        )
    return applied.exit_code  # 1 too when some plan showed an export others did not
