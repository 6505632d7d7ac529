"""A create call without a readable answer never stalls the run (issue 13, point 2), and an
ambiguous answer leaves exactly the affected items unknown (point 7).

The real apply against the sandbox on a real port. What the sandbox cannot do (commit a call
after the client has given up on it, fail before the request is written, answer one job id for
two items, show another file's job) is done by a thin wrapper around the real client: the
calls still go to the sandbox, only their answers are changed."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.resources import Export, File, ItemError
from reconciler.api.trust import platform_key
from reconciler.apply.journal import Journal, Target, read_history
from reconciler.apply.settings import EngineSettings
from reconciler.errors import TransportError
from reconciler.manifest.load import load_manifests
from reconciler.sandbox.server import Sandbox
from reconciler.usecases.apply import Applied, ApplyOptions, apply
from reconciler.usecases.plan import Connection

from .conftest import FAST_POLLS
from .helpers import MOVES, VOLUME, creates, file_id, jobs_per_destination, seed, write_manifest


class Wrapped:
    """The real client, with a hook on some calls."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client
        self.transport = client.transport

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


class Sleeps:
    """The engine's sleep: real (short) sleeps, recorded."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        time.sleep(seconds)


def run_apply(
    sandbox: Sandbox,
    folder: Path,
    wrap: Any = Wrapped,
    *,
    grace: float,
    margin: float = 0.5,
    sleep: Sleeps | None = None,
) -> tuple[Applied, Any]:
    manifest = write_manifest(folder / "manifests", [MOVES])
    manifests = load_manifests([str(manifest)], root=folder)
    settings = EngineSettings(
        wait_timeout=120, schedule=FAST_POLLS, uncertain_grace=grace, uncertain_margin=margin
    )
    with ApiClient(ApiConfig(endpoint=sandbox.url, token=sandbox.token)) as client:
        api = wrap(client)
        applied = apply(
            manifests,
            [Connection(platform_key(None), manifests, api)],  # the wrapped client, one platform
            ApplyOptions(state_dir=folder / "state", engine=settings),
            confirm=lambda plan, outcomes: True,
            stderr=io.StringIO(),
            sleep=sleep or time.sleep,
        )
    return applied, api


def journal(folder: Path) -> list[dict[str, Any]]:
    lines = (folder / "state" / "journal.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def results(applied: Applied) -> Counter[str]:
    return Counter(str(o.result) for o in applied.outcomes)


def test_a_lost_answer_whose_jobs_were_committed_is_adopted_without_waiting(
    make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 150}), lose_responses=1)
    sleeps = Sleeps()

    applied, _ = run_apply(sandbox, tmp_path, grace=60.0, sleep=sleeps)

    assert results(applied) == {"completed": 150}
    assert sum(1 for e in sandbox.request_log() if e.get("lost")) == 1
    assert creates(sandbox) == {"move": 2}  # nothing sent twice
    assert max(sleeps.asked, default=0.0) < 5.0  # never the 60 s read timeout


class LateCommit(Wrapped):
    """The first create call fails as if a load balancer closed the connection while the
    platform still worked on it: the jobs are committed only after the engine's first
    re-read has found nothing."""

    def __init__(self, client: ApiClient) -> None:
        super().__init__(client)
        self.pending: tuple[Sequence[dict[str, Any]], bool] | None = None
        self.failed = False

    def bulk_create_exports(
        self, items: Sequence[dict[str, Any]], *, copy_only: bool
    ) -> list[Export | ItemError]:
        if not self.failed:
            self.failed = True
            self.pending = (items, copy_only)
            raise TransportError("POST /v2/bulk/storage/exports/create: connection reset")
        return self.client.bulk_create_exports(items, copy_only=copy_only)

    def bulk_get_files(self, file_ids: Sequence[str]) -> list[File | ItemError]:
        answer = self.client.bulk_get_files(file_ids)
        if self.pending is not None:  # the first re-read is over: now the platform commits
            items, copy_only = self.pending
            self.pending = None
            self.client.bulk_create_exports(items, copy_only=copy_only)
        return answer


@pytest.mark.slow
def test_a_late_commit_is_adopted_not_sent_twice_and_the_run_goes_on_meanwhile(
    make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 150}))
    grace = 3.0

    applied, _ = run_apply(sandbox, tmp_path, LateCommit, grace=grace)

    assert results(applied) == {"completed": 150}
    assert max(jobs_per_destination(sandbox).values()) == 1
    assert len(jobs_per_destination(sandbox)) == 150
    assert creates(sandbox) == {"move": 2}  # the late commit and the other call; no re-send
    records = journal(tmp_path)
    sent = next(r["at"] for r in records if r["kind"] == "submit")
    resolved = [r for r in records if r["kind"] == "resolved"]
    # Read at once (nothing found), then again once the call could no longer take effect.
    assert len(resolved) == 2 and resolved[0]["jobs"] == {}
    # (by then the late jobs have finished: they are found as done, as aliases at their
    # destinations, and all 100 items are settled)
    assert resolved[1]["at"] >= sent + grace and len(resolved[1]["items"]) == 100
    # Meanwhile the other call's 50 jobs were polled to their end.
    finals = [r for r in records if r["kind"] == "final" and r["at"] < resolved[1]["at"]]
    assert sum(len(r["jobs"]) for r in finals) == 50


@pytest.mark.slow
def test_a_killed_runs_unanswered_call_is_sent_again_only_after_the_grace(
    make_sandbox: Any, tmp_path: Path
) -> None:
    """The killed run's call never reached the platform; the next run sends the rest at once
    and that call's items only once the read timeout (plus margin) has passed since it was
    sent, as the journal says."""
    sandbox = make_sandbox(seed=seed({"moves": 150}))
    grace, margin = 3.0, 0.5
    lost = [file_id(1, n) for n in range(100)]
    with Journal(tmp_path / "state", "killed") as killed:
        killed.write("run", version="test", endpoint=sandbox.url, plan="x")
        killed.write(
            "submit",
            batch="killed-1",
            copy_only=False,
            items=[
                Target(f, VOLUME, f"m/f{n:04d}.dat", "move").as_dict() | {"key": f}
                for n, f in enumerate(lost)
            ],
        )
    assert len(read_history(tmp_path / "state").uncertain) == 100
    sent = journal(tmp_path)[-1]["at"]

    applied, _ = run_apply(sandbox, tmp_path, grace=grace, margin=margin)

    assert results(applied) == {"completed": 150}
    assert max(jobs_per_destination(sandbox).values()) == 1
    records = [r for r in journal(tmp_path) if r["run"] != "killed"]
    submits = [r for r in records if r["kind"] == "submit"]
    assert [len(r["items"]) for r in submits] == [50, 100]
    assert submits[1]["at"] >= sent + grace + margin
    # The 50 others were sent and finished meanwhile.
    finals = [r for r in records if r["kind"] == "final" and r["at"] < submits[1]["at"]]
    assert sum(len(r["jobs"]) for r in finals) == 50


class NotSent(Wrapped):
    def bulk_create_exports(
        self, items: Sequence[dict[str, Any]], *, copy_only: bool
    ) -> list[Export | ItemError]:
        raise TransportError("POST /v2/bulk/storage/exports/create: connection refused", sent=False)


def test_a_call_that_was_never_sent_fails_its_items_at_once(
    make_sandbox: Any, tmp_path: Path
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 20}))
    sleeps = Sleeps()

    applied, _ = run_apply(sandbox, tmp_path, NotSent, grace=60.0, sleep=sleeps)

    assert results(applied) == {"failed": 20}
    assert all("not sent" in (o.error or "") for o in applied.outcomes)
    assert [r["kind"] for r in journal(tmp_path)].count("unsent") == 1
    assert read_history(tmp_path / "state").uncertain == {}
    assert max(sleeps.asked, default=0.0) < 5.0
    assert sandbox.query("SELECT id FROM exports") == []


class SharedJobId(Wrapped):
    """The create answer gives the first item's job id for the second item too."""

    def bulk_create_exports(
        self, items: Sequence[dict[str, Any]], *, copy_only: bool
    ) -> list[Export | ItemError]:
        answers = self.client.bulk_create_exports(items, copy_only=copy_only)
        first, second = answers[0], answers[1]
        assert isinstance(first, Export) and isinstance(second, Export)
        answers[1] = second.model_copy(update={"id": first.id})
        return answers


class ForeignJob(Wrapped):
    """Polling shows, for one job, another file's COMPLETED job."""

    def bulk_get_exports(self, export_ids: Sequence[str]) -> list[Export | ItemError]:
        answers = self.client.bulk_get_exports(export_ids)
        done = [a for a in answers if isinstance(a, Export) and a.state == "COMPLETED"]
        if len(done) >= 2:
            index = answers.index(done[0])
            answers[index] = done[1].model_copy(update={"id": done[0].id})
        return answers


@pytest.mark.parametrize(
    ("wrap", "reason"),
    [(SharedJobId, "for 2 items"), (ForeignJob, "exports file")],
    ids=["one-job-id-for-two-items", "completed-job-of-another-file"],
)
def test_an_ambiguous_answer_leaves_only_the_affected_items_unknown(
    make_sandbox: Any, tmp_path: Path, wrap: Any, reason: str
) -> None:
    sandbox = make_sandbox(seed=seed({"moves": 30}))

    applied, _ = run_apply(sandbox, tmp_path, wrap, grace=60.0)

    unknown = [o for o in applied.outcomes if str(o.result) == "unknown"]
    expected_unknown = 2 if wrap is SharedJobId else 1
    assert results(applied) == {"completed": 30 - expected_unknown, "unknown": expected_unknown}
    assert all("ambiguous answer" in (o.error or "") and reason in (o.error or "") for o in unknown)
