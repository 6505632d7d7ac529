"""One comment per pull request and matrix entry with the plan, created once and then edited
in place, never over GitHub's 65,536 characters.

`GET /repos/{o}/{r}/issues/{n}/comments` (paged) finds ours by the hidden marker of its key
(`notes.marker`), `POST` the same path creates it, `PATCH .../issues/comments/{id}` edits it.
Only a comment written by the token's own account (`github-actions[bot]` for GITHUB_TOKEN) is
ever edited: anyone can paste the marker into a comment.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import TransportError
from reconciler.gitops.github import GitHubApi
from reconciler.gitops.notes import marker

MAX_COMMENT_CHARS = 65_536
DEFAULT_AUTHOR = "github-actions[bot]"
_CUT = "\n\n_The plan is longer than a comment can hold: see the run's plan artifact._"


def comment_body(markdown: str, *, key: str | None = None, footer: str = "") -> str:
    """The comment: the marker, the plan (which leads with its summary; cut at a line to
    fit), and the footer, in at most `MAX_COMMENT_CHARS` characters."""
    head = f"{marker(key)}\n"
    tail = f"\n\n{footer}\n" if footer else "\n"
    body = markdown.rstrip()
    room = MAX_COMMENT_CHARS - len(head) - len(tail)
    if len(body) > room:
        room -= len(_CUT)
        cut = body.rfind("\n", 0, room)
        body = body[: cut if cut > 0 else room] + _CUT
    return head + body + tail


class CommentsClient:
    def __init__(
        self, api: GitHubApi, repository: str, number: int, *, key: str | None, author: str
    ) -> None:
        self.api = api
        self.path = f"repos/{repository}/issues/{number}/comments"
        self.edit_root = f"repos/{repository}/issues/comments"
        self.marker = marker(key)
        self.author = author
        self.what = f"pull request #{number}: comments"

    def find(self) -> int | None:
        """The id of our comment: the oldest with the marker, written by `author`."""
        for comment in self.api.pages(self.path, what=self.what):
            if not isinstance(comment, dict) or self.marker not in str(comment.get("body", "")):
                continue
            user = comment.get("user")
            ours = isinstance(user, dict) and user.get("login") == self.author
            if ours and isinstance(comment.get("id"), int):
                return int(comment["id"])
        return None

    def upsert(self, body: str) -> tuple[str, int]:
        """Edit our comment if it exists, else create it: ("updated" | "created", id)."""
        found = self.find()
        if found is None:
            data = self.api.json("POST", self.path, what=self.what, json={"body": body})
            action = "created"
        else:
            path = f"{self.edit_root}/{found}"
            data = self.api.json("PATCH", path, what=self.what, json={"body": body})
            action = "updated"
        return action, _id(data, self.what)


def _id(data: Any, what: str) -> int:
    if isinstance(data, dict) and isinstance(data.get("id"), int):
        return int(data["id"])
    raise TransportError(f"{what}: GitHub answered without the comment's id")
