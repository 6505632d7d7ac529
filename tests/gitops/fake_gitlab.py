"""A loopback stand-in for the parts of GitLab's REST API v4 that reconciler uses, for the tests
and for scripts/gitlab-pipeline-check (run as a script, it serves until killed and writes its
URL to --url-file). Standard library only.

    GET  /api/v4/user                                            who the token is
    GET  /api/v4/projects/:id/merge_requests/:iid/notes          paged (X-Next-Page)
    POST /api/v4/projects/:id/merge_requests/:iid/notes
    PUT  /api/v4/projects/:id/merge_requests/:iid/notes/:note
    GET  /api/v4/projects/:id/repository/commits/:sha/merge_requests
    GET  /api/v4/projects/:id/repository/commits/:sha           (parent_ids)
    GET  /api/v4/projects/:id/merge_requests/:iid/pipelines     newest first
    GET  /api/v4/projects/:id/merge_requests/:iid/diffs         paged: old_path, new_path, ...
    GET  /api/v4/projects/:id/pipelines/:pipeline/jobs          paged; a job marked
                                                                 "retried" only with
                                                                 include_retried=true
    GET  /api/v4/projects/:id/jobs/:job/artifacts/:file

Faults: `fail_next` answers that many requests with 500; `redirect_to` answers every API
request with a 302 to that URL; `error_body` is the JSON body of those failures;
`artifact_redirect` answers artifact downloads with a 302 to that root's `/_fake/blob/JOB/NAME`,
which serves the artifact without asking for a token (as object storage does). Control (no
token): GET /_fake/state dumps the state with every request seen (method, path, and whether it
carried a token); POST /_fake/state merges a JSON object into the state.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "glpat-s3cr3t-n0te-t0ken-value"
USER_ID = 77


@dataclass
class State:
    tokens: dict[str, int] = field(default_factory=lambda: {TOKEN: USER_ID})
    # "iid" -> notes: {"id", "body", "author": {"id"}}
    notes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # each: iid, state, target_branch, sha, merge_commit_sha, squash_commit_sha, merged_at
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    commit_merge_requests: dict[str, list[int]] = field(default_factory=dict)  # sha -> iids
    parents: dict[str, list[str]] = field(default_factory=dict)  # sha -> parent_ids
    pipelines: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # iid -> list
    jobs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # pipeline id -> jobs
    diffs: dict[str, list[str]] = field(default_factory=dict)  # iid -> changed paths
    artifacts: dict[str, dict[str, str]] = field(default_factory=dict)  # job id -> name -> text
    fail_next: int = 0
    redirect_to: str | None = None
    artifact_redirect: str | None = None
    error_body: Any = field(default_factory=lambda: {"message": "500 Internal Server Error"})
    requests: list[dict[str, Any]] = field(default_factory=list)


_API = "/api/v4/projects/(?P<project>[^/]+)"
_ROUTES = [
    ("GET", re.compile(r"/api/v4/user"), "user"),
    ("GET", re.compile(_API + r"/merge_requests/(?P<iid>\d+)/notes"), "notes"),
    ("POST", re.compile(_API + r"/merge_requests/(?P<iid>\d+)/notes"), "add_note"),
    ("PUT", re.compile(_API + r"/merge_requests/(?P<iid>\d+)/notes/(?P<note>\d+)"), "edit_note"),
    ("GET", re.compile(_API + r"/repository/commits/(?P<sha>\w+)/merge_requests"), "commit_mrs"),
    ("GET", re.compile(_API + r"/repository/commits/(?P<sha>\w+)"), "commit"),
    ("GET", re.compile(_API + r"/merge_requests/(?P<iid>\d+)/pipelines"), "mr_pipelines"),
    ("GET", re.compile(_API + r"/merge_requests/(?P<iid>\d+)/diffs"), "mr_diffs"),
    ("GET", re.compile(_API + r"/pipelines/(?P<pipeline>\d+)/jobs"), "jobs"),
    ("GET", re.compile(_API + r"/jobs/(?P<job>\d+)/artifacts/(?P<name>.+)"), "artifact"),
]


class FakeGitLab:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = State()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.url = f"http://{host}:{self.server.server_address[1]}/api/v4"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeGitLab:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def seen(self, method: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.state.requests if method is None or r["method"] == method]

    def our_notes(self, iid: int | str, marker: str) -> list[dict[str, Any]]:
        return [n for n in self.state.notes.get(str(iid), []) if marker in n["body"]]


def _handler(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
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
            if parts.path == "/_fake/state":
                self._control()
                return
            token = self.headers.get("PRIVATE-TOKEN") or self.headers.get("JOB-TOKEN")
            state = fake.state
            with fake.lock:
                state.requests.append(
                    {"method": self.command, "path": parts.path, "token": token is not None}
                )
                if parts.path.startswith("/_fake/blob/"):
                    job, _, name = parts.path.removeprefix("/_fake/blob/").partition("/")
                    self._artifact(state, 0, {}, job=job, name=name)
                    return
                if state.redirect_to:
                    self._send(302, {}, {"Location": state.redirect_to + parts.path})
                    return
                if state.fail_next > 0:
                    state.fail_next -= 1
                    self._send(500, state.error_body)
                    return
                user = state.tokens.get(token or "")
                if user is None:
                    self._send(401, {"message": "401 Unauthorized"})
                    return
                for method, pattern, name in _ROUTES:
                    match = pattern.fullmatch(parts.path)
                    if match and method == self.command:
                        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                        args = {k: unquote(v) for k, v in match.groupdict().items()}
                        getattr(self, "_" + name)(state, user, query, **args)
                        return
                self._send(404, {"message": "404 Not Found"})

        def _control(self) -> None:
            with fake.lock:
                if self.command == "POST":
                    changes = self._body()
                    for key, value in changes.items():
                        setattr(fake.state, key, value)
                self._send(200, asdict(fake.state))

        def _paged(self, items: list[Any], query: dict[str, str]) -> None:
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
            chunk = items[(page - 1) * per_page : page * per_page]
            more = page * per_page < len(items)
            self._send(200, chunk, {"X-Next-Page": str(page + 1) if more else ""})

        def _user(self, state: State, user: int, query: dict[str, str], **_: str) -> None:
            self._send(200, {"id": user, "username": f"user{user}"})

        def _notes(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            self._paged(state.notes.get(a["iid"], []), query)

        def _add_note(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            notes = state.notes.setdefault(a["iid"], [])
            note_id = 1000 + sum(len(n) for n in state.notes.values())
            note = {"id": note_id, "body": self._body()["body"], "author": {"id": user}}
            notes.append(note)
            self._send(201, note)

        def _edit_note(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            notes = state.notes.get(a["iid"], [])
            note = next((n for n in notes if n["id"] == int(a["note"])), None)
            if note is None:
                self._send(404, {"message": "404 Note Not Found"})
            elif note["author"]["id"] != user:
                self._send(403, {"message": "403 Forbidden"})
            else:
                note["body"] = self._body()["body"]
                self._send(200, note)

        def _commit_mrs(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            iids = state.commit_merge_requests.get(a["sha"], [])
            self._send(200, [mr for mr in state.merge_requests if mr["iid"] in iids])

        def _commit(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            if a["sha"] not in state.parents:
                self._send(404, {"message": "404 Commit Not Found"})
                return
            self._send(200, {"id": a["sha"], "parent_ids": state.parents[a["sha"]]})

        def _mr_pipelines(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            found = sorted(state.pipelines.get(a["iid"], []), key=lambda p: -int(p["id"]))
            self._send(200, found)

        def _mr_diffs(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            # GitLab's shape; "OLD -> NEW" is a rename, one entry with both paths.
            diffs = []
            for path in state.diffs.get(a["iid"], []):
                old, _, new = path.partition(" -> ")
                diffs.append(
                    {
                        "old_path": old,
                        "new_path": new or old,
                        "new_file": False,
                        "renamed_file": bool(new),
                        "deleted_file": False,
                        "diff": "@@ -1 +1 @@\n",
                    }
                )
            self._paged(diffs, query)

        def _jobs(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            # GitLab lists a retried job's earlier attempts only when asked to.
            jobs = state.jobs.get(a["pipeline"], [])
            if query.get("include_retried") != "true":
                jobs = [j for j in jobs if not j.get("retried")]
            self._paged([{k: v for k, v in j.items() if k != "retried"} for j in jobs], query)

        def _artifact(self, state: State, user: int, query: dict[str, str], **a: str) -> None:
            if user and state.artifact_redirect:
                where = f"{state.artifact_redirect}/_fake/blob/{a['job']}/{a['name']}"
                self._send(302, {}, {"Location": where})
                return
            text = state.artifacts.get(a["job"], {}).get(a["name"])
            if text is None:
                self._send(404, {"message": "404 Not found"})
            else:
                self._send(200, text.encode())

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--url-file", required=True)
    args = parser.parse_args()
    fake = FakeGitLab(args.host)
    Path(args.url_file).write_text(fake.url + "\n", encoding="utf-8")
    fake.server.serve_forever()


if __name__ == "__main__":
    main()
