"""`reconciler github-drift-issue PLAN --key KEY`: keep one issue per matrix entry about drift.

The plan (a scheduled `plan --out`) says whether the live state differs from git: an export
pending or an item blocked. Then the entry's issue is opened (none open yet), updated (one is
open: its body becomes this plan) or closed with a comment (no drift any more). The plan also
goes to the job summary. A failing GitHub call fails the job: nobody would learn of the drift.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from reconciler.commands.github_run import (
    DEFAULT_TOKEN_VARIABLE,
    append_summary,
    checked_link,
    footer,
    token,
)
from reconciler.errors import ConfigError
from reconciler.gitops.github import GitHubApi, Run
from reconciler.gitops.github_comments import DEFAULT_AUTHOR
from reconciler.gitops.github_issues import DriftIssues, issue_body
from reconciler.plan.io import load_plan
from reconciler.plan.render_markdown import render_markdown


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "github-drift-issue",
        help="open, update or close the drift issue of a matrix entry",
        description="In GitHub Actions (a scheduled run): from a saved plan, open one issue "
        "per --key when the live state differs from git, update it while it does, close it "
        "when it no longer does.",
    )
    parser.add_argument("plan", metavar="PLAN", help="the plan saved by `reconciler plan --out`")
    parser.add_argument("--key", required=True, metavar="NAME", help="e.g. PLATFORM/PROJECT")
    parser.add_argument(
        "--page-url", metavar="URL", help="where the run keeps the plan as a page: linked"
    )
    parser.add_argument(
        "--token-variable",
        default=DEFAULT_TOKEN_VARIABLE,
        metavar="NAME",
        help=f"the variable holding a token with issues: write (default: {DEFAULT_TOKEN_VARIABLE})",
    )
    parser.add_argument(
        "--author",
        default=DEFAULT_AUTHOR,
        metavar="LOGIN",
        help=f"the token's account, whose issue is kept (default: {DEFAULT_AUTHOR})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    plan = load_plan(Path(args.plan))
    page = checked_link(args.page_url, "--page-url")
    github = Run.from_env(os.environ, what="github-drift-issue")
    drift = plan.has_pending or plan.has_blocked
    commit = plan.manifests_commit or github.sha
    body = issue_body(
        render_markdown(plan),
        key=args.key,
        footer=footer(github, digest=plan.digest, page_url=page, commit=commit),
    )
    append_summary(os.environ, body)
    secret = token(args.token_variable)
    if not secret:
        raise ConfigError(
            f"{args.token_variable} is not set: the drift issue cannot be kept; give the job "
            "permissions issues: write"
        )
    issues = DriftIssues(
        GitHubApi(github.api_url, secret), github.repository, key=args.key, author=args.author
    )
    where = f" ([run {github.run_id}]({github.run_url}))" if github.run_url else ""
    done = issues.report(
        drift=drift,
        body=body,
        closing_note=f"No drift any more: the live state matches git at `{commit[:12]}`{where}.",
    )
    state = "drift" if drift else "no drift"
    print(f"{args.key}: {state}: {done}", file=sys.stderr)
    return 0
