"""What the GitHub commands share: the token from its variable, the job summary, and the
footer that ties a comment or an issue to its plan (digest) and run (links)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from reconciler.errors import ConfigError
from reconciler.gitops.github import Run

DEFAULT_TOKEN_VARIABLE = "GITHUB_TOKEN"
# A link target that Markdown cannot end early and no other scheme can sneak into.
_LINK = re.compile(r"https://[^\s()<>\[\]\"'`]+")


def token(variable: str) -> str:
    return os.environ.get(variable, "")


def append_summary(env: Mapping[str, str], text: str) -> None:
    """Add `text` to the job's summary page ($GITHUB_STEP_SUMMARY), when there is one."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    try:
        with Path(path).open("a", encoding="utf-8") as summary:
            summary.write(text if text.endswith("\n") else text + "\n")
    except OSError as exc:
        raise ConfigError(f"GITHUB_STEP_SUMMARY: cannot write: {exc.strerror}") from None


def checked_link(url: str | None, option: str) -> str | None:
    if not url:
        return None
    if not _LINK.fullmatch(url):
        raise ConfigError(f"{option} {url!r}: an https URL without spaces or brackets")
    return url


def footer(run: Run, *, digest: str | None, page_url: str | None, commit: str = "") -> str:
    """The plan's digest, a link to the plan as a page, and the run that made it."""
    lines = []
    if digest:
        lines.append(
            f"Plan digest `{digest}`: apply after the merge takes this plan.json from the run's "
            "artifact, and its receipt names the digest of every plan it took into account."
        )
    if page_url:
        lines.append(
            f"**[Download the plan as a page]({page_url})** (plan.html in the artifact): totals, "
            "charts per destination and declaration, the risk lists, every item with filters."
        )
    if run.run_url:
        attempt = f" attempt {run.run_attempt}" if run.run_attempt else ""
        at = f" at commit {commit[:12]}" if commit else ""
        lines.append(f"Planned by [run {run.run_id}{attempt}]({run.run_url}){at}.")
    return f"<sub>{'<br>'.join(lines)}</sub>" if lines else ""


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)
