"""The merge request note against a loopback stand-in for GitLab's notes API
(`GET/POST/PUT /projects/:id/merge_requests/:iid/notes`, paged with `X-Next-Page`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.cli import main
from reconciler.gitops.notes import MARKER

TOKEN = "glpat-s3cr3t-n0te-t0ken-value"
NOTES_PATH = "/api/v4/projects/42/merge_requests/7/notes"


@dataclass
class FakeGitLab:
    notes: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refuse_with: int | None = None
    url: str = ""


def _handler(state: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _authorized(self) -> bool:
            state.requests.append((self.command, self.path))
            if state.refuse_with:
                self._send(state.refuse_with, {"message": "403 Forbidden"})
                return False
            if self.headers.get("PRIVATE-TOKEN") != TOKEN:
                self._send(401, {"message": "401 Unauthorized"})
                return False
            return True

        def _body(self) -> dict[str, Any]:
            length = int(self.headers.get("Content-Length", "0"))
            data: dict[str, Any] = json.loads(self.rfile.read(length))
            return data

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            if not self._authorized() or parts.path != NOTES_PATH:
                return
            query = parse_qs(parts.query)
            page, per_page = int(query["page"][0]), int(query["per_page"][0])
            chunk = state.notes[(page - 1) * per_page : page * per_page]
            more = page * per_page < len(state.notes)
            self._send(200, chunk, {"X-Next-Page": str(page + 1) if more else ""})

        def do_POST(self) -> None:
            if not self._authorized() or self.path != NOTES_PATH:
                return
            note = {"id": 1000 + len(state.notes), "body": self._body()["body"]}
            state.notes.append(note)
            self._send(201, note)

        def do_PUT(self) -> None:
            if not self._authorized():
                return
            note_id = int(self.path.rsplit("/", 1)[1])
            note = next(n for n in state.notes if n["id"] == note_id)
            note["body"] = self._body()["body"]
            self._send(200, note)

    return Handler


@pytest.fixture
def gitlab(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitLab]:
    # 150 notes by people before ours: finding ours takes the second page.
    state = FakeGitLab(notes=[{"id": i, "body": f"looks good {i}"} for i in range(150)])
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    monkeypatch.setenv("CI_API_V4_URL", state.url)
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "7")
    monkeypatch.setenv("CI_PIPELINE_URL", "https://gitlab.example/lab/manifests/-/pipelines/9")
    monkeypatch.setenv("CI_PIPELINE_ID", "9")
    monkeypatch.setenv("CI_COMMIT_SHORT_SHA", "abc12345")
    monkeypatch.setenv("GITLAB_NOTE_TOKEN", TOKEN)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _ours(state: FakeGitLab) -> list[dict[str, Any]]:
    return [n for n in state.notes if MARKER in n["body"]]


def test_first_run_creates_the_note_and_the_second_edits_it(
    gitlab: FakeGitLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan_md = tmp_path / "plan.md"
    plan_md.write_text("**Plan:** 2 to move\n")
    assert main(["gitlab-note", str(plan_md)]) == 0
    assert [m for m, _ in gitlab.requests].count("POST") == 1
    [note] = _ours(gitlab)
    assert "**Plan:** 2 to move" in note["body"]
    assert "[pipeline 9](https://gitlab.example/lab/manifests/-/pipelines/9)" in note["body"]
    first = capsys.readouterr()

    gitlab.requests.clear()
    plan_md.write_text("**Plan:** 3 to move\n")
    assert main(["gitlab-note", str(plan_md)]) == 0
    methods = [m for m, _ in gitlab.requests]
    assert "POST" not in methods
    assert methods.count("PUT") == 1
    assert (
        "PUT",
        f"/api/v4/projects/42/merge_requests/7/notes/{note['id']}",
    ) in gitlab.requests
    [edited] = _ours(gitlab)
    assert edited["id"] == note["id"]
    assert "3 to move" in edited["body"] and "2 to move" not in edited["body"]
    assert len(gitlab.notes) == 151
    second = capsys.readouterr()
    assert "updated" in second.err and "created" in first.err
    for captured in (first, second):
        assert TOKEN not in captured.out + captured.err


def test_a_refusal_is_one_line_without_the_token(
    gitlab: FakeGitLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitlab.refuse_with = 403
    plan_md = tmp_path / "plan.md"
    plan_md.write_text("plan\n")
    assert main(["gitlab-note", str(plan_md)]) == 1
    captured = capsys.readouterr()
    assert "merge request !7 of project 42" in captured.err
    assert "HTTP 403" in captured.err and "api` scope" in captured.err
    assert TOKEN not in captured.out + captured.err
    assert "Traceback" not in captured.err


def test_without_a_token_it_does_nothing(
    gitlab: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITLAB_NOTE_TOKEN")
    plan_md = tmp_path / "plan.md"
    plan_md.write_text("plan\n")
    assert main(["gitlab-note", str(plan_md)]) == 0
    assert gitlab.requests == []
    assert "GITLAB_NOTE_TOKEN is not set" in capsys.readouterr().err


def test_outside_a_merge_request_pipeline_it_says_what_is_missing(
    gitlab: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI_MERGE_REQUEST_IID")
    plan_md = tmp_path / "plan.md"
    plan_md.write_text("plan\n")
    assert main(["gitlab-note", str(plan_md)]) == 1
    assert "CI_MERGE_REQUEST_IID not set" in capsys.readouterr().err
    assert gitlab.requests == []


def test_plain_http_is_refused_off_loopback(
    gitlab: FakeGitLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI_API_V4_URL", "http://gitlab.example/api/v4")
    plan_md = tmp_path / "plan.md"
    plan_md.write_text("plan\n")
    assert main(["gitlab-note", str(plan_md)]) == 1
    assert "must be https" in capsys.readouterr().err


def test_each_key_keeps_its_own_note(gitlab: FakeGitLab, tmp_path: Path) -> None:
    plan_md = tmp_path / "plan.md"
    for round_ in ("first", "second"):
        for key in ("cgc/lab/a", "aws-us/lab/b"):
            plan_md.write_text(f"{round_} plan of {key}\n")
            assert main(["gitlab-note", str(plan_md), "--key", key]) == 0
    ours = [n for n in gitlab.notes if "reconciler-plan:" in n["body"]]
    assert len(ours) == 2
    assert "second plan of cgc/lab/a" in ours[0]["body"]
    assert "second plan of aws-us/lab/b" in ours[1]["body"]
    assert [m for m, _ in gitlab.requests].count("POST") == 2
