"""The door to GitHub's API at its edges, with a stand-in transport: the token never leaves the
API root (no redirect followed with it, no Link elsewhere), downloads follow blob storage
without it and only over https, and whatever GitHub answers becomes one line."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from requests.adapters import BaseAdapter

from reconciler.errors import ApiError, ConfigError, Diagnostic, TransportError
from reconciler.gitops.github import GitHubApi, Gone, check_url, file_in_zip
from reconciler.manifest.report import github_annotations

API = "https://api.github.test"
SECRET = "ghs_unit_test_token_value"


class Answers(BaseAdapter):
    """Answers each request with `answer(request)`; keeps every request."""

    def __init__(
        self, answer: Callable[[requests.PreparedRequest], tuple[int, dict[str, str], bytes]]
    ):
        super().__init__()
        self.answer = answer
        self.seen: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.seen.append(request)
        if "boom" in (request.url or ""):
            raise requests.ConnectionError("refused")
        status, headers, body = self.answer(request)
        response = requests.Response()
        response.status_code = status
        response.headers.update(headers)
        response.raw = io.BytesIO(body)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


def api_with(answer: Any) -> tuple[GitHubApi, Answers]:
    adapter = Answers(answer)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return GitHubApi(API, SECRET, session=session), adapter


def test_a_redirect_of_an_api_call_is_not_followed() -> None:
    api, adapter = api_with(lambda r: (301, {"Location": "https://elsewhere.test/x"}, b""))
    with pytest.raises(ApiError, match=r"redirect to elsewhere\.test, not followed"):
        api.json("GET", "repos/o/r", what="test")
    assert len(adapter.seen) == 1


def test_a_download_follows_blob_storage_without_the_token() -> None:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        if request.url and request.url.startswith(API):
            return 302, {"Location": "https://blob.test/zip?sig=1"}, b""
        return 200, {}, b"zip bytes"

    api, adapter = api_with(answer)
    assert api.download("repos/o/r/actions/artifacts/1/zip", what="test") == b"zip bytes"
    assert adapter.seen[0].headers["Authorization"] == f"Bearer {SECRET}"
    assert "Authorization" not in adapter.seen[1].headers


@pytest.mark.parametrize(
    ("location", "expected"),
    [("http://blob.test/zip", "not https"), ("https://api.github.test/again", "more than 3")],
)
def test_a_download_refuses_plain_http_and_endless_redirects(location: str, expected: str) -> None:
    api, _ = api_with(lambda r: (302, {"Location": location}, b""))
    with pytest.raises(ApiError, match=expected):
        api.download("repos/o/r/actions/artifacts/1/zip", what="test")


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_artifact_is_gone(status: int) -> None:
    api, _ = api_with(lambda r: (status, {}, b'{"message": "Artifact has expired"}'))
    with pytest.raises(Gone):
        api.download("repos/o/r/actions/artifacts/1/zip", what="test")


@pytest.mark.parametrize(
    ("answer", "error", "expected"),
    [
        ((200, {}, b"<html>"), TransportError, "not JSON"),
        ((200, {}, b'{"a": 1}'), TransportError, "did not answer with a list"),
        (
            (500, {"X-GitHub-Request-Id": "R1"}, b'{"message": "Server Error"}'),
            ApiError,
            "Server Error",
        ),
        (
            (403, {}, b'{"message": "Resource not accessible by integration"}'),
            ApiError,
            "permission",
        ),
    ],
)
def test_whatever_github_answers_is_one_line(answer: Any, error: Any, expected: str) -> None:
    api, _ = api_with(lambda r: answer)
    with pytest.raises(error, match=expected) as caught:
        list(api.pages("repos/o/r/pulls/1/files", what="test"))
    assert "\n" not in str(caught.value) and SECRET not in str(caught.value)


def test_no_answer_is_one_line() -> None:
    api = GitHubApi("https://boom.test", SECRET)
    api.session.mount("https://", Answers(lambda r: (200, {}, b"")))
    with pytest.raises(TransportError, match="GET /x: ConnectionError"):
        api.json("GET", "x", what="test")


def test_the_api_url_must_be_https_except_on_loopback() -> None:
    check_url("https://api.github.com")
    check_url("http://127.0.0.1:8080")
    check_url("http://[::1]:8080/api/v3")
    for url in ("http://api.github.com", "ftp://x", "https://", "file:///etc/passwd"):
        with pytest.raises(ConfigError, match="must be https"):
            check_url(url)


def test_the_environment_adds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ~/.netrc, no proxy settings: trust_env is off."""
    api, _ = api_with(lambda r: (200, {}, b"[]"))
    assert api.session.trust_env is False


def test_a_zip_too_big_for_a_plan_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("plan.json", b"x" * 100)
    monkeypatch.setattr("reconciler.gitops.github.MAX_PLAN_BYTES", 10)
    with pytest.raises(ApiError, match="too big for a plan"):
        file_in_zip(buffer.getvalue(), "plan.json", what="test")


def test_annotations_cannot_start_another_workflow_command() -> None:
    hostile = Diagnostic("manifests/a,b:c.yaml", 3, 5, "bad %value\n::add-mask::x\r", "rule,x")
    line = github_annotations([hostile])
    assert line == (
        "::error file=manifests/a%2Cb%3Ac.yaml,line=3,col=5,title=rule%2Cx::"
        "bad %25value%0A::add-mask::x%0D"
    )
    assert "\n" not in line


def test_validate_annotates_problems_and_look_alikes_for_github(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from reconciler import cli

    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "manifests"
    folder.mkdir()
    exports = [
        {"path": "a.vcf", "location": "results/a.vcf"},
        {"path": "b.vcf", "location": "results/\u0430.vcf"},  # a Cyrillic a
    ]
    body = {"version": 1, "project": "lab/p", "defaults": {"volume": "lab/out"}, "exports": exports}
    (folder / "m.yaml").write_text(json.dumps(body, indent=2))

    assert cli.main(["validate", "--format", "github", "manifests"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("::warning file=manifests/m.yaml,line=") and "valid" in out

    (folder / "m.yaml").write_text("version: 1\nproject: lab/p\nexports: 3\n")
    assert cli.main(["validate", "--format", "github", "manifests"]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("::error file=manifests/m.yaml,line=3,")
    assert "error: 1 problem found" in captured.err
