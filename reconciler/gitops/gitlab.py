"""The one door to GitLab's REST API v4 (notes, merge requests, pipelines, job artifacts).

The token goes in one header (`PRIVATE-TOKEN`, or `JOB-TOKEN` for `CI_JOB_TOKEN`) to the API
root the pipeline names (`CI_API_V4_URL`), and nowhere else: redirects are never followed with
it (requests would send custom headers again to the host a redirect names). A redirect is an
error, except for a download, which may follow it to object storage without any credential.
Plain http only on loopback. Foreign exceptions become one-line `ApiError`s here, whatever the
error body looks like (an object, a list, text).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from reconciler.errors import ApiError, TransportError
from reconciler.gitops import forge_http
from reconciler.redact import register_secret

PER_PAGE = 100
_MESSAGE_CHARS = 200


class GitLabApi:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        job_token: bool = False,
        session: requests.Session | None = None,
    ) -> None:
        check_url(api_url)
        register_secret(token)
        self.api_url = api_url.rstrip("/")
        self.session = session or requests.Session()
        # No credential from the environment: without an auth of its own, requests adds the
        # ~/.netrc entry of whatever host a request goes to (object storage, on a download).
        self.session.auth = _no_credentials
        # A CI_JOB_TOKEN authenticates with its own header; access tokens use PRIVATE-TOKEN.
        self._headers = {"JOB-TOKEN" if job_token else "PRIVATE-TOKEN": token}

    def url(self, path: str) -> str:
        return f"{self.api_url}/{path.lstrip('/')}"

    def call(self, method: str, path: str, *, what: str, **kwargs: Any) -> requests.Response:
        """One request with the token; any status of 300 or more is an ApiError."""
        url = self.url(path)
        response = self._send(method, url, self._headers, what, **kwargs)
        if 300 <= response.status_code < 400:
            target = urlsplit(urljoin(url, response.headers.get("Location", ""))).netloc
            raise ApiError(
                f"{what}: GitLab answered {method} {path} with a redirect to "
                f"{target or 'nowhere'}, not followed (the token is never sent on a redirect); "
                "set CI_API_V4_URL to the API's own address",
                status=response.status_code,
            )
        _raise_for_status(response, f"{what}: {method} {path}")
        return response

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], what: str, **kwargs: Any
    ) -> requests.Response:
        return forge_http.send(self.session, method, url, headers, what, **kwargs)

    def json(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        return body_json(self.call(method, path, what=what, **kwargs), what)

    def pages(
        self, path: str, *, what: str, params: Mapping[str, Any] | None = None
    ) -> Iterator[Any]:
        """Every element of a paged list (`X-Next-Page`)."""
        page: str | None = "1"
        while page:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            response = self.call("GET", path, what=what, params=query)
            data = body_json(response, what)
            if not isinstance(data, list):
                raise TransportError(f"{what}: GET {path}: GitLab did not answer with a list")
            yield from data
            page = response.headers.get("X-Next-Page") or None

    def download(self, path: str, *, what: str) -> bytes | None:
        """A file (a job artifact); None when GitLab says 404. GitLab may redirect a download
        to object storage: followed, over https (plain http on loopback only), without any
        credential."""
        response = forge_http.download(self.session, self.url(path), self._headers, what, "GitLab")
        if response.status_code == 404:
            return None
        _raise_for_status(response, f"{what}: download {path}")
        return response.content


def _no_credentials(request: requests.PreparedRequest) -> requests.PreparedRequest:
    return request


def _raise_for_status(response: requests.Response, subject: str) -> None:
    if response.status_code >= 400:
        raise ApiError(
            f"{subject} refused{hint(response.status_code)}"
            + (f" ({m})" if (m := error_message(response)) else ""),
            status=response.status_code,
            request_id=response.headers.get("X-Request-Id"),
        )


def project_path(project: str) -> str:
    return f"projects/{quote(project, safe='')}"


def hint(status: int) -> str:
    if status in (401, 403):
        return ": the token lacks a scope or role for this call"
    return ""


def error_message(response: requests.Response) -> str:
    """GitLab's error body in one short line: {"message": ...}, {"error": ...}, a list, text."""
    try:
        data: Any = response.json()
    except ValueError:
        data = response.text
    if isinstance(data, dict):
        data = data.get("message", data.get("error", ""))
    if isinstance(data, dict):
        data = "; ".join(f"{k}: {v}" for k, v in data.items())
    if isinstance(data, list):
        data = "; ".join(str(v) for v in data)
    text = " ".join(str(data or "").split())
    return text if len(text) <= _MESSAGE_CHARS else text[: _MESSAGE_CHARS - 3] + "..."


def body_json(response: requests.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise TransportError(f"{what}: GitLab answered with something that is not JSON") from None


def check_url(url: str) -> None:
    forge_http.check_url(url, "GitLab")
