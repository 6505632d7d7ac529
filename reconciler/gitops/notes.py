"""One note per merge request with the plan, created once and then edited in place.

Talks to GitLab's REST API v4 through `gitlab.GitLabApi` (`GET /user` for who the token is,
`/projects/:id/merge_requests/:iid/notes`: GET to find our note by a hidden marker, POST to
create it, PUT to edit it), with the endpoint, project and merge request taken from the
variables GitLab sets in merge request pipelines. Only a note written by the token's own user
is ever edited: anyone can paste the marker into a comment. The token goes only into a request
header, never on a redirect, and is registered with `redact`, so no message can show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from reconciler.errors import ConfigError, TransportError
from reconciler.gitops.gitlab import GitLabApi, project_path

MARKER = "<!-- reconciler-plan -->"
# GitLab refuses notes over 1,000,000 characters; stay well under it.
MAX_NOTE_CHARS = 900_000


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """Where the note goes: GitLab's API root (`CI_API_V4_URL`), the project (`CI_PROJECT_ID`)
    and the merge request (`CI_MERGE_REQUEST_IID`)."""

    api_url: str
    project: str
    iid: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MergeRequest:
        names = ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID")
        missing = [name for name in names if not env.get(name)]
        if missing:
            raise ConfigError(
                f"merge request note: {', '.join(missing)} not set; the note is posted from "
                "merge request pipelines (rules: if: $CI_PIPELINE_SOURCE == 'merge_request_event')"
            )
        return cls(
            env["CI_API_V4_URL"].rstrip("/"), env["CI_PROJECT_ID"], env["CI_MERGE_REQUEST_IID"]
        )

    @property
    def notes_path(self) -> str:
        return f"{project_path(self.project)}/merge_requests/{self.iid}/notes"

    def __str__(self) -> str:
        return f"merge request !{self.iid} of project {self.project}"


def marker(key: str | None = None) -> str:
    """The hidden line that identifies our note; `key` tells apart the notes of several plan
    jobs on one merge request (one per platform and project)."""
    if not key:
        return MARKER
    safe = key.replace("--", "-").replace(">", "")  # nothing that could close the comment
    return f"<!-- reconciler-plan:{safe} -->"


def note_body(markdown: str, *, key: str | None = None, footer: str = "") -> str:
    """The note: the marker that finds it again, the plan, and where it came from."""
    body = markdown.rstrip()
    if len(body) > MAX_NOTE_CHARS:
        cut = body.rfind("\n", 0, MAX_NOTE_CHARS)
        body = body[: cut if cut > 0 else MAX_NOTE_CHARS] + (
            "\n\n_The plan is longer than a note can hold: see the plan artifacts of the job._"
        )
    return f"{marker(key)}\n{body}\n" + (f"\n{footer}\n" if footer else "")


class NotesClient:
    def __init__(
        self,
        target: MergeRequest,
        token: str,
        *,
        key: str | None = None,
        job_token: bool = False,
        session: requests.Session | None = None,
    ) -> None:
        self.target = target
        self.marker = marker(key)
        self.api = GitLabApi(target.api_url, token, job_token=job_token, session=session)
        self._what = f"{target}: notes"

    def own_user_id(self) -> int:
        """The id of the user the token belongs to (`GET /user`)."""
        user = self.api.json("GET", "user", what=f"{self.target}: who is the token")
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise TransportError(f"{self.target}: GET /user answered without a user id")
        return int(user["id"])

    def find_note(self, author_id: int) -> int | None:
        """The id of our note: the oldest carrying the marker and written by `author_id`."""
        params = {"sort": "asc", "order_by": "created_at"}
        for note in self.api.pages(self.target.notes_path, what=self._what, params=params):
            if not isinstance(note, dict) or self.marker not in str(note.get("body", "")):
                continue
            author = note.get("author")
            if isinstance(author, dict) and author.get("id") == author_id:
                return int(note["id"])
        return None

    def upsert(self, body: str) -> tuple[str, int]:
        """Edit our note if it exists, else create it: ("updated" | "created", note id)."""
        note_id = self.find_note(self.own_user_id())
        if note_id is None:
            data = self.api.json(
                "POST", self.target.notes_path, what=self._what, json={"body": body}
            )
            action = "created"
        else:
            path = f"{self.target.notes_path}/{note_id}"
            data = self.api.json("PUT", path, what=self._what, json={"body": body})
            action = "updated"
        return action, _note_id(data)


def _note_id(data: Any) -> int:
    if isinstance(data, dict) and isinstance(data.get("id"), int):
        return int(data["id"])
    return -1
