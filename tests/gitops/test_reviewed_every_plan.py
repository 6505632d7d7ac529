"""Reviewed means shown in every plan: after the merge, `gitlab-reviewed-plan` takes every
successful plan of the merge request's final head (re-runs, merged-results and merge-train
pipelines, retried plan jobs) from a loopback GitLab, and `apply --reviewed` on a real sandbox
sends only what all of them show. A file that appeared after the review and was planned by a
later plan is reported not reviewed and never moved; normal merges apply everything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apply.helpers import (
    MOVES,
    PROJECT,
    creates,
    plan_now,
    run_cli,
    seed,
    session,
    use_sandbox,
    write_manifest,
)

from .fake_gitlab import TOKEN, FakeGitLab

PLAN_JOB = "plan: [aws-us, lab/p, manifests]"
HEAD, MERGE, SQUASH, MERGED_RESULT, TRAIN, MAIN = (c * 40 for c in "abcdef")
LATE_PATH = "moves/f0099.dat"


@pytest.fixture
def lab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_sandbox: Any
) -> Iterator[tuple[Any, FakeGitLab, Path]]:
    """A sandbox with three files to move and their manifest; merge request !3 merged into
    main (merge commit MERGE) with final head HEAD, whose pipeline 13 planned it in job 130
    before the review; the environment of the default-branch pipeline of MERGE."""
    sandbox = make_sandbox(seed=seed({"moves": 3}))
    use_sandbox(monkeypatch, sandbox, tmp_path)
    monkeypatch.chdir(tmp_path)
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    fake = FakeGitLab().start()
    state = fake.state
    state.merge_requests = [
        {
            "iid": 3,
            "state": "merged",
            "target_branch": "main",
            "sha": HEAD,
            "merge_commit_sha": MERGE,
            "squash_commit_sha": None,
            "merged_at": "2026-01-02T10:00:00Z",
        }
    ]
    state.commit_merge_requests = {MERGE: [3], HEAD: [3]}
    state.diffs = {"3": ["manifests/m.yaml"]}
    add_plan(fake, pipeline=13, ref="head", sha=HEAD, job=130, manifest=manifest)
    for name, value in (
        ("CI_API_V4_URL", fake.url),
        ("CI_PROJECT_ID", "42"),
        ("CI_COMMIT_SHA", MERGE),
        ("CI_DEFAULT_BRANCH", "main"),
        ("GITLAB_READ_TOKEN", TOKEN),
    ):
        monkeypatch.setenv(name, value)
    try:
        yield sandbox, fake, manifest
    finally:
        fake.stop()


def add_plan(
    fake: FakeGitLab,
    *,
    pipeline: int,
    ref: str,
    sha: str,
    job: int,
    manifest: Path,
    status: str = "success",
    pipeline_status: str = "success",
) -> None:
    """A plan job of merge request !3 that planned `manifest` against the sandbox now."""
    from reconciler.plan.io import dump_plan

    state = fake.state
    pipelines = state.pipelines.setdefault("3", [])
    if not any(p["id"] == pipeline for p in pipelines):
        full_ref = f"refs/merge-requests/3/{ref}"
        pipelines.append({"id": pipeline, "sha": sha, "ref": full_ref, "status": pipeline_status})
    state.jobs.setdefault(str(pipeline), []).append({"id": job, "name": PLAN_JOB, "status": status})
    state.artifacts[str(job)] = {"plan.json": dump_plan(plan_now(manifest))}


def add_file(sandbox: Any, path: str) -> str:
    answer = session(sandbox).post(
        sandbox.url.removesuffix("/v2") + "/_sandbox/files",
        json={"project": PROJECT, "path": path, "size": 1000},
    )
    assert answer.status_code == 200, answer.text
    file_id: str = answer.json()["id"]
    return file_id


def fetch(capsys: Any, *extra: str) -> Any:
    return run_cli(
        capsys,
        "gitlab-reviewed-plan",
        "--out",
        "reviewed-plan.json",
        "--sources",
        "reviewed-plans.json",
        "--plan-job",
        PLAN_JOB,
        *extra,
    )


def merge_and_apply(capsys: Any, manifest: Path, *extra: str) -> tuple[Any, Any]:
    fetched = fetch(capsys, *extra)
    if not Path("reviewed-plan.json").exists():
        return fetched, None
    applied = run_cli(
        capsys,
        "apply",
        "--reviewed",
        "reviewed-plan.json",
        "--reviewed-sources",
        "reviewed-plans.json",
        "--state-dir",
        "state",
        str(manifest),
    )
    return fetched, applied


def receipt() -> dict[str, Any]:
    text = Path("state/receipt.json").read_text(encoding="utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def retry(fake: FakeGitLab, manifest: Path) -> None:
    """The plan job 130 retried in the same pipeline: job 131."""
    fake.state.jobs["13"][0]["retried"] = True
    add_plan(fake, pipeline=13, ref="head", sha=HEAD, job=131, manifest=manifest)


def rerun(fake: FakeGitLab, manifest: Path) -> None:
    """ "Run pipeline" on the merge request: a new pipeline 14 for the same head."""
    add_plan(fake, pipeline=14, ref="head", sha=HEAD, job=140, manifest=manifest)


def train(fake: FakeGitLab, manifest: Path) -> None:
    """A merge train's pipeline 14 on its own ref: a merge of HEAD into main."""
    fake.state.parents[TRAIN] = [MAIN, HEAD]
    add_plan(fake, pipeline=14, ref="train", sha=TRAIN, job=140, manifest=manifest)


@pytest.mark.parametrize("plan_again", [train, rerun, retry])
def test_a_file_that_appears_after_the_review_is_not_moved_when_a_later_plan_shows_it(
    lab: Any, capsys: Any, plan_again: Any
) -> None:
    sandbox, fake, manifest = lab
    late = add_file(sandbox, LATE_PATH)  # matches the reviewed glob
    plan_again(fake, manifest)  # this plan has four moves; the reviewed one had three

    fetched, applied = merge_and_apply(capsys, manifest)

    assert fetched.code == 0, fetched.err
    assert f"not reviewed: {LATE_PATH} -> lab/out:m/f0099.dat (move)" in fetched.err
    assert applied.code == 1, applied.out + applied.err
    assert "3 completed" in applied.out
    assert "1 not-reviewed: not in every one of them, not sent" in applied.out
    assert f"  {LATE_PATH} ({late}) -> lab/out:m/f0099.dat (move)" in applied.out
    assert sandbox.file(late)["storage"]["type"] == "PLATFORM"  # still on the platform
    assert creates(sandbox) == {"move": 1}
    taken = receipt()["reviewed"]
    jobs = [p["job"] for p in taken["plans"]]
    assert jobs == ([130, 131] if plan_again is retry else [130, 140])
    for plan in taken["plans"]:
        digest = plan["digest"]
        assert len(digest) == 64 and f"job {plan['job']}, plan {digest}" in applied.out
    assert [o["file"] for o in taken["not_reviewed"]] == [late]
    assert receipt()["exit_code"] == 1


def no_change(fake: FakeGitLab, manifest: Path) -> None:
    pass


def merge_commit(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    pass


def squash(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.state.merge_requests[0]["squash_commit_sha"] = SQUASH
    fake.state.commit_merge_requests = {SQUASH: [3]}
    monkeypatch.setenv("CI_COMMIT_SHA", SQUASH)


def fast_forward(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.state.merge_requests[0]["merge_commit_sha"] = None
    monkeypatch.setenv("CI_COMMIT_SHA", HEAD)


@pytest.mark.parametrize("merge", [merge_commit, squash, fast_forward])
@pytest.mark.parametrize("plan_again", [no_change, train, rerun, retry])
def test_a_normal_merge_applies_the_whole_reviewed_plan(
    lab: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, merge: Any, plan_again: Any
) -> None:
    sandbox, fake, manifest = lab
    plan_again(fake, manifest)  # nothing changed in between: the same three moves
    merge(fake, monkeypatch)

    fetched, applied = merge_and_apply(capsys, manifest)

    assert fetched.code == 0 and "not reviewed" not in fetched.err, fetched.err
    assert applied.code == 0, applied.out + applied.err
    assert "3 completed" in applied.out and "not-reviewed" not in applied.out
    assert creates(sandbox) == {"move": 1}
    assert receipt()["reviewed"]["not_reviewed"] == []
    assert len(receipt()["reviewed"]["plans"]) == (1 if plan_again is no_change else 2)


def test_a_merged_results_pipeline_alone_applies_the_whole_plan(lab: Any, capsys: Any) -> None:
    _sandbox, fake, manifest = lab
    fake.state.pipelines = {}
    fake.state.jobs = {}
    fake.state.parents[MERGED_RESULT] = [MAIN, HEAD]
    add_plan(fake, pipeline=21, ref="merge", sha=MERGED_RESULT, job=210, manifest=manifest)

    fetched, applied = merge_and_apply(capsys, manifest)

    assert fetched.code == 0 and applied.code == 0, fetched.err + applied.out + applied.err
    assert "3 completed" in applied.out
    assert [p["pipeline"] for p in receipt()["reviewed"]["plans"]] == [21]


def test_a_running_pipeline_and_a_failed_plan_job_neither_count_nor_block(
    lab: Any, capsys: Any
) -> None:
    sandbox, fake, manifest = lab
    late = add_file(sandbox, LATE_PATH)
    add_plan(
        fake,
        pipeline=15,
        ref="head",
        sha=HEAD,
        job=150,
        manifest=manifest,
        pipeline_status="running",
    )
    add_plan(fake, pipeline=16, ref="head", sha=HEAD, job=160, manifest=manifest, status="failed")

    fetched, applied = merge_and_apply(capsys, manifest)

    assert fetched.code == 0 and "not reviewed" not in fetched.err, fetched.err
    assert [p["job"] for p in receipt()["reviewed"]["plans"]] == [130]
    # The late file was in no plan that counts: apply does not look for it (the next plan does).
    assert applied.code == 0 and "3 completed" in applied.out, applied.out + applied.err
    assert sandbox.file(late)["storage"]["type"] == "PLATFORM"


def test_a_merge_request_that_changes_the_pipeline_and_a_manifest_applies_nothing(
    lab: Any, capsys: Any
) -> None:
    sandbox, fake, manifest = lab
    fake.state.diffs["3"] = ["manifests/m.yaml", ".gitlab-ci.yml"]

    fetched, applied = merge_and_apply(capsys, manifest)

    assert fetched.code == 1 and applied is None
    errors = [line for line in fetched.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, fetched.err
    assert "changed .gitlab-ci.yml, outside the reviewable paths (manifests)" in errors[0]
    assert "plan-current" in errors[0] and "apply-current" in errors[0]
    assert not Path("reviewed-plans.json").exists() and creates(sandbox) == {}
    # No artifact was fetched: the check comes before any plan is taken.
    assert not [r for r in fake.seen() if "/artifacts/" in r["path"]]


def test_a_renamed_file_counts_by_both_paths_and_an_input_widens_the_reviewable_paths(
    lab: Any, capsys: Any
) -> None:
    _sandbox, fake, manifest = lab
    fake.state.diffs["3"] = ["docs/m.yaml -> manifests/m.yaml"]

    fetched, _ = merge_and_apply(capsys, manifest)
    assert fetched.code == 1 and "changed docs/m.yaml, outside" in fetched.err

    fetched, applied = merge_and_apply(capsys, manifest, "--reviewable", "manifests, docs")
    assert fetched.code == 0 and applied.code == 0, fetched.err + applied.out
    assert "3 completed" in applied.out


def test_apply_refuses_the_sources_of_another_plan(lab: Any, capsys: Any) -> None:
    sandbox, _fake, manifest = lab
    fetched = fetch(capsys)
    assert fetched.code == 0, fetched.err
    sources = json.loads(Path("reviewed-plans.json").read_text())
    Path("reviewed-plans.json").write_text(json.dumps({**sources, "plan_digest": "0" * 64}))

    ran = run_cli(
        capsys,
        "apply",
        "--reviewed",
        "reviewed-plan.json",
        "--reviewed-sources",
        "reviewed-plans.json",
        "--state-dir",
        "state",
        str(manifest),
    )

    assert ran.code == 1 and creates(sandbox) == {}
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "the sources of plan 000000000000" in errors[0], ran.err
