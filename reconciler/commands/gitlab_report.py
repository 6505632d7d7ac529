"""`reconciler gitlab-report PLAN`: the counts of a saved plan for GitLab's Terraform merge
request widget (`artifacts:reports:terraform`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from reconciler.errors import StateError
from reconciler.gitops.reports import terraform_report_json
from reconciler.plan.io import load_plan


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gitlab-report",
        help="write a saved plan's counts for GitLab's merge request widget",
        description="Write {create, update, delete} counts of a saved plan, the file "
        "GitLab's Terraform merge request widget reads (artifacts:reports:terraform).",
    )
    parser.add_argument("plan", metavar="PLAN", help="a plan saved by `reconciler plan --out`")
    parser.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = terraform_report_json(load_plan(Path(args.plan)))
    if args.out:
        try:
            Path(args.out).write_text(report)
        except OSError as exc:
            raise StateError(f"{args.out}: cannot write the report: {exc.strerror}") from None
    else:
        print(report, end="")
    return 0
