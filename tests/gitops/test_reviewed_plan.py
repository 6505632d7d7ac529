"""`reconciler gitlab-reviewed-plan` against a loopback stand-in for GitLab: the plan reviewed
in the merge request that brought a commit, for every merge method; nothing when nothing was
reviewed; fail closed when a reviewed plan should exist and cannot be found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.plan.io import dump_plan, load_plan
from reconciler.plan.model import Plan, PlatformTarget
from tests.plan.helpers import bare_plan

from .fake_gitlab import TOKEN, FakeGitLab

PLAN_JOB = "plan: [aws-us, lab/p, manifests]"
SEEN_13 = (
    "merge request !3, shown in every plan: pipeline 13 (refs/merge-requests/3/head), job 130,"
)
HEAD, OLD_HEAD, MERGE, SQUASH, MERGED_RESULT, MAIN = (c * 40 for c in "abcdef")


def plan_text(commit: str | None) -> str:
    plan = bare_plan(
        platforms=(PlatformTarget("aws-us", "https://api.sbgenomics.com/v2"),),
        manifests_commit=commit,
        projects=("lab/p",),
    )
    return dump_plan(plan)


@pytest.fixture
def gitlab(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeGitLab]:
    """Merge request !3, merged into main with final head HEAD (an earlier push: OLD_HEAD);
    its pipelines: 11 for OLD_HEAD, 12 for HEAD (failed), 13 for HEAD (success, with the plan
    job 130 and its plan.json)."""
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
    state.pipelines = {
        "3": [
            {"id": 11, "sha": OLD_HEAD, "ref": "refs/merge-requests/3/head", "status": "success"},
            {"id": 12, "sha": HEAD, "ref": "refs/merge-requests/3/head", "status": "failed"},
            {"id": 13, "sha": HEAD, "ref": "refs/merge-requests/3/head", "status": "success"},
        ]
    }
    state.jobs = {
        "11": [{"id": 110, "name": PLAN_JOB, "status": "success"}],
        "13": [
            {"id": 129, "name": "validate", "status": "success"},
            {"id": 130, "name": PLAN_JOB, "status": "success"},
        ],
    }
    state.artifacts = {
        "110": {"plan.json": plan_text(OLD_HEAD)},
        "130": {"plan.json": plan_text(HEAD)},
    }
    state.diffs = {"3": ["manifests/a.yaml"]}
    monkeypatch.setenv("CI_API_V4_URL", fake.url)
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_COMMIT_SHA", MERGE)
    monkeypatch.setenv("CI_DEFAULT_BRANCH", "main")
    monkeypatch.setenv("GITLAB_READ_TOKEN", TOKEN)
    monkeypatch.chdir(tmp_path)
    try:
        yield fake
    finally:
        fake.stop()


def fetch(capsys: pytest.CaptureFixture[str]) -> tuple[int, Plan | None, str]:
    code = main(["gitlab-reviewed-plan", "--out", "reviewed.json", "--plan-job", PLAN_JOB])
    err = capsys.readouterr().err
    out = Path("reviewed.json")
    return code, load_plan(out) if out.exists() else None, err


def test_a_merge_commit_gets_the_plan_of_the_final_head(gitlab: FakeGitLab, capsys: Any) -> None:
    code, plan, err = fetch(capsys)
    assert code == 0, err
    assert plan is not None and plan.manifests_commit == HEAD
    assert SEEN_13 in err
    assert all(r["token"] for r in gitlab.seen())


def test_a_fast_forward_merge_gets_it_by_the_head(
    gitlab: FakeGitLab, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gitlab.state.merge_requests[0]["merge_commit_sha"] = None
    monkeypatch.setenv("CI_COMMIT_SHA", HEAD)
    code, plan, err = fetch(capsys)
    assert code == 0 and plan is not None and plan.manifests_commit == HEAD, err


def test_a_squash_commit_gets_it_through_its_merge_request(
    gitlab: FakeGitLab, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    gitlab.state.merge_requests[0]["squash_commit_sha"] = SQUASH
    gitlab.state.commit_merge_requests = {SQUASH: [3]}
    monkeypatch.setenv("CI_COMMIT_SHA", SQUASH)
    code, plan, err = fetch(capsys)
    assert code == 0 and plan is not None and plan.manifests_commit == HEAD, err


def test_a_merged_results_pipeline_counts_for_the_head_it_merged(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    gitlab.state.pipelines["3"] = [
        {"id": 21, "sha": MERGED_RESULT, "ref": "refs/merge-requests/3/merge", "status": "success"}
    ]
    gitlab.state.parents = {MERGED_RESULT: [MAIN, HEAD]}
    gitlab.state.jobs = {"21": [{"id": 210, "name": PLAN_JOB, "status": "success"}]}
    gitlab.state.artifacts = {"210": {"plan.json": plan_text(MERGED_RESULT)}}
    code, plan, err = fetch(capsys)
    assert code == 0 and plan is not None and plan.manifests_commit == MERGED_RESULT, err


def test_a_merged_results_pipeline_of_an_older_head_does_not_count(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    gitlab.state.pipelines["3"] = [
        {"id": 21, "sha": MERGED_RESULT, "ref": "refs/merge-requests/3/merge", "status": "success"}
    ]
    gitlab.state.parents = {MERGED_RESULT: [MAIN, OLD_HEAD]}
    code, plan, err = fetch(capsys)
    assert code == 1 and plan is None
    assert "no successful pipeline for its final head" in err


def test_only_a_successful_pipeline_of_the_final_head_counts(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    del gitlab.state.pipelines["3"][2]  # left: 11 (older head) and 12 (failed)
    code, plan, err = fetch(capsys)
    assert code == 1 and plan is None
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "merge request !3: no successful pipeline" in lines[0]
    assert "plan-current" in lines[0]


def test_a_push_without_a_merge_request_applies_nothing(
    gitlab: FakeGitLab, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("reviewed.json").write_text("an older plan")
    monkeypatch.setenv("CI_COMMIT_SHA", MAIN)
    code, plan, err = fetch(capsys)
    assert code == 0 and plan is None
    assert "no merged merge request brought commit" in err


def test_an_open_or_foreign_merge_request_is_not_a_review_of_this_merge(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    gitlab.state.merge_requests[0]["target_branch"] = "release"
    code, plan, _ = fetch(capsys)
    assert code == 0 and plan is None
    gitlab.state.merge_requests[0].update(target_branch="main", state="opened")
    code, plan, _ = fetch(capsys)
    assert code == 0 and plan is None


def test_a_merge_request_that_changed_no_manifest_applies_nothing(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    gitlab.state.jobs["13"] = [{"id": 129, "name": "validate", "status": "success"}]
    code, plan, err = fetch(capsys)
    assert code == 0 and plan is None
    assert "changed no manifest of this entry" in err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"jobs": {"13": [{"id": 130, "name": PLAN_JOB, "status": "manual"}]}}, "ended 'manual'"),
        ({"artifacts": {}}, "no plan.json artifact"),
        (
            {"artifacts": {"130": {"plan.json": plan_text(HEAD).replace("0.1.0", "9.9.9")}}},
            "digest",
        ),
        ({"artifacts": {"130": {"plan.json": plan_text(OLD_HEAD)}}}, "not at its pipeline's"),
        ({"fail_next": 1}, "HTTP 500"),
        ({"tokens": {}}, "HTTP 401"),
    ],
)
def test_what_cannot_be_found_or_does_not_belong_fails_closed(
    gitlab: FakeGitLab, capsys: Any, change: dict[str, Any], message: str
) -> None:
    for key, value in change.items():
        setattr(gitlab.state, key, value)
    code, plan, err = fetch(capsys)
    assert code == 1 and plan is None
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], err
    assert "nothing was applied" in lines[0] and TOKEN not in err


def test_without_the_token_it_fails_closed(
    gitlab: FakeGitLab, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITLAB_READ_TOKEN")
    code, plan, err = fetch(capsys)
    assert code == 1 and plan is None and gitlab.seen() == []
    assert "GITLAB_READ_TOKEN is not set" in err and "read_api" in err


def test_an_artifact_redirected_to_object_storage_is_fetched_without_the_token(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    storage = FakeGitLab(host="127.0.0.2").start()
    try:
        storage.state.artifacts = gitlab.state.artifacts
        gitlab.state.artifact_redirect = storage.url.removesuffix("/api/v4")

        code, plan, err = fetch(capsys)

        assert code == 0 and plan is not None and plan.manifests_commit == HEAD, err
        assert [r["token"] for r in storage.seen()] == [False]
    finally:
        storage.stop()


def test_a_newer_branch_pipeline_at_the_head_is_not_the_reviewed_one(
    gitlab: FakeGitLab, capsys: Any
) -> None:
    # "Run pipeline" on the source branch: successful, newer, same commit, but no plan job.
    branch = {"id": 14, "sha": HEAD, "ref": "add-manifests", "status": "success"}
    gitlab.state.pipelines["3"].append(branch)
    gitlab.state.jobs["14"] = [{"id": 140, "name": "validate", "status": "success"}]
    code, plan, err = fetch(capsys)
    assert code == 0 and plan is not None and plan.manifests_commit == HEAD, err
    assert SEEN_13 in err


def test_only_a_branch_pipeline_at_the_head_fails_closed(gitlab: FakeGitLab, capsys: Any) -> None:
    gitlab.state.pipelines["3"] = [
        {"id": 14, "sha": HEAD, "ref": "add-manifests", "status": "success"}
    ]
    gitlab.state.jobs["14"] = [{"id": 140, "name": "validate", "status": "success"}]
    code, plan, err = fetch(capsys)
    assert code == 1 and plan is None
    assert "no successful pipeline for its final head" in err
