"""One drift issue per matrix entry: opened when the live state differs from git, updated
while it does, closed when it no longer does; never a new one each night.

`GET /repos/{o}/{r}/issues?state=open&creator=AUTHOR` (paged; pull requests, which the list
also holds, are skipped) finds ours by the hidden marker of its key; `POST .../issues` opens
it, `PATCH .../issues/{n}` updates or closes it (`state_reason: completed`), and a comment
says why it was closed. Only an issue opened by the token's own account counts.
"""

from __future__ import annotations

from reconciler.gitops.github import GitHubApi
from reconciler.gitops.github_comments import comment_body
from reconciler.gitops.notes import marker

TITLE_CHARS = 200


def drift_marker_key(key: str) -> str:
    return f"drift:{key}"


def issue_body(markdown: str, *, key: str, footer: str = "") -> str:
    """The issue's body: the same shape and limit as a comment (GitHub's limit is the same)."""
    return comment_body(markdown, key=drift_marker_key(key), footer=footer)


class DriftIssues:
    def __init__(self, api: GitHubApi, repository: str, *, key: str, author: str) -> None:
        self.api = api
        self.root = f"repos/{repository}/issues"
        self.key = key
        self.marker = marker(drift_marker_key(key))
        self.author = author
        self.what = f"drift issue of {key}"

    def find(self) -> int | None:
        """The number of our open drift issue for this key (the oldest)."""
        params = {"state": "open", "creator": self.author, "sort": "created", "direction": "asc"}
        for issue in self.api.pages(self.root, what=self.what, params=params):
            if not isinstance(issue, dict) or "pull_request" in issue:
                continue
            user = issue.get("user")
            if not isinstance(user, dict) or user.get("login") != self.author:
                continue
            if self.marker in str(issue.get("body") or "") and isinstance(issue.get("number"), int):
                return int(issue["number"])
        return None

    def report(self, *, drift: bool, body: str, closing_note: str) -> str:
        """Open, update or close the issue; what was done, in words."""
        number = self.find()
        if drift:
            title = f"Drift: {self.key} differs from git"[:TITLE_CHARS]
            if number is None:
                made = self.api.json(
                    "POST", self.root, what=self.what, json={"title": title, "body": body}
                )
                return f"issue #{made.get('number') if isinstance(made, dict) else '?'} opened"
            self.api.json(
                "PATCH",
                f"{self.root}/{number}",
                what=self.what,
                json={"title": title, "body": body},
            )
            return f"issue #{number} updated"
        if number is None:
            return "no drift, no open issue"
        self.api.json(
            "POST",
            f"{self.root}/{number}/comments",
            what=self.what,
            json={"body": closing_note},
        )
        self.api.json(
            "PATCH",
            f"{self.root}/{number}",
            what=self.what,
            json={"state": "closed", "state_reason": "completed"},
        )
        return f"issue #{number} closed"
