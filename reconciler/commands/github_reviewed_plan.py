"""`reconciler github-reviewed-plan --out FILE`: on a push to the default branch in GitHub
Actions, fetch the plan that reviewers saw in the pull request that brought this commit, for
`apply --reviewed`.

Exit 0 with FILE written: apply it (with `--reviewed-sources`, the file `--sources` wrote).
Exit 0 without FILE: nothing was reviewed for this commit (a push without a pull request, or a
pull request whose runs have no plan job of this matrix entry), so nothing is applied. Exit 1
(fail closed): a reviewed plan should exist and cannot be found or does not belong.
`gitops/reviewed.py` has the search, `gitops/github_plans.py` its GitHub side.
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
from reconciler.gitops.github import GitHubApi, Run
from reconciler.gitops.github_plans import GitHubPlans, Where
from reconciler.gitops.reviewed import ReviewError

DEFAULT_TOKEN_VARIABLE = "GITHUB_TOKEN"
_WHAT = "reviewed plan"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "github-reviewed-plan",
        help="fetch the plan reviewed in the pull request that brought this commit",
        description="In GitHub Actions, on a push to the default branch: find the merged pull "
        "request of $GITHUB_SHA, take plan.json of every successful attempt of the plan job of "
        "this matrix entry in that pull request's runs for its final head, and write what all "
        "of them show to --out. Writes nothing (exit 0) when nothing was reviewed for this "
        "commit; exit 1 when a reviewed plan should exist and cannot be found.",
    )
    parser.add_argument("--out", required=True, metavar="FILE", help="where to write the plan")
    parser.add_argument(
        "--plan-job",
        required=True,
        metavar="NAME",
        help='the name of the plan job of this matrix entry, e.g. "plan (aws-us, lab/p)"',
    )
    parser.add_argument(
        "--artifact",
        required=True,
        metavar="PREFIX",
        help="the name of that job's artifacts without the attempt (PREFIX-ATTEMPT)",
    )
    parser.add_argument(
        "--workflow",
        metavar="PATH",
        help="the workflow file whose pull_request runs made the plans (default: the one "
        "running, from GITHUB_WORKFLOW_REF)",
    )
    parser.add_argument(
        "--default-branch",
        metavar="NAME",
        help="the default branch (default: the push event's repository.default_branch)",
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
        help="paths (folders or files, space or comma separated; repeatable) a pull request "
        f"may change for its plan to count as reviewed (default: {DEFAULT_REVIEWABLE})",
    )
    parser.add_argument(
        "--manifests",
        metavar="PATH",
        help="this entry's manifests folder: a pull request that changed nothing under it has "
        "nothing to apply for this entry (exit 0)",
    )
    parser.add_argument(
        "--token-variable",
        default=DEFAULT_TOKEN_VARIABLE,
        metavar="NAME",
        help="the variable holding a token with contents: read, pull-requests: read and "
        f"actions: read (default: {DEFAULT_TOKEN_VARIABLE})",
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
            "was applied; give the job permissions contents: read, pull-requests: read, "
            "actions: read"
        )
    run_ = Run.from_env(os.environ, what=_WHAT)
    if not run_.sha:
        raise ConfigError(f"{_WHAT}: GITHUB_SHA not set: run this in GitHub Actions")
    branch = args.default_branch or _default_branch(run_)
    workflow = args.workflow or _workflow_path(os.environ.get("GITHUB_WORKFLOW_REF", ""))
    roots = reviewable_roots(args.reviewable)
    where = Where(
        repository=run_.repository,
        sha=run_.sha,
        branch=branch,
        workflow=workflow,
        plan_job=args.plan_job,
        artifact=args.artifact,
        reviewable=roots,
        manifests=args.manifests,
    )
    api = GitHubApi(run_.api_url, token)
    return write_reviewed(look_up(GitHubPlans(api, where), roots), out, sources)


def _default_branch(run_: Run) -> str:
    repository = run_.event.get("repository")
    branch = repository.get("default_branch") if isinstance(repository, dict) else None
    if not isinstance(branch, str) or not branch:
        raise ConfigError(
            f"{_WHAT}: the event names no repository.default_branch; pass --default-branch"
        )
    return branch


def _workflow_path(ref: str) -> str:
    """owner/name/.github/workflows/x.yml@refs/heads/main -> .github/workflows/x.yml"""
    path = ref.partition("@")[0]
    owner_name, found, rest = path.partition("/.github/")
    if not found or owner_name.count("/") != 1:
        raise ConfigError(
            f"{_WHAT}: GITHUB_WORKFLOW_REF={ref!r} names no workflow file; pass --workflow"
        )
    return ".github/" + rest
