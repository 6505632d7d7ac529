"""Globs discovered by the platform's file search read what listing reads (issue: discovery).

Random small worlds and manifests (those of `test_live_property.py`), each seeded into the
sandbox on a real port: the plan read with `discovery: search` must equal the plan read by
listing, and so must the project files the two readings found. The same when the search
cannot be used: refused for want of advance access (the seed's flag, 403), refused by a
loopback proxy in front of the sandbox (404, 400), or answered in another shape (no
`result_set`, a continuation token that comes back): every glob falls back to listing, and
the reader says so. With the sandbox's `search_lag`, a file added moments ago is missing from
the search: that plan misses it, and exports nothing the listing plan would not.

Hypothesis runs with a fixed seed (`derandomize`) and a bounded number of examples.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, reject, settings

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.retry import RetryPolicy
from reconciler.core.live import LiveFile, LiveState
from reconciler.errors import ManifestError
from reconciler.live import search
from reconciler.live.progress import ReadWatch
from reconciler.live.read import read
from reconciler.manifest.load import load_manifests
from reconciler.manifest.models import ManifestSet
from reconciler.plan.model import Plan
from reconciler.plan.planner import build_plan
from reconciler.sandbox.server import Sandbox, start
from tests.reliability.proxy import HostileProxy, Reply, Rule
from tests.reliability.secret import SECRET_TOKEN
from tests.test_live_property import (
    CONTEXT,
    PROJECT,
    differences,
    files_st,
    jobs_st,
    manifest_body,
    objects_st,
    rules_st,
    world_seed,
)

SEARCH = r"POST /v2/files/search"
# How the search answers, and what the proxy in front of the sandbox says instead.
FAULTS: dict[str, Reply | None] = {
    "answered": None,
    "no advance access": None,  # the sandbox's own 403, from the seed
    "not found": Reply(404, {"status": 404, "code": 90003, "message": "not found"}),
    "bad query": Reply(400, {"status": 400, "code": 90000, "message": "cannot read the query"}),
    "no result_set": Reply(200, {"count": 3}),
    "a token that repeats": Reply(200, {"count": 9, "cont_token": "again", "result_set": []}),
    "not JSON": Reply(200, "<html>search is down</html>", "text/html"),
}


def project_files(live: LiveState) -> dict[str, LiveFile]:
    """The files (not folders) of the project's tree, by path."""
    return {p: f for p, f in live.projects[PROJECT].by_path.items() if not f.is_folder}


@contextmanager
def served(seed: dict[str, Any], fault: str) -> Iterator[tuple[ApiClient, Sandbox]]:
    """A client on the sandbox (through a proxy that answers the search with `fault`)."""
    if fault == "no advance access":
        seed = {**seed, "tokens": [{**seed["tokens"][0], "advance_access": False}]}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sandbox = start(Path(tmp), seed=seed, job_pace=3600.0)
        stack.callback(sandbox.stop)
        url = sandbox.url
        answer = FAULTS[fault]
        if answer is not None:
            proxy = stack.enter_context(HostileProxy(sandbox.url))
            proxy.rule = Rule(SEARCH, lambda upstream: answer)
            url = proxy.url
        # Unreadable answers are retried as for an endpoint that looks down: briefly here.
        config = ApiConfig(endpoint=url, token=SECRET_TOKEN, connect_timeout=1, read_timeout=2)
        client = stack.enter_context(ApiClient(config))
        client.transport.retry = RetryPolicy(unreachable_deadline=0.5)
        yield client, sandbox


def load(tmp: str, body: dict[str, Any]) -> ManifestSet:
    path = Path(tmp) / "m.yaml"
    path.write_text(json.dumps(body), encoding="utf-8")
    return load_manifests([path], root=Path(tmp))


def plan_of(client: ApiClient, manifests: ManifestSet, **how: Any) -> tuple[Plan, LiveState]:
    reading = read(client, manifests.rules, **how)
    plan = build_plan(manifests, reading.live, context=CONTEXT, resolution=reading.resolution)
    return plan, reading.live


def searched(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.request_log() if r["path"].startswith("/v2/files/search"))


SETTINGS: dict[str, Any] = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def check_world(fault: str, files: Any, objects: Any, jobs: Any, rules: Any) -> None:
    seed = world_seed(files, objects, [j for j in jobs if j[4] == "FAILED"])
    with tempfile.TemporaryDirectory() as tmp:
        try:
            manifests = load(tmp, manifest_body(rules, files))
        except ManifestError:
            reject()
        with served(seed, fault) as (client, sandbox):
            listed, listed_live = plan_of(client, manifests, discovery="list")
            assert searched(sandbox) == 0
            warnings: list[str] = []
            found, found_live = plan_of(
                client, manifests, discovery="search", watch=ReadWatch(warn=warnings.append)
            )
            asked = searched(sandbox)

    assert found == listed, "\n".join(differences(found, listed))
    assert project_files(found_live) == project_files(listed_live)
    if fault == "answered":
        assert warnings == []
    elif asked:
        # One line says the search is not used and why; a refused query, one per glob.
        assert warnings and all("listing" in w for w in warnings)
        assert fault == "bad query" or len(warnings) == 1


@settings(max_examples=60, **SETTINGS)
@given(files=files_st, objects=objects_st, jobs=jobs_st, rules=rules_st)
@pytest.mark.slow
def test_the_plan_found_by_search_equals_the_plan_found_by_listing(
    files: Any, objects: Any, jobs: Any, rules: Any
) -> None:
    check_world("answered", files, objects, jobs, rules)


@pytest.mark.parametrize("fault", [f for f in FAULTS if f != "answered"])
@settings(max_examples=12, **SETTINGS)
@given(files=files_st, objects=objects_st, jobs=jobs_st, rules=rules_st)
@pytest.mark.slow
def test_a_search_that_cannot_be_used_falls_back_to_listing_and_the_same_plan(
    fault: str, files: Any, objects: Any, jobs: Any, rules: Any
) -> None:
    check_world(fault, files, objects, jobs, rules)


LAG_SEED: dict[str, Any] = {
    "tokens": [{"token": SECRET_TOKEN, "username": "lab"}],
    "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
    "volumes": [
        {"id": "lab/out", "location": "aws:us-east-1", "service": {"type": "s3", "bucket": "o"}}
    ],
    "files": [
        {"project": PROJECT, "path": f"results/s{n}/r.bam", "size": 10 + n} for n in range(3)
    ],
}
LAG_MANIFEST = {
    "version": 1,
    "project": PROJECT,
    "exports": [{"glob": "results/**/*.bam", "location": "{path}", "volume": "lab/out"}],
}


def test_a_file_the_lagging_index_does_not_know_yet_is_missed_never_exported_wrongly() -> None:
    with tempfile.TemporaryDirectory() as tmp, served(LAG_SEED, "answered") as (client, sandbox):
        manifests = load(tmp, LAG_MANIFEST)
        sandbox.configure(search_lag=3600.0)
        added = requests.post(
            sandbox.url.removesuffix("/v2") + "/_sandbox/files",
            json={"project": PROJECT, "path": "results/s9/new.bam", "size": 5},
            headers={"X-SBG-Auth-Token": sandbox.token},
            timeout=10,
        )
        assert added.status_code == 200, added.text
        listed, _ = plan_of(client, manifests, discovery="list")
        found, found_live = plan_of(client, manifests, discovery="search")

    assert "results/s9/new.bam" in {item.source.path for item in listed.items}
    assert "results/s9/new.bam" not in project_files(found_live)
    # Everything the search plan would do, the listing plan would do the same way.
    assert all(item in listed.items for item in found.items)
    assert len(found.items) == len(listed.items) - 1 == 3


def test_the_query_quotes_what_a_manifest_gives_it_and_names_no_dot_segment() -> None:
    assert search.quoted('a"b\\c') == '"a\\"b\\\\c"'
    assert search.query("/Projects/lab/p/x", "FILE") == (
        'IN "/Projects/lab/p/x" WHERE type = "FILE" RECURSIVE'
    )
    assert search.location("lab/p", "") == "/Projects/lab/p"
    assert search.location("lab/p", 'say "hi"') == '/Projects/lab/p/say "hi"'
    for project, path in (("lab/..", ""), ("lab/p", "a/../../q"), ("lab/p", "a//b"), ("x", "")):
        assert search.location(project, path) is None


# A prefix written to end the location's string and add one of another project.
EVIL = 'evil", "/Projects/lab/q'
INJECTION_SEED: dict[str, Any] = {
    **LAG_SEED,
    "projects": [
        {"id": PROJECT, "location": "aws:us-east-1"},
        {"id": "lab/q", "location": "aws:us-east-1"},
    ],
    "files": [
        {"project": PROJECT, "path": f"{EVIL}/mine.bam", "size": 1},
        {"project": PROJECT, "path": "evil/decoy.bam", "size": 1},  # outside the prefix
        *({"project": "lab/q", "path": f"s{n}/theirs.bam", "size": 2} for n in range(3)),
    ],
}


@pytest.mark.parametrize("quoting", ["quoted", "not quoted"])
def test_a_crafted_prefix_cannot_bring_in_another_projects_files(
    quoting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quoted, the prefix is one folder of the declared project; left unquoted (as a careless
    client would), the search finds the other project's files and a folder outside the prefix
    instead, and the bulk-get confirmation drops every one of them."""
    if quoting == "not quoted":
        monkeypatch.setattr(search, "quoted", lambda text: f'"{text}"')
    body = {
        **LAG_MANIFEST,
        "exports": [{"glob": f"{EVIL}/**", "location": "{name}", "volume": "lab/out"}],
    }
    with tempfile.TemporaryDirectory() as tmp, served(INJECTION_SEED, "answered") as (client, _):
        manifests = load(tmp, body)
        asked = search.query(search.location(PROJECT, EVIL) or "", "FILE")
        hits = sorted(h.name for page in client.search_files(asked) for h in page.result_set)
        found, found_live = plan_of(client, manifests, discovery="search")
        listed, _ = plan_of(client, manifests, discovery="list")

    quoted = quoting == "quoted"
    assert hits == (["mine.bam"] if quoted else ["decoy.bam", *["theirs.bam"] * 3])
    # Unquoted, the search missed the prefix's own file: the plan misses it, exports no other.
    assert list(project_files(found_live)) == ([f"{EVIL}/mine.bam"] if quoted else [])
    assert [item.source.path for item in listed.items] == [f"{EVIL}/mine.bam"]
    assert (found == listed) is quoted
    assert all(item.source.file_id is None for item in found.items) is not quoted
