"""One note per merge request with the plan, created once and then edited in place.

Talks to GitLab's REST API v4 (`/projects/:id/merge_requests/:iid/notes`: GET to find our note
by a hidden marker, POST to create it, PUT to edit it), with the endpoint, project and merge
request taken from the variables GitLab sets in merge request pipelines. The token goes only
into a request header; it is registered with `redact`, so no message can show it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from reconciler.errors import ApiError, ConfigError, TransportError
from reconciler.redact import register_secret

MARKER = "<!-- reconciler-plan -->"
# GitLab refuses notes over 1,000,000 characters; stay well under it.
MAX_NOTE_CHARS = 900_000
TIMEOUT_SECONDS = 30
_PER_PAGE = 100


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
    def notes_url(self) -> str:
        project = quote(self.project, safe="")
        return f"{self.api_url}/projects/{project}/merge_requests/{self.iid}/notes"

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
        _check_scheme(target.api_url)
        register_secret(token)
        self.target = target
        self.marker = marker(key)
        self.session = session or requests.Session()
        # A CI_JOB_TOKEN authenticates with its own header; access tokens use PRIVATE-TOKEN.
        self._headers = {"JOB-TOKEN" if job_token else "PRIVATE-TOKEN": token}

    def find_note(self) -> int | None:
        """The id of our note on the merge request (the oldest, if several carry the marker)."""
        page: str | None = "1"
        while page:
            params = {"per_page": _PER_PAGE, "page": page, "sort": "asc", "order_by": "created_at"}
            response = self._call("GET", self.target.notes_url, params=params)
            for note in _json(response, self.target):
                if isinstance(note, dict) and self.marker in str(note.get("body", "")):
                    return int(note["id"])
            page = response.headers.get("X-Next-Page") or None
        return None

    def upsert(self, body: str) -> tuple[str, int]:
        """Edit our note if it exists, else create it: ("updated" | "created", note id)."""
        note_id = self.find_note()
        if note_id is None:
            response = self._call("POST", self.target.notes_url, json={"body": body})
            action = "created"
        else:
            url = f"{self.target.notes_url}/{note_id}"
            response = self._call("PUT", url, json={"body": body})
            action = "updated"
        data = _json(response, self.target)
        return action, int(data["id"]) if isinstance(data, dict) and "id" in data else -1

    def _call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, url, headers=self._headers, timeout=TIMEOUT_SECONDS, **kwargs
            )
        except requests.RequestException as exc:
            raise TransportError(f"{self.target}: {method} notes: {type(exc).__name__}") from None
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", ""))
            except ValueError:
                message = ""
            hint = (
                ": the token needs the `api` scope and at least the Reporter role"
                if response.status_code in (401, 403)
                else ""
            )
            raise ApiError(
                f"{self.target}: {method} notes refused{hint}"
                + (f" ({message})" if message else ""),
                status=response.status_code,
                request_id=response.headers.get("X-Request-Id"),
            )
        return response


def _json(response: requests.Response, target: MergeRequest) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TransportError(f"{target}: GitLab answered with something that is not JSON") from None


def _check_scheme(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme != "http" or not loopback:
        raise ConfigError(f"{url}: GitLab's API must be https (plain http only on loopback)")
