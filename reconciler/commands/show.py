"""`reconciler show PLANFILE`: render a saved plan as text, JSON or Markdown.

The plan is loaded with `load_plan`, so an edited, foreign or damaged file is refused with a
one-line error (exit 1) before anything is shown.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reconciler.plan.io import load_plan
from reconciler.plan.render import FORMATS, render


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "show",
        help="render a saved plan (from `plan --out`)",
        description="Render a saved plan. Edited or foreign plans are refused.",
    )
    parser.add_argument("planfile", metavar="PLANFILE", help="a plan saved with `plan --out`")
    parser.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    parser.add_argument(
        "--show-all", action="store_true", help="list every item instead of counts per folder"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = load_plan(args.planfile)
    sys.stdout.write(render(plan, args.format, show_all=args.show_all))
    return 0
