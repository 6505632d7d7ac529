"""`reconciler github-comment MARKDOWN`: put the Markdown plan on the job's summary page and on
the pull request of the run, as one comment per matrix entry that later runs edit instead of
adding new ones (at most 65,536 characters, leading with the plan's summary).

The comment is a courtesy to reviewers, never a reason to fail the plan job: when GitHub fails
(an error status, a redirect, no answer), the whole find-then-write is tried once more, and a
second failure is a warning with exit 0. A configuration that cannot work (no event file, a
plain-http API off loopback) is still an error. Without a token (a pull request from a fork
gets none) the summary is still written and the comment is skipped, saying so.
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
    warn,
)
from reconciler.errors import ApiError, ConfigError
from reconciler.gitops.github import GitHubApi, Run
from reconciler.gitops.github_comments import DEFAULT_AUTHOR, CommentsClient, comment_body
from reconciler.plan.io import load_plan
from reconciler.redact import redact

ATTEMPTS = 2


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "github-comment",
        help="write the plan to the job summary and one comment on the pull request",
        description="In GitHub Actions: append the Markdown (from `reconciler show PLAN "
        "--format markdown`) to the job summary, and create, or edit in place, one comment on "
        "the run's pull request with it. Comments nothing, successfully, without a token.",
    )
    parser.add_argument("markdown", metavar="MARKDOWN", help="the Markdown file to post")
    parser.add_argument("--plan", metavar="FILE", help="the saved plan shown: names its digest")
    parser.add_argument(
        "--key",
        metavar="NAME",
        help="one comment per key on the pull request (e.g. PLATFORM/PROJECT of the matrix)",
    )
    parser.add_argument(
        "--page-url",
        metavar="URL",
        help="where the run keeps the plan as a page (upload-artifact's artifact-url): linked",
    )
    parser.add_argument(
        "--token-variable",
        default=DEFAULT_TOKEN_VARIABLE,
        metavar="NAME",
        help=f"the variable holding a token with pull-requests: write (default: "
        f"{DEFAULT_TOKEN_VARIABLE})",
    )
    parser.add_argument(
        "--author",
        default=DEFAULT_AUTHOR,
        metavar="LOGIN",
        help=f"the token's account, whose comment is edited (default: {DEFAULT_AUTHOR})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        markdown = Path(args.markdown).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise ConfigError(f"{args.markdown}: cannot read the comment: {reason}") from None
    digest = load_plan(args.plan).digest if args.plan else None
    page = checked_link(args.page_url, "--page-url")
    github = Run.from_env(os.environ, what="github-comment")
    commit = _head(github)
    body = comment_body(
        markdown, key=args.key, footer=footer(github, digest=digest, page_url=page, commit=commit)
    )
    append_summary(os.environ, body)
    secret = token(args.token_variable)
    number = github.pull_request_number()
    if number is None:
        print(f"{github.event_name or 'this event'}: no pull request, no comment", file=sys.stderr)
        return 0
    if not secret:
        print(f"{args.token_variable} is not set: no pull request comment", file=sys.stderr)
        return 0
    client = CommentsClient(
        GitHubApi(github.api_url, secret),
        github.repository,
        number,
        key=args.key,
        author=args.author,
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            action, comment_id = client.upsert(body)
        except ApiError as exc:
            again = "; trying once more" if attempt < ATTEMPTS else "; the plan stands without it"
            warn(f"no plan comment: {redact(str(exc))}{again}")
            continue
        print(f"pull request #{number}: comment {comment_id} {action}", file=sys.stderr)
        return 0
    return 0


def _head(github: Run) -> str:
    pull = github.event.get("pull_request")
    head = pull.get("head") if isinstance(pull, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) else github.sha
