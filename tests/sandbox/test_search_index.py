"""The search's index against the tree itself: on random small trees, a search of any folder
returns exactly what walking the tree through `GET /v2/files?parent=` finds below it (or
directly in it, without RECURSIVE), whichever way a page is found (a sorted scope or the walk
of the project's ids), in either order, paged by token; and a data folder written before paths
were stored is migrated when it is opened."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.sandbox import search_index
from reconciler.sandbox.server import Sandbox, start

from .helpers import US, MakeSandbox

pytestmark = pytest.mark.timeout(300)

TOKEN = "lab-token"
# Folder names around '/' in byte order ('-' '.' '/' '0'), where a path range could go wrong.
FOLDER_NAMES = st.sampled_from(["a", "a-", "a.", "a0", "b"])
FILE_NAMES = st.sampled_from(["f", "f.bam", "a-f", "a.f", "a0f"])
TREES = st.lists(
    st.tuples(st.lists(FOLDER_NAMES, max_size=3).map("/".join), st.none() | FILE_NAMES),
    min_size=1,
    max_size=25,
)


def seed(tree: list[tuple[str, str | None]]) -> dict[str, Any]:
    paths = {f"{folder}/{name}" if folder else name for folder, name in tree if name}
    paths |= {f"{folder}/" for folder, name in tree if folder and name is None}
    files = [
        {"project": project, "path": path, "size": 1}
        for project in ("lab/p", "lab/q")  # the same tree twice: a scope keeps to its project
        for path in sorted(paths)
    ]
    return {
        "tokens": [{"token": TOKEN, "username": "lab"}],
        "projects": [{"id": "lab/p", "location": US}, {"id": "lab/q", "location": US}],
        "files": files,
    }


class Tree:
    """What `GET /v2/files?parent=` shows: per folder path, its children's and every
    descendant's (id, type)."""

    def __init__(self, sandbox: Sandbox, project: str) -> None:
        self.http = requests.Session()
        self.http.headers["X-SBG-Auth-Token"] = TOKEN
        self.url = f"{sandbox.url}/files"
        self.children: dict[str, list[tuple[str, str]]] = {}
        self.below: dict[str, list[tuple[str, str]]] = {}
        self._walk("", {"project": project})

    def _walk(self, path: str, where: dict[str, str]) -> list[tuple[str, str]]:
        answer = self.http.get(self.url, params={**where, "limit": 100})
        assert answer.status_code == 200 and not answer.json()["links"], answer.text
        items = answer.json()["items"]
        self.children[path] = [(item["id"], item["type"]) for item in items]
        below = list(self.children[path])
        for item in items:
            if item["type"] == "folder":
                inner = f"{path}/{item['name']}" if path else item["name"]
                below += self._walk(inner, {"parent": item["id"]})
        self.below[path] = below
        return below


def searched(sandbox: Sandbox, query: str, limit: int) -> list[str]:
    """Every page's ids, following cont_token; each page's count the same."""
    ids: list[str] = []
    counts = set()
    token = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cont_token": token} if token else {})}
        answer = requests.post(
            f"{sandbox.url}/files/search",
            json={"query": query},
            params=params,
            headers={"X-SBG-Auth-Token": TOKEN},
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [entry["id"] for entry in body["result_set"]]
        counts.add(body["count"])
        token = body["cont_token"]
        if token is None:
            assert counts == {len(ids)}
            return ids


@settings(max_examples=30, deadline=None)
@given(
    tree=TREES,
    limit=st.integers(1, 7),
    walk=st.booleans(),
    descending=st.booleans(),
    kind=st.sampled_from([None, "file", "folder"]),
)
@pytest.mark.slow
def test_a_search_of_a_folder_is_the_tree_below_it(
    tree: list[tuple[str, str | None]], limit: int, walk: bool, descending: bool, kind: str | None
) -> None:
    # Walking by id is for large scopes and common matches; with both bounds at 0 every scope
    # is walked, at their defaults these small ones are sorted.
    bounds = (0, 0) if walk else (search_index.WALK_ABOVE, search_index.RARE_BELOW)
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock.patch.multiple(search_index, WALK_ABOVE=bounds[0], RARE_BELOW=bounds[1]),
    ):
        sandbox = start(Path(tmp), seed=seed(tree), port=0)
        try:
            walked = Tree(sandbox, "lab/p")
            where = f'WHERE type = "{kind.upper()}"' if kind else ""
            order = "ORDER BY id DESC" if descending else ""
            for path, below in walked.below.items():
                location = f'"/Projects/lab/p/{path}"'
                for recursive, expected in ((True, below), (False, walked.children[path])):
                    wanted = sorted(
                        (file_id for file_id, type_ in expected if kind in (None, type_)),
                        reverse=descending,
                    )
                    query = f"IN {location} {where} {order} {'RECURSIVE' if recursive else ''}"
                    assert searched(sandbox, query, limit) == wanted, query
        finally:
            sandbox.stop()


def test_a_data_folder_without_paths_is_migrated_on_open(
    make_sandbox: MakeSandbox, tmp_path: Path
) -> None:
    tree = [("a/b", "f.bam"), ("a/b", "f"), ("a0", "f"), ("a", None), ("", "f")]
    first = make_sandbox(seed(tree), data_dir=tmp_path)
    query = 'IN "/Projects/lab/p/a" RECURSIVE'
    before = searched(first, query, 2)
    paths = {row["id"]: row["path"] for row in first.query("SELECT id, path FROM files")}
    first.stop()
    with sqlite3.connect(tmp_path / "sandbox.db") as db:  # as an older sandbox left it
        db.execute("DROP INDEX files_by_path")
        db.execute("DROP INDEX files_by_project")
        db.execute("ALTER TABLE files DROP COLUMN path")
        db.execute("ALTER TABLE files DROP COLUMN added_at")
        db.execute("ALTER TABLE users DROP COLUMN advance_access")
    db.close()
    again = make_sandbox(data_dir=tmp_path)
    assert {row["id"]: row["path"] for row in again.query("SELECT id, path FROM files")} == paths
    assert searched(again, query, 2) == before and len(before) == 3  # b, b/f.bam, b/f; not a0/f
