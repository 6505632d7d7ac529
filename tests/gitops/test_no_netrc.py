"""Requests to GitLab and to the object storage a download is redirected to carry no credential
from the environment (issue 22): requests would add the host's ~/.netrc entry to any request
that has no auth of its own."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.gitops.gitlab import GitLabApi
from tests.reliability.secret import SECRET_TOKEN

NETRC_PASSWORD = "netrc-pa55word-for-loopback"


class Recorder:
    """A loopback server: GitLab's artifact route redirects to its own /blob (object storage),
    which answers the artifact; every request's Authorization header is kept."""

    def __init__(self) -> None:
        self.authorizations: list[tuple[str, str | None]] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                recorder.authorizations.append((self.path, self.headers.get("Authorization")))
                if self.path.startswith("/api/v4/projects/1/jobs/2/artifacts/"):
                    self.send_response(302)
                    self.send_header("Location", f"{recorder.base}/blob/plan.json")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"id": 1}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login someone password {NETRC_PASSWORD}\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    running = Recorder()
    yield running
    running.stop()


def test_a_redirected_artifact_download_carries_no_netrc_credentials(recorder: Recorder) -> None:
    api = GitLabApi(f"{recorder.base}/api/v4", "glpat-test-token-value")
    assert api.download("projects/1/jobs/2/artifacts/plan.json", what="plan") == b'{"id": 1}'
    paths = [path for path, _ in recorder.authorizations]
    assert paths == ["/api/v4/projects/1/jobs/2/artifacts/plan.json", "/blob/plan.json"]
    assert [auth for _, auth in recorder.authorizations] == [None, None]


def test_gitlab_calls_carry_no_netrc_credentials(recorder: Recorder) -> None:
    api = GitLabApi(f"{recorder.base}/api/v4", "glpat-test-token-value")
    assert api.json("GET", "user", what="who") == {"id": 1}
    assert recorder.authorizations == [("/api/v4/user", None)]


def test_api_calls_carry_the_token_header_only(recorder: Recorder) -> None:
    config = ApiConfig(endpoint=f"{recorder.base}/v2", token=SECRET_TOKEN)
    with ApiClient(config) as client:
        client.transport.call("GET", "/user", kind="get_user")
    assert recorder.authorizations == [("/v2/user", None)]


def test_the_netrc_file_would_be_read_by_a_plain_session(recorder: Recorder) -> None:
    # The planted file is one requests reads: the tests above are not passing by accident.
    requests.get(f"{recorder.base}/plain", timeout=5)
    expected = base64.b64encode(f"someone:{NETRC_PASSWORD}".encode()).decode()
    assert recorder.authorizations == [("/plain", f"Basic {expected}")]
