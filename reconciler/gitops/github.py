"""The one door to GitHub's REST API (pull requests, workflow runs, artifacts, comments,
issues), and what a workflow run tells about itself (its repository, event, run).

The token goes in one header (`Authorization: Bearer`) to the API root the operator's runner
sets (`GITHUB_API_URL`, which GitHub Actions sets; default https://api.github.com; never a URL
from an option, a manifest or an answer), and nowhere else: never on a redirect (requests
would send it again to the host a redirect names), never to a `Link` page that leaves the API
root, never from ~/.netrc or proxies' environment (`trust_env` off). An artifact download
answers 302 to blob storage: followed over https, without any credential. Plain http only on
loopback. Foreign exceptions become one-line `ApiError`s here.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from reconciler.errors import ApiError, ConfigError, TransportError
from reconciler.gitops import forge_http
from reconciler.gitops.gitlab import error_message
from reconciler.redact import register_secret

DEFAULT_API_URL = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 1_000
# A plan of a million items is some hundreds of MB; more is not a plan (or a zip bomb).
MAX_PLAN_BYTES = 2_000_000_000
API_VERSION = "2022-11-28"


class Gone(ApiError):
    """404 or 410: the thing (an expired or deleted artifact) is not there."""


class GitHubApi:
    def __init__(self, api_url: str, token: str, *, session: requests.Session | None = None):
        check_url(api_url)
        register_secret(token)
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        # No ~/.netrc, no proxy or CA settings from the environment: nothing but our header.
        self.session.trust_env = False
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }

    def url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

    def call(self, method: str, path_or_url: str, *, what: str, **kwargs: Any) -> requests.Response:
        """One request with the token; any status of 300 or more is an ApiError."""
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        self._check_ours(url, what)
        response = self._send(method, url, self._headers, what, **kwargs)
        if 300 <= response.status_code < 400:
            target = urlsplit(urljoin(url, response.headers.get("Location", ""))).netloc
            raise ApiError(
                f"{what}: GitHub answered {method} {urlsplit(url).path} with a redirect to "
                f"{target or 'nowhere'}, not followed (the token is never sent on a redirect)",
                status=response.status_code,
            )
        _raise_for_status(response, f"{what}: {method} {urlsplit(url).path}")
        return response

    def json(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        return body_json(self.call(method, path, what=what, **kwargs), what)

    def pages(
        self,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> Iterator[Any]:
        """Every element of a paged list, following `Link: <...>; rel="next"`; `key` names
        the list inside an object answer (`workflow_runs`, `jobs`, `artifacts`)."""
        url: str | None = self.url(path)
        query: Mapping[str, Any] | None = {**(params or {}), "per_page": PER_PAGE}
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = self.call("GET", url, what=what, params=query)
            data = body_json(response, what)
            if key is not None:
                data = data.get(key) if isinstance(data, dict) else None
            if not isinstance(data, list):
                raise TransportError(f"{what}: GET {path}: GitHub did not answer with a list")
            yield from data
            url, query = response.links.get("next", {}).get("url"), None  # next has the query
        raise TransportError(f"{what}: GET {path}: more than {MAX_PAGES} pages")

    def download(self, path: str, *, what: str) -> bytes:
        """A file (an artifact's zip). GitHub answers 302 to blob storage: followed, over https
        (plain http on loopback only), without any credential. 404 or 410: `Gone`."""
        response = forge_http.download(self.session, self.url(path), self._headers, what, "GitHub")
        if response.status_code in (404, 410):
            raise Gone(f"{what}: the artifact is gone", status=response.status_code)
        _raise_for_status(response, f"{what}: download")
        return response.content

    def _check_ours(self, url: str, what: str) -> None:
        """Only the API root gets the token: a `Link` elsewhere is refused."""
        if url != self.api_url and not url.startswith(self.api_url + "/"):
            raise ApiError(f"{what}: GitHub named a page outside {self.api_url}; not followed")

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], what: str, **kwargs: Any
    ) -> requests.Response:
        return forge_http.send(self.session, method, url, headers, what, **kwargs)


def _raise_for_status(response: requests.Response, subject: str) -> None:
    if response.status_code >= 400:
        hint = ""
        if response.status_code in (401, 403):
            hint = ": the token lacks a permission for this call (see the job's permissions:)"
        raise ApiError(
            f"{subject} refused{hint}" + (f" ({m})" if (m := error_message(response)) else ""),
            status=response.status_code,
            request_id=response.headers.get("X-GitHub-Request-Id"),
        )


def body_json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TransportError(f"{what}: GitHub answered with something that is not JSON") from None


def check_url(url: str) -> None:
    forge_http.check_url(url, "GitHub")


def file_in_zip(data: bytes, name: str, *, what: str) -> bytes | None:
    """One file of an artifact's zip (None when it has no such file)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            try:
                info = archive.getinfo(name)
            except KeyError:
                return None
            if info.file_size > MAX_PLAN_BYTES:
                raise ApiError(f"{what}: {name} is {info.file_size:,} bytes, too big for a plan")
            return archive.read(info)
    except (zipfile.BadZipFile, OSError, EOFError):
        raise TransportError(f"{what}: the artifact is not a readable zip") from None


@dataclass(frozen=True, slots=True)
class Run:
    """The workflow run a command runs in, from the variables GitHub Actions sets."""

    api_url: str
    repository: str  # owner/name
    sha: str
    event_name: str
    event: Mapping[str, Any]
    server_url: str
    run_id: str
    run_attempt: str

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, what: str) -> Run:
        missing = [n for n in ("GITHUB_REPOSITORY", "GITHUB_EVENT_PATH") if not env.get(n)]
        if missing:
            raise ConfigError(f"{what}: {', '.join(missing)} not set: run this in GitHub Actions")
        repository = env["GITHUB_REPOSITORY"]
        if repository.count("/") != 1 or not all(repository.split("/")):
            raise ConfigError(f"{what}: GITHUB_REPOSITORY={repository!r} is not owner/name")
        try:
            event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{what}: GITHUB_EVENT_PATH: cannot read: {exc.strerror}") from None
        except ValueError:
            raise ConfigError(f"{what}: GITHUB_EVENT_PATH is not JSON") from None
        if not isinstance(event, dict):
            raise ConfigError(f"{what}: GITHUB_EVENT_PATH is not a JSON object")
        return cls(
            api_url=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
            repository=repository,
            sha=env.get("GITHUB_SHA", ""),
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event=event,
            server_url=(env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/"),
            run_id=env.get("GITHUB_RUN_ID", ""),
            run_attempt=env.get("GITHUB_RUN_ATTEMPT", ""),
        )

    @property
    def repo_path(self) -> str:
        return f"repos/{self.repository}"

    @property
    def run_url(self) -> str | None:
        if not self.run_id:
            return None
        return f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"

    def pull_request_number(self) -> int | None:
        pull = self.event.get("pull_request")
        if isinstance(pull, dict) and isinstance(pull.get("number"), int):
            return int(pull["number"])
        return None
