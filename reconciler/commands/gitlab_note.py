"""`reconciler gitlab-note MARKDOWN`: put the Markdown plan on the merge request of the
pipeline, as one note that later pipelines edit instead of adding new ones.

The note is a courtesy to reviewers, never a reason to fail the plan job: when GitLab fails
(an error status, a redirect, no answer), the whole find-then-write is tried once more (a note
created by a first attempt whose answer was lost is found and edited, not duplicated), and a
second failure is a warning with exit 0. A configuration that cannot work (no merge request
variables, plain http off loopback) is still an error.

With `--plan FILE` the note names the plan's digest and links the job that made it, so that a
reviewer, and the audit trail, can tie what they read to the artifact apply takes (apply's
receipt names the digest of every plan it took into account)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from reconciler.errors import ApiError, ConfigError
from reconciler.gitops.notes import MergeRequest, NotesClient, note_body
from reconciler.plan.io import load_plan
from reconciler.redact import redact

ATTEMPTS = 2

DEFAULT_TOKEN_VARIABLE = "GITLAB_NOTE_TOKEN"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gitlab-note",
        help="create or update the plan note on the pipeline's merge request",
        description="Create, or edit in place, one note on the merge request of a GitLab merge "
        "request pipeline with the given Markdown (from `reconciler show PLAN --format "
        "markdown`). Does nothing, successfully, when the token variable is not set.",
    )
    parser.add_argument("markdown", metavar="MARKDOWN", help="the Markdown file to post")
    parser.add_argument(
        "--token-variable",
        default=DEFAULT_TOKEN_VARIABLE,
        metavar="NAME",
        help=f"the variable holding a GitLab access token with `api` scope (default: "
        f"{DEFAULT_TOKEN_VARIABLE}; CI_JOB_TOKEN is sent as a job token)",
    )
    parser.add_argument(
        "--key",
        metavar="NAME",
        help="one note per key on the merge request, for several plan jobs (e.g. "
        "$PLATFORM/$PROJECT in a parallel:matrix)",
    )
    parser.add_argument(
        "--plan",
        metavar="FILE",
        help="the saved plan the note shows (plan.json): the note names its digest and links "
        "the job that made it",
    )
    parser.add_argument(
        "--page",
        metavar="PATH",
        help="the plan as a page (`show PLAN --format html`), kept among the job's artifacts "
        "at PATH: the note links it",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    token = os.environ.get(args.token_variable, "")
    if not token:
        print(f"{args.token_variable} is not set: no merge request note", file=sys.stderr)
        return 0
    try:
        markdown = Path(args.markdown).read_text()
    except OSError as exc:
        raise ConfigError(f"{args.markdown}: cannot read the note: {exc.strerror}") from None
    digest = load_plan(args.plan).digest if args.plan else None
    target = MergeRequest.from_env(os.environ)
    client = NotesClient(
        target, token, key=args.key, job_token=args.token_variable == "CI_JOB_TOKEN"
    )
    page = _page_path(args.page) if args.page is not None else None
    body = note_body(markdown, key=args.key, footer=_footer(os.environ, digest, page))
    for attempt in range(1, ATTEMPTS + 1):
        try:
            action, note_id = client.upsert(body)
        except ApiError as exc:
            again = "; trying once more" if attempt < ATTEMPTS else "; the plan stands without it"
            print(f"warning: no plan note: {redact(str(exc))}{again}", file=sys.stderr)
            continue
        print(f"{target}: note {note_id} {action}", file=sys.stderr)
        return 0
    return 0


def _page_path(page: str) -> str:
    """The page's path among the job's artifacts, as a URL path: relative, without `..`."""
    parts = PurePosixPath(page).parts
    if not parts or PurePosixPath(page).is_absolute() or ".." in parts:
        raise ConfigError(f"--page {page!r}: a path relative to the job's folder, without '..'")
    return "/".join(quote(part) for part in parts)


def _footer(env: os._Environ[str], digest: str | None, page: str | None = None) -> str:
    """Which plan this is (its digest, the job that made it), where it was made, and links
    to the job's artifacts: the plan as a page, and the saved plan and its full list, which
    the note points at by name."""
    pipeline = env.get("CI_PIPELINE_URL")
    commit = env.get("CI_COMMIT_SHORT_SHA") or env.get("CI_COMMIT_SHA", "")[:8]
    job = env.get("CI_JOB_URL")
    job_name = f"job {env.get('CI_JOB_ID', '')}".strip()
    lines = []
    if digest:
        made_by = f" by [{job_name}]({job})" if job else ""
        lines.append(
            f"Plan digest `{digest}`, made{made_by}: apply after the merge takes this "
            "plan.json, and its receipt names the digest of every plan it took into account."
        )
    if page and job:
        # GitLab shows an HTML artifact in the browser under /artifacts/file/ (where pages
        # serve artifacts; elsewhere it downloads): one click from the note to the page.
        lines.append(
            f"**[Open the plan as a page]({job}/artifacts/file/{page})**: totals, charts per "
            "destination and declaration, the risk lists, every item with search and filters."
        )
    if pipeline:
        at = f" at commit {commit}" if commit else ""
        files = f"; the plan and its full list are [the job's artifacts]({job}/artifacts/browse)"
        lines.append(
            f"Planned by [pipeline {env.get('CI_PIPELINE_ID', '')}]({pipeline}){at}"
            f"{files if job else ''}."
        )
    return "<br>".join(lines) and f"<sub>{'<br>'.join(lines)}</sub>"
