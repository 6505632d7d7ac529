"""`reconciler gitlab-reviewed-plan --out FILE`: in a default-branch pipeline, fetch the plan
that reviewers saw in the merge request that brought this commit, for `apply --reviewed`.

Exit 0 with FILE written: apply it (with `--reviewed-sources`, the file `--sources` wrote, so
that apply's receipt names every plan taken into account and counts the exports that not every
plan showed as not reviewed). Exit 0 without FILE: nothing was reviewed for this commit (a push
without a merge request, or a merge request that changed no manifest of this matrix entry), so
nothing is applied. Exit 1 (fail closed): a reviewed plan should exist and cannot be found or
does not belong; nothing may be applied. `gitops/reviewed.py` has the search, and
`gitops/gitlab_plans.py` its GitLab side.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from reconciler.commands.reviewed_files import (
    DEFAULT_REVIEWABLE,
    clear,
    look_up,
    reviewable_roots,
    write_reviewed,
)
from reconciler.errors import ConfigError
from reconciler.gitops.gitlab import GitLabApi
from reconciler.gitops.gitlab_plans import GitLabPlans, Where
from reconciler.gitops.reviewed import ReviewError

DEFAULT_TOKEN_VARIABLE = "GITLAB_READ_TOKEN"
_NEEDED = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_COMMIT_SHA", "CI_DEFAULT_BRANCH")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gitlab-reviewed-plan",
        help="fetch the plan reviewed in the merge request that brought this commit",
        description="In a GitLab default-branch pipeline: find the merged merge request of "
        "$CI_COMMIT_SHA, take plan.json of every successful attempt of the plan job of this "
        "matrix entry in that merge request's pipelines for its final head, and write what all "
        "of them show to --out. Writes nothing (exit 0) when nothing was reviewed for this "
        "commit; exit 1 when a reviewed plan should exist and cannot be found.",
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="where to write the plan")
    parser.add_argument(
        "--plan-job",
        required=True,
        metavar="NAME",
        help='the plan job of this matrix entry, e.g. "plan${CI_JOB_NAME#apply}"',
    )
    parser.add_argument(
        "--sources",
        metavar="FILE",
        help="also write every plan taken into account and the exports not every plan showed "
        "(JSON), for `apply --reviewed-sources`",
    )
    parser.add_argument(
        "--reviewable",
        action="append",
        metavar="PATHS",
        help="paths (folders or files, space or comma separated; repeatable) a merge request "
        f"may change for its plan to count as reviewed (default: {DEFAULT_REVIEWABLE})",
    )
    parser.add_argument(
        "--token-variable",
        default=DEFAULT_TOKEN_VARIABLE,
        metavar="NAME",
        help=f"the variable holding a GitLab token with `read_api` (default: "
        f"{DEFAULT_TOKEN_VARIABLE}; keep it protected)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    sources = Path(args.sources) if args.sources else None
    clear(out, sources)
    token = os.environ.get(args.token_variable, "")
    if not token:
        raise ReviewError(
            f"{args.token_variable} is not set: the reviewed plan cannot be looked up, nothing "
            "was applied; set it to a protected project access token with read_api"
        )
    missing = [name for name in _NEEDED if not os.environ.get(name)]
    if missing:
        raise ConfigError(f"{', '.join(missing)} not set: run this in a GitLab pipeline")
    env = os.environ
    roots = reviewable_roots(args.reviewable)
    where = Where(
        env["CI_PROJECT_ID"], env["CI_COMMIT_SHA"], env["CI_DEFAULT_BRANCH"], args.plan_job, roots
    )
    api = GitLabApi(env["CI_API_V4_URL"], token, job_token=args.token_variable == "CI_JOB_TOKEN")
    return write_reviewed(look_up(GitLabPlans(api, where), roots), out, sources)
