"""What a plan says its reading will cost before the first listing, what that reading then
costs, and the requests each discovery makes (issue: discovery, points 1 and 2).

Worlds of one file per sample folder, `tops` x `subs` folders under `results/`, planned by the
real `reconciler plan` (in-process, stderr captured) against the sandbox on a loopback port;
the requests are counted in the sandbox's own log. The issue's world is 100 x 100 (10,000
files): `benchmarks/discovery.py` runs it; here a 20 x 20 one keeps the suite fast.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.resources import Rate
from reconciler.live import estimate
from reconciler.sandbox.server import Sandbox
from tests.apply.helpers import Ran, run_cli, use_sandbox
from tests.conftest import MakeSandbox
from tests.reliability.secret import SECRET_TOKEN

PROJECT = "lab/cohort"
MANIFEST = """\
version: 1
project: lab/cohort
defaults: {volume: lab/out}
exports:
  - glob: "results/**/*.bam"
    location: "{path}"
"""
NOW = 1_700_000_000.0
ESTIMATE = re.compile(r"reading the files: (about|at least) ([\d,]+) requests \(([\d,]+) folder")


def world(tops: int, subs: int, **token: Any) -> dict[str, Any]:
    files = [
        {"project": PROJECT, "path": f"results/b{t:03d}/s{s:03d}/r.bam", "size": 100 + s}
        for t in range(tops)
        for s in range(subs)
    ]
    return {
        "tokens": [{"token": SECRET_TOKEN, "username": "lab", **token}],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
        "volumes": [
            {"id": "lab/out", "location": "aws:us-east-1", "service": {"type": "s3", "bucket": "o"}}
        ],
        "files": files,
    }


def requests_by_kind(sandbox: Sandbox, log: list[dict[str, Any]] | None = None) -> Counter[str]:
    kinds: Counter[str] = Counter()
    for entry in sandbox.request_log() if log is None else log:
        path = entry["path"].split("?")[0]
        if path.startswith("/v2/files/search"):
            kinds["search"] += 1
        elif path.startswith("/v2/bulk/files/get"):
            kinds["bulk_get_files"] += 1
        elif path == "/v2/files":
            kinds["list_files"] += 1
        elif path.startswith("/v2/"):
            kinds["other"] += 1
    return kinds


Plan = Callable[..., Ran]


@pytest.fixture
def plan(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Plan:
    """`reconciler plan [ARGS] m.yaml` against a sandbox, as a user runs it."""
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    state = str(tmp_path / "state")

    def run(sandbox: Sandbox, *args: str) -> Ran:
        use_sandbox(monkeypatch, sandbox, tmp_path)
        return run_cli(capsys, "plan", "--state-dir", state, *args, str(manifest))

    return run


def after_the_estimate(sandbox: Sandbox, since: int = 0) -> int:
    """The requests a plan made after saying its estimate (which it says once it has read the
    rate limit, before anything else), of the log's entries from `since` on."""
    log = sandbox.request_log()[since:]
    said = [entry["path"] for entry in log].index("/v2/rate_limit")
    return sum(requests_by_kind(sandbox, log[said + 1 :]).values())


def estimated(err: str) -> tuple[str, int, int]:
    match = ESTIMATE.search(err)
    assert match is not None, err
    return match[1], int(match[2].replace(",", "")), int(match[3].replace(",", ""))


@pytest.fixture
def twenty(make_sandbox: MakeSandbox) -> Sandbox:
    return make_sandbox(seed=world(20, 20))


def test_listing_is_estimated_within_a_fifth_before_the_first_listing_and_search_proposed(
    plan: Plan, tmp_path: Path, twenty: Sandbox
) -> None:
    ran = plan(twenty)

    assert ran.code == 0, ran.err
    about, requests, folders = estimated(ran.err)
    made = after_the_estimate(twenty)
    assert about == "about" and folders == 1 + 20 + 400
    assert abs(requests - made) <= 0.2 * made, (requests, made)
    # Said before the first listing: the rate limit is read for it, and no folder before it.
    paths = [entry["path"].split("?")[0] for entry in twenty.request_log()]
    assert paths.index("/v2/rate_limit") < paths.index("/v2/files")
    assert "rate limit: " in ran.err and "no wait" in ran.err
    [proposal] = [line for line in ran.err.splitlines() if "discovery: search" in line]
    assert proposal.startswith(f"{tmp_path / 'm.yaml'}:5:5: glob 'results/**/*.bam'")
    assert re.search(r"about [\d,]+ requests; with `discovery: search` .* about \d+$", proposal)


def test_search_costs_pages_and_bulk_gets_not_a_listing_a_folder(
    plan: Plan, tmp_path: Path, twenty: Sandbox
) -> None:
    listed = plan(twenty)
    before = requests_by_kind(twenty)
    since = len(twenty.request_log())
    found = plan(twenty, "--discovery", "search")
    spent = requests_by_kind(twenty) - before

    assert found.out == listed.out and found.code == 0
    files, folders = 400, 20 + 400
    pages = math.ceil(files / 100)
    assert spent["search"] == pages + 2  # and the two counts of the estimate
    # The files, then their folders level by level (400 sample folders, 20 batch folders).
    assert spent["bulk_get_files"] == math.ceil(files / 100) + math.ceil(400 / 100) + 1
    assert spent["bulk_get_files"] <= pages + math.ceil(folders / 100) + 2
    assert spent["list_files"] == 1  # `results`, found by name
    _, requests, _ = estimated(found.err)
    made = after_the_estimate(twenty, since)
    assert abs(requests - made) <= 0.2 * made, (requests, made)
    assert sum(before.values()) > 15 * sum(spent.values())  # 430 and 22
    assert "warning" not in found.err and "discovery: search" not in found.err


def test_a_refused_search_falls_back_once_said_and_the_estimate_says_at_least(
    plan: Plan, tmp_path: Path, make_sandbox: MakeSandbox
) -> None:
    sandbox = make_sandbox(seed=world(3, 3, advance_access=False))
    listed = plan(sandbox)
    found = plan(sandbox, "--discovery", "search")

    assert found.out == listed.out and found.code == 0
    about, requests, folders = estimated(listed.err)
    assert about == "at least" and (requests, folders) == (2, 1)
    assert "1 folder to list so far" in listed.err and "warning" not in listed.err
    [warning] = [line for line in found.err.splitlines() if line.startswith("warning:")]
    assert warning.startswith("warning: the file search was refused (")
    assert "HTTP 403" in warning and "listing folder by folder instead" in warning
    assert f"{tmp_path / 'm.yaml'}:5:5 'results/**/*.bam'" in warning


@pytest.mark.slow
def test_rate_limit_waits_show_in_the_reading_once_each_not_as_log_lines(
    plan: Plan, tmp_path: Path, make_sandbox: MakeSandbox
) -> None:
    sandbox = make_sandbox(seed=world(5, 10), rate_limit=25, rate_window=1.0)
    ran = plan(sandbox)

    assert ran.code == 0, ran.err
    waits = [line for line in ran.err.splitlines() if "for the reset" in line]
    made = sum(requests_by_kind(sandbox).values())
    # Mostly the pacer's own wait; on a loaded machine a 1 s window can roll between the
    # pacer's reading and the sandbox's, and the 429 that follows is announced the same way.
    assert waits and all(
        line.startswith("rate limit budget spent: waiting") or "rate limited (HTTP 429)" in line
        for line in waits
    )
    assert any(line.startswith("rate limit budget spent: waiting") for line in waits)
    assert len(waits) <= math.ceil(made / 25)  # at most one a window, whatever the workers
    assert "WARNING" not in ran.err
    assert re.search(r"about [\d,]+ requests .*\n.*rate limit: \d+ of 25 requests left", ran.err)


@pytest.mark.parametrize(
    ("requests", "rate", "said"),
    [
        (900, Rate(limit=1000, remaining=950, reset=NOW + 120), "950 of 1,000 requests left, "
         "reset in 2m00s: no wait"),
        (10_303, Rate(limit=1000, remaining=1000, reset=NOW + 300), "1,000 of 1,000 requests "
         "left, reset in 5m00s: about 50m00s of waiting for it (10 more windows)"),
        (1_500, Rate(limit=1000, remaining=0, reset=NOW + 60), "reset in 1m00s: about 6m00s "
         "of waiting for it (2 more windows)"),
        (2_000, Rate(limit=1000, remaining=10, reset=None), "reset in 5m00s: about 10m00s"),
        (2_000, None, "rate limit not readable; at the documented 1,000 per 5m00s: about "
         "5m00s of waiting for it (1 more window)"),
    ],
)  # fmt: skip
def test_the_time_line_counts_the_windows_the_rate_limit_makes_the_reading_wait(
    requests: int, rate: Rate | None, said: str
) -> None:
    cost = estimate.Cost(folders=requests, listings=requests)
    first, time_line = estimate.lines(cost, rate, now=NOW)
    assert first.startswith(f"reading the files: about {requests:,} requests")
    assert said in time_line, time_line


def test_apply_reads_with_the_discovery_it_is_given(
    tmp_path: Path, make_sandbox: MakeSandbox, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    sandbox = make_sandbox(seed=world(2, 3))
    use_sandbox(monkeypatch, sandbox, tmp_path)
    manifest = tmp_path / "m.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    state = str(tmp_path / "state")

    ran = run_cli(
        capsys, "apply", "--yes", "--discovery", "search", "--state-dir", state, str(manifest)
    )

    assert ran.code == 0, ran.err
    kinds = requests_by_kind(sandbox)
    assert kinds["search"] >= 1 and kinds["list_files"] <= 2  # `results` by name, not a walk
    assert "reading the files: about" in ran.err and "6 completed" in ran.out
