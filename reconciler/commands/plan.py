"""`reconciler plan [PATH...]`: read the live state and show exactly what apply would do.

The plan goes to stdout in the chosen format; `--out FILE` also saves it as JSON for
`apply --plan FILE` (the reviewed plan is then the approval). Manifests of several platforms
and projects make one plan: each platform is read through its own endpoint and token, side by
side. Exit codes follow Terraform's
`-detailed-exitcode`: 0 no changes, 2 changes pending (with the flag), 1 on error or when any
item is blocked, even if others are pending; the full plan is printed either way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.apply.journal import read_history
from reconciler.commands import options
from reconciler.errors import StateError
from reconciler.plan.exit_codes import plan_exit_code
from reconciler.plan.io import dump_plan
from reconciler.plan.render import FORMATS, render
from reconciler.usecases import plan as planning
from reconciler.usecases.apply import DEFAULT_STATE_DIR


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="show what apply would do, item by item, and why",
        description="Read the live state in as few calls as possible and show, per declared "
        "file, exactly one action (move, copy, replace, in-sync, in-flight, blocked) and why.",
    )
    options.add_manifest_paths(parser)
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument("--out", metavar="FILE", help="also save the plan as JSON for apply --plan")
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when changes are pending (0: none, 1: error or blocked items)",
    )
    parser.add_argument(
        "--show-all", action="store_true", help="list every item instead of counts per folder"
    )
    options.add_target(parser)
    parser.add_argument(
        "--unmanaged",
        action="store_true",
        help="also list aliases on the managed volumes that no manifest declares (costs calls)",
    )
    parser.add_argument(
        "--state-dir",
        default=DEFAULT_STATE_DIR,
        metavar="DIR",
        help="apply's state folder, read to quote earlier job failures "
        f"(default: {DEFAULT_STATE_DIR}/)",
    )
    options.add_connection(parser)
    options.add_platforms(parser)
    options.add_discovery(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    manifests = options.load(args)
    with options.connect(manifests, args) as connections:
        plan = planning.plan_platforms(
            manifests,
            connections,
            unmanaged=args.unmanaged,
            failed_jobs=lambda platform: read_history(
                Path(args.state_dir), platform=platform
            ).failed_jobs(),
        )
    if args.out:
        _save(Path(args.out), dump_plan(plan))
    sys.stdout.write(render(plan, args.format, show_all=args.show_all))
    sys.stdout.flush()
    if args.out:
        print(
            f"Plan saved to {args.out}; apply it with: reconciler apply --plan {args.out}",
            file=sys.stderr,
        )
    return plan_exit_code(plan, args.detailed_exitcode)


def _save(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise StateError(f"{path}: cannot save the plan: {exc.strerror}") from exc
