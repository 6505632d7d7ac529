"""`reconciler show PLANFILE`: render a saved plan as text, JSON, Markdown, CSV or an HTML page.

The plan is loaded with `load_plan`, so an edited, foreign or damaged file is refused with a
one-line error (exit 1) before anything is shown. The Markdown and the HTML page name the plan
file and, when `plan --out` wrote one beside it, the full list (`plan.csv`): the note and a
page too long to list every item say where to look.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from reconciler.plan.io import load_plan
from reconciler.plan.render import FORMATS, write
from reconciler.plan.render_csv import full_list_path
from reconciler.plan.render_markdown import Artifacts


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="render a saved plan (from `plan --out`)",
        description="Render a saved plan. Edited or foreign plans are refused.",
    )
    parser.add_argument("planfile", metavar="PLANFILE", help="a plan saved with `plan --out`")
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument(
        "--show-all",
        action="store_true",
        help="list every item instead of the first of each risky action",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.planfile)
    full_list = full_list_path(args.planfile)
    artifacts = Artifacts(args.planfile, full_list if Path(full_list).is_file() else None)
    write(plan, args.format, sys.stdout, show_all=args.show_all, artifacts=artifacts)
    return 0
