"""A loopback stand-in for the parts of GitHub's REST API that reconciler uses, answering in
GitHub's shapes. Standard library only.

    GET   /repos/:o/:r/commits/:sha/pulls                 pull requests of a commit
    GET   /repos/:o/:r/pulls/:n/files                     filename, previous_filename, status
    GET   /repos/:o/:r/actions/runs?head_sha=&event=      {"total_count", "workflow_runs"}
    GET   /repos/:o/:r/actions/runs/:id/jobs?filter=all   {"total_count", "jobs"} (run_attempt)
    GET   /repos/:o/:r/actions/runs/:id/artifacts         {"total_count", "artifacts"}
    GET   /repos/:o/:r/actions/artifacts/:id/zip          302 to blob storage; 410 if expired
    GET   /repos/:o/:r/issues/:n/comments                 user.login, body
    POST  /repos/:o/:r/issues/:n/comments
    PATCH /repos/:o/:r/issues/comments/:id
    GET   /repos/:o/:r/issues?state=&creator=             issues (and pull requests, as GitHub)
    POST  /repos/:o/:r/issues
    PATCH /repos/:o/:r/issues/:n

Every list is paged by `per_page` (at most `page_size`, small by default so that the tests
cross pages) and `page`, with GitHub's `Link: <...>; rel="next"` header. Artifact zips are
served by a second server (`blob`, another port: another origin, as blob storage is) that
records whether a request carried a token. `link_elsewhere` makes every next link point to
that other origin (a hostile or broken API). Every request is recorded (method, path, query,
whether it carried a token).
"""

from __future__ import annotations

import io
import json
import re
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

TOKEN = "ghs_s3cr3tG1tHubT0kenValue0000000000"
BOT = "github-actions[bot]"


@dataclass
class State:
    tokens: dict[str, str] = field(default_factory=lambda: {TOKEN: BOT})
    pulls: list[dict[str, Any]] = field(default_factory=list)
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)  # sha -> numbers
    files: dict[int, list[str]] = field(default_factory=dict)  # number -> paths ("a -> b")
    runs: list[dict[str, Any]] = field(default_factory=list)
    jobs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # run id -> jobs
    artifacts: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # run id -> list
    blobs: dict[int, bytes] = field(default_factory=dict)  # artifact id -> zip
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # number -> list
    issues: list[dict[str, Any]] = field(default_factory=list)
    page_size: int = 2
    link_elsewhere: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 9000


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


class FakeGitHub:
    def __init__(self, repository: str = "lab/manifests") -> None:
        self.repository = repository
        self.state = State()
        self.lock = threading.Lock()
        self.blob_requests: list[dict[str, Any]] = []
        self.api = _Server(_api_handler(self))
        self.blob = _Server(_blob_handler(self))
        self.url = self.api.url

    def stop(self) -> None:
        self.api.stop()
        self.blob.stop()

    def new_id(self) -> int:
        with self.lock:
            self.state.next_id += 1
            return self.state.next_id

    def new_id_locked(self) -> int:
        """An id while the lock is held (in a request)."""
        self.state.next_id += 1
        return self.state.next_id

    def seen(self, method: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.state.requests if method is None or r["method"] == method]

    # What a workflow run leaves behind, as the tests' harness records it.

    def run(
        self,
        run_id: int,
        *,
        head_sha: str,
        path: str,
        event: str = "pull_request",
        head_branch: str = "add-exports",
    ) -> None:
        found = [r for r in self.state.runs if r["id"] == run_id]
        if not found:
            self.state.runs.append(
                {
                    "id": run_id,
                    "name": "reconciler",
                    "head_sha": head_sha,
                    "event": event,
                    "status": "completed",
                    "conclusion": "success",
                    "run_attempt": 1,
                    "path": path,
                    "head_branch": head_branch,
                    "head_repository": {"full_name": self.repository},
                    "pull_requests": [],
                }
            )

    def job(self, run_id: int, attempt: int, name: str, conclusion: str = "success") -> None:
        run = next(r for r in self.state.runs if r["id"] == run_id)
        run["run_attempt"] = max(run["run_attempt"], attempt)
        self.state.jobs.setdefault(run_id, []).append(
            {
                "id": self.new_id(),
                "run_id": run_id,
                "run_attempt": attempt,
                "name": name,
                "status": "completed",
                "conclusion": conclusion,
            }
        )

    def upload(self, run_id: int, name: str, files: dict[str, bytes]) -> str:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for filename, data in files.items():
                archive.writestr(filename, data)
        artifact_id = self.new_id()
        self.state.blobs[artifact_id] = buffer.getvalue()
        self.state.artifacts.setdefault(run_id, []).append(
            {
                "id": artifact_id,
                "node_id": f"MDg6QXJ0aWZhY3Q{artifact_id}",
                "name": name,
                "size_in_bytes": len(buffer.getvalue()),
                "url": f"{self.url}/repos/{self.repository}/actions/artifacts/{artifact_id}",
                "archive_download_url": (
                    f"{self.url}/repos/{self.repository}/actions/artifacts/{artifact_id}/zip"
                ),
                "expired": False,
                "workflow_run": {"id": run_id},
            }
        )
        return f"https://github.com/{self.repository}/actions/runs/{run_id}/artifacts/{artifact_id}"

    def our_comments(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.state.comments.get(number, []) if c["user"]["login"] == BOT]


_REPO = "/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"
_ROUTES = [
    ("GET", _REPO + r"/commits/(?P<sha>\w+)/pulls", "commit_pulls"),
    ("GET", _REPO + r"/pulls", "pulls"),
    ("GET", _REPO + r"/pulls/(?P<number>\d+)/files", "files"),
    ("GET", _REPO + r"/actions/runs", "runs"),
    ("GET", _REPO + r"/actions/runs/(?P<run>\d+)/jobs", "jobs"),
    ("GET", _REPO + r"/actions/runs/(?P<run>\d+)/artifacts", "artifacts"),
    ("GET", _REPO + r"/actions/artifacts/(?P<artifact>\d+)/zip", "zip"),
    ("GET", _REPO + r"/issues/(?P<number>\d+)/comments", "comments"),
    ("POST", _REPO + r"/issues/(?P<number>\d+)/comments", "add_comment"),
    ("PATCH", _REPO + r"/issues/comments/(?P<comment>\d+)", "edit_comment"),
    ("GET", _REPO + r"/issues", "issues"),
    ("POST", _REPO + r"/issues", "add_issue"),
    ("PATCH", _REPO + r"/issues/(?P<number>\d+)", "edit_issue"),
]


def _api_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length) or b"null")

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            auth = self.headers.get("Authorization") or ""
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            with fake.lock:
                fake.state.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": query,
                        "token": bool(auth),
                    }
                )
                login = fake.state.tokens.get(auth.removeprefix("Bearer "))
                if login is None:
                    self._send(401, {"message": "Bad credentials", "status": "401"})
                    return
                for method, pattern, name in _ROUTES:
                    match = re.fullmatch(pattern, parts.path)
                    if match and method == self.command:
                        args = match.groupdict()
                        if f"{args['owner']}/{args['repo']}" != fake.repository:
                            break
                        getattr(self, "_" + name)(fake.state, login, query, parts.path, **args)
                        return
                self._send(404, {"message": "Not Found", "status": "404"})

        def _paged(
            self, items: list[Any], query: dict[str, str], path: str, key: str | None = None
        ) -> None:
            """GitHub's paging: `per_page` (here at most `page_size`), `page`, and a Link
            header with the next page's whole URL (the query kept)."""
            state = fake.state
            per_page = min(int(query.get("per_page", "30")), state.page_size)
            page = int(query.get("page", "1"))
            chunk = items[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(items):
                root = fake.blob.url if state.link_elsewhere else fake.url
                link = f"{root}{path}?{urlencode({**query, 'page': page + 1})}"
                headers["Link"] = f'<{link}>; rel="next"'
            payload: Any = chunk if key is None else {"total_count": len(items), key: chunk}
            self._send(200, payload, headers)

        def _commit_pulls(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            numbers = state.commit_pulls.get(a["sha"], [])
            self._paged([pr for pr in state.pulls if pr["number"] in numbers], q, p)

        def _pulls(self, state: State, login: str, q: dict[str, str], p: str, **a: str) -> None:
            _owner, _, branch = q.get("head", ":").partition(":")
            found = [
                pr
                for pr in state.pulls
                if not branch or pr["head"].get("ref") == branch
                if q.get("state", "open") == "all"
                or pr.get("state", "open") == q.get("state", "open")
            ]
            self._paged(found, q, p)

        def _files(self, state: State, login: str, q: dict[str, str], p: str, **a: str) -> None:
            files = []
            for path in state.files.get(int(a["number"]), []):
                old, _, new = path.partition(" -> ")
                entry = {"sha": "0" * 40, "filename": new or old, "status": "modified"}
                if new:
                    entry.update(status="renamed", previous_filename=old)
                files.append(entry)
            self._paged(files, q, p)

        def _runs(self, state: State, login: str, q: dict[str, str], p: str, **a: str) -> None:
            runs = [
                r
                for r in sorted(state.runs, key=lambda r: -int(r["id"]))
                if q.get("head_sha") in (None, r["head_sha"])
                if q.get("event") in (None, r["event"])
            ]
            self._paged(runs, q, p, "workflow_runs")

        def _jobs(self, state: State, login: str, q: dict[str, str], p: str, **a: str) -> None:
            jobs = state.jobs.get(int(a["run"]), [])
            if q.get("filter", "latest") == "latest":
                latest = max((j["run_attempt"] for j in jobs), default=1)
                jobs = [j for j in jobs if j["run_attempt"] == latest]
            self._paged(jobs, q, p, "jobs")

        def _artifacts(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            self._paged(state.artifacts.get(int(a["run"]), []), q, p, "artifacts")

        def _zip(self, state: State, login: str, q: dict[str, str], p: str, **a: str) -> None:
            artifact_id = int(a["artifact"])
            listed = [x for xs in state.artifacts.values() for x in xs if x["id"] == artifact_id]
            if not listed or artifact_id not in state.blobs:
                self._send(404, {"message": "Not Found", "status": "404"})
            elif listed[0]["expired"]:
                self._send(410, {"message": "Artifact has expired", "status": "410"})
            else:
                location = f"{fake.blob.url}/blob/{artifact_id}?sig=signed"
                self._send(302, {}, {"Location": location})

        def _comments(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            self._paged(state.comments.get(int(a["number"]), []), q, p)

        def _add_comment(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            number = int(a["number"])
            body = self._body()["body"]
            if len(body) > 65_536:  # GitHub's limit on a comment's body
                self._send(422, {"message": "Validation Failed", "status": "422"})
                return
            comment = {
                "id": fake.new_id_locked(),
                "body": body,
                "user": {"login": login, "type": "Bot" if "[bot]" in login else "User"},
            }
            if number in {i["number"] for i in state.issues}:
                issue = next(i for i in state.issues if i["number"] == number)
                issue.setdefault("comment_bodies", []).append(comment["body"])
            else:
                state.comments.setdefault(number, []).append(comment)
            self._send(201, comment)

        def _edit_comment(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            found = [
                c for cs in state.comments.values() for c in cs if c["id"] == int(a["comment"])
            ]
            if not found:
                self._send(404, {"message": "Not Found", "status": "404"})
            elif found[0]["user"]["login"] != login:
                self._send(403, {"message": "Resource not accessible by integration"})
            else:
                body = self._body()["body"]
                if len(body) > 65_536:
                    self._send(422, {"message": "Validation Failed", "status": "422"})
                    return
                found[0]["body"] = body
                self._send(200, found[0])

        def _issues(self, state: State, login: str, q: dict[str, str], p: str, **a: str) -> None:
            issues = [
                i
                for i in sorted(state.issues, key=lambda i: i["number"])
                if q.get("state", "open") in ("all", i["state"])
                if q.get("creator") in (None, i["user"]["login"])
            ]
            shown = [{k: v for k, v in i.items() if k != "comment_bodies"} for i in issues]
            self._paged(shown, q, p)

        def _add_issue(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            body = self._body()
            issue = {
                "number": 100 + len(state.issues),
                "title": body["title"],
                "body": body.get("body", ""),
                "state": "open",
                "user": {"login": login},
            }
            state.issues.append(issue)
            self._send(201, issue)

        def _edit_issue(self, state: State, login: str, q: dict[str, str], p: str, **a: str):
            issue = next((i for i in state.issues if i["number"] == int(a["number"])), None)
            if issue is None:
                self._send(404, {"message": "Not Found", "status": "404"})
                return
            changes = self._body()
            issue.update({k: v for k, v in changes.items() if k in ("title", "body", "state")})
            self._send(200, issue)

    return Handler


def _blob_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Blob(BaseHTTPRequestHandler):
        """Blob storage: serves an artifact's zip by a signed URL, with no token."""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            fake.blob_requests.append(
                {"path": parts.path, "token": bool(self.headers.get("Authorization"))}
            )
            match = re.fullmatch(r"/blob/(\d+)", parts.path)
            data = fake.state.blobs.get(int(match.group(1))) if match else None
            if data is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Blob
