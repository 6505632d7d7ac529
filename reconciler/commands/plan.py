"""`reconciler plan [PATH...]`: read the live state and show exactly what apply would do.

The plan goes to stdout in the chosen format; `--out FILE` also saves it as JSON for
`apply --plan FILE` (the reviewed plan is then the approval), and its full list, every item
as a CSV row, beside it (`plan.csv` for `plan.json`): both written item by item, each to a
temporary file first and renamed into place once both are whole. Manifests of several platforms
and projects make one plan: each platform is read through its own endpoint and token, side by
side. Exit codes follow Terraform's
`-detailed-exitcode`: 0 no changes, 2 changes pending (with the flag), 1 on error or when any
item is blocked, even if others are pending; the full plan is printed either way.

`--base REF` marks each item against that commit (`gitops/base.py`, `plan/introduced.py`):
declared by this change, or declared before it (pending from earlier merges when it would be
sent); the summary line counts both. In a merge request pipeline without `--base`: against the
target branch's commit that a merged results or merge train pipeline merged
(`CI_MERGE_REQUEST_TARGET_BRANCH_SHA`), else the merge base of the diff
(`CI_MERGE_REQUEST_DIFF_BASE_SHA`). A `--base` that cannot be read is an error; a pipeline's
base that cannot be read (a shallow clone) is a warning, and the plan unmarked.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from reconciler.apply.journal import read_history
from reconciler.apply.progress import is_interactive
from reconciler.commands import options
from reconciler.errors import ConfigError, StateError
from reconciler.gitops.base import changed_places
from reconciler.gitops.gitlog import HistoryError
from reconciler.manifest.models import ManifestSet
from reconciler.plan.exit_codes import plan_exit_code
from reconciler.plan.introduced import mark
from reconciler.plan.io import write_plan
from reconciler.plan.model import Plan
from reconciler.plan.render import FORMATS, write
from reconciler.plan.render_csv import full_list_path, write_csv
from reconciler.plan.render_markdown import Artifacts
from reconciler.ticker import working
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
    parser.add_argument(
        "--out",
        metavar="FILE",
        help="also save the plan as JSON for apply --plan, and every item as CSV beside it "
        "(plan.csv for plan.json)",
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 2 when changes are pending (0: none, 1: error or blocked items)",
    )
    parser.add_argument(
        "--show-all",
        action="store_true",
        help="list every item instead of the first of each risky action",
    )
    options.add_target(parser)
    parser.add_argument(
        "--base",
        metavar="REF",
        help="mark each item declared or changed since this commit (the merge base of the "
        f"change under review; default in a merge request pipeline: ${BASE_VARIABLE})",
    )
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
    options.add_time_limit(parser)
    parser.set_defaults(func=run)


BASE_VARIABLE = "CI_MERGE_REQUEST_DIFF_BASE_SHA"
# Set (non-empty) only in merged results and merge train pipelines, whose commit merges the
# head into it: against it, what earlier merges declared is not counted as this change's.
MERGED_BASE_VARIABLE = "CI_MERGE_REQUEST_TARGET_BRANCH_SHA"


def run(args: argparse.Namespace) -> int:
    manifests = options.load(args)
    changed = _changed_since_base(manifests, args.base)  # before any connection
    with options.connect(manifests, args) as connections:
        plan = planning.plan_platforms(
            manifests,
            connections,
            unmanaged=args.unmanaged,
            failed_jobs=lambda platform: read_history(
                Path(args.state_dir), platform=platform
            ).failed_jobs(),
            busy=lambda what: working(
                what, stream=sys.stderr, interactive=is_interactive(sys.stderr)
            ),
        )
    if changed is not None:
        plan = mark(plan, changed)
    artifacts = None
    if args.out:
        full_list = full_list_path(args.out)
        # A plan of 1,000,000 items takes over a minute to write: never a silent minute.
        with working(
            f"writing {args.out} and {full_list}...",
            stream=sys.stderr,
            interactive=is_interactive(sys.stderr),
        ):
            _save(plan, Path(args.out), Path(full_list))
        artifacts = Artifacts(plan=args.out, full_list=full_list)
    write(plan, args.format, sys.stdout, show_all=args.show_all, artifacts=artifacts)
    sys.stdout.flush()
    if artifacts:
        print(
            f"Plan saved to {args.out} (every item: {artifacts.full_list}); apply it with: "
            f"reconciler apply --plan {args.out}",
            file=sys.stderr,
        )
    return plan_exit_code(plan, args.detailed_exitcode)


def _changed_since_base(manifests: ManifestSet, base: str | None) -> frozenset[str] | None:
    """The places of the declarations the change adds or changes, None when not compared."""
    variable = next((v for v in (MERGED_BASE_VARIABLE, BASE_VARIABLE) if os.environ.get(v)), "")
    given = base or os.environ.get(variable) or None
    if given is None:
        return None
    try:
        return changed_places(manifests, given)
    except (HistoryError, ConfigError) as exc:
        if base:
            raise ConfigError(f"--base: {exc}") from None
        options.warn(f"{variable}: {exc}; the items are not marked against the merge base")
        return None


def _save(plan: Plan, path: Path, full_list: Path) -> None:
    """The plan and its full list, each written to a temporary file, then both renamed: a
    failure leaves neither, or at worst a new plan beside an old list, never half a file."""
    writers: list[tuple[Path, Callable[[Plan, TextIO], None]]] = [
        (path, write_plan),
        (full_list, write_csv),
    ]
    written = []
    try:
        for target, writer in writers:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            with tmp.open("w", encoding="utf-8", newline="") as out:
                writer(plan, out)
            written.append((tmp, target))
        for tmp, target in written:
            tmp.replace(target)
    except OSError as exc:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)
        where = exc.filename or path
        raise StateError(f"{where}: cannot save the plan: {exc.strerror or exc}") from exc
