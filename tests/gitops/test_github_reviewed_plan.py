"""`github-reviewed-plan` against a fake GitHub on loopback: the pull request that brought the
commit, every successful attempt of the plan job for its final head, each attempt's own
artifact; and every way it fails closed, in one line that names the way out."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.plan.io import dump_plan
from tests.apply.helpers import MOVES, plan_now, run_cli, seed, use_sandbox, write_manifest

from .fake_github import TOKEN, FakeGitHub

HEAD, MERGE = "a" * 40, "b" * 40
WORKFLOW = ".github/workflows/reconciler.yml"
JOB = "reconciler / plan (aws-us, lab/p)"
PREFIX = "reconciler-plan-aws-us--lab_p"


@dataclasses.dataclass
class Setting:
    fake: FakeGitHub
    plan: str


@pytest.fixture
def github(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_sandbox: Any) -> Iterator[Setting]:
    """Pull request #5 (head HEAD) merged as MERGE into main; run 501 of the workflow planned
    it (attempt 1, its artifact holds plan.json); the environment of the push run of MERGE."""
    sandbox = make_sandbox(seed=seed({"moves": 3}))
    use_sandbox(monkeypatch, sandbox, tmp_path)
    monkeypatch.chdir(tmp_path)
    plan = dump_plan(plan_now(write_manifest(tmp_path / "manifests", [MOVES])))
    fake = FakeGitHub()
    state = fake.state
    state.page_size = 1  # every list of two or more crosses a page
    state.pulls = [
        {
            "number": 5,
            "merged_at": "2026-12-06T10:00:00Z",
            "merge_commit_sha": MERGE,
            "state": "closed",
            "head": {"sha": HEAD, "ref": "add-exports"},
            "base": {"ref": "main"},
        }
    ]
    state.commit_pulls = {MERGE: [5]}
    state.files = {5: ["manifests/m.yaml", "manifests/notes.md"]}
    fake.run(501, head_sha=HEAD, path=WORKFLOW)
    fake.job(501, 1, JOB)
    fake.upload(501, f"{PREFIX}-1", {"plan.json": plan.encode()})
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"repository": {"default_branch": "main"}}))
    for name, value in (
        ("GITHUB_API_URL", fake.url),
        ("GITHUB_REPOSITORY", "lab/manifests"),
        ("GITHUB_SHA", MERGE),
        ("GITHUB_EVENT_PATH", str(event)),
        ("GITHUB_WORKFLOW_REF", f"lab/manifests/{WORKFLOW}@refs/heads/main"),
        ("GITHUB_TOKEN", TOKEN),
    ):
        monkeypatch.setenv(name, value)
    try:
        yield Setting(fake, plan)
    finally:
        fake.stop()


def fetch(capsys: Any, *extra: str) -> Any:
    return run_cli(
        capsys,
        "github-reviewed-plan",
        "--out",
        "reviewed-plan.json",
        "--sources",
        "reviewed-plans.json",
        "--plan-job",
        "plan (aws-us, lab/p)",
        "--artifact",
        PREFIX,
        *extra,
    )


def one_error(ran: Any) -> str:
    assert ran.code == 1, ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, ran.err
    assert not Path("reviewed-plan.json").exists()
    return errors[0]


def test_the_reviewed_plan_is_fetched_by_its_pull_request(github: Setting, capsys: Any) -> None:
    ran = fetch(capsys)
    assert ran.code == 0, ran.err
    assert Path("reviewed-plan.json").read_text() == github.plan
    sources = json.loads(Path("reviewed-plans.json").read_text())
    assert sources["change"] == "pull request #5" and sources["merge_request"] == 5
    artifact = github.fake.state.artifacts[501][0]["id"]
    assert sources["plans"][0]["label"] == f"run 501 (attempt 1), artifact {artifact}"
    assert "the plan reviewed in pull request #5, shown in every plan: run 501" in ran.err
    # Pages were followed and every API call carried the token; the zip did not.
    assert any(r["query"].get("page") == "2" for r in github.fake.seen())
    assert github.fake.blob_requests and not any(r["token"] for r in github.fake.blob_requests)


def test_every_attempt_counts_and_a_job_a_rerun_kept_is_not_counted_twice(
    github: Setting, capsys: Any
) -> None:
    fake = github.fake
    first = fake.state.jobs[501][0]
    fake.state.jobs[501].append({**first, "run_attempt": 2})  # kept, listed again
    fake.job(501, 3, JOB)
    fake.upload(501, f"{PREFIX}-3", {"plan.json": github.plan.encode()})

    ran = fetch(capsys)

    assert ran.code == 0, ran.err
    plans = json.loads(Path("reviewed-plans.json").read_text())["plans"]
    assert [p["ref"] for p in plans] == ["attempt 1", "attempt 3"]


def test_a_push_without_a_pull_request_fetches_nothing(github: Setting, capsys: Any) -> None:
    github.fake.state.commit_pulls = {}
    ran = fetch(capsys)
    assert ran.code == 0 and not Path("reviewed-plan.json").exists()
    assert "no merged pull request brought commit bbbbbbbbbbbb to main" in ran.err


def test_an_open_or_foreign_pull_request_is_not_a_review(github: Setting, capsys: Any) -> None:
    github.fake.state.pulls[0]["base"]["ref"] = "release"
    assert "no merged pull request" in fetch(capsys).err
    github.fake.state.pulls[0].update(merged_at=None, base={"ref": "main"})
    assert "no merged pull request" in fetch(capsys).err


def test_a_pull_request_whose_runs_have_no_plan_job_applies_nothing(
    github: Setting, capsys: Any
) -> None:
    github.fake.state.jobs[501][0]["conclusion"] = "skipped"
    ran = fetch(capsys)
    assert ran.code == 0 and "changed no manifest of this entry" in ran.err


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda s: s.runs[0].update(conclusion="failure"), "no successful run of"),
        (lambda s: s.runs[0].update(path=".github/workflows/other.yml"), "no successful run of"),
        (lambda s: s.runs[0].update(head_sha="c" * 40), "no successful run of"),
        (lambda s: s.runs[0].update(head_branch="other"), "no successful run of"),
        (lambda s: s.runs[0].update(head_repository={"full_name": "x/y"}), "no successful run of"),
        (
            lambda s: s.pulls.append(
                {
                    "number": 6,
                    "state": "open",
                    "head": {"ref": "add-exports"},
                    "base": {"ref": "evil"},
                }
            ),
            "is also the head of pull request #6 into another branch",
        ),
        (lambda s: s.jobs[501][0].update(conclusion="failure"), "ended 'failure'"),
        (lambda s: s.artifacts[501].clear(), f"artifact {PREFIX}-1 of run 501 attempt 1"),
        (lambda s: s.artifacts[501][0].update(expired=True), "is expired"),
        (lambda s: s.blobs.clear(), "no plan.json artifact (expired or never written)"),
        (lambda s: s.files.update({5: [WORKFLOW, "manifests/m.yaml"]}), f"changed {WORKFLOW}"),
        (
            lambda s: (
                s.files.update({5: ["manifests/m.yaml"] * 3000}),
                setattr(s, "page_size", 100),
            ),
            "more than GitHub lists",
        ),
    ],
)
def test_what_cannot_be_found_or_does_not_belong_fails_closed(
    github: Setting, capsys: Any, spoil: Any, expected: str
) -> None:
    spoil(github.fake.state)
    error = one_error(fetch(capsys))
    assert expected in error
    assert "workflow_dispatch" in error and "apply-current" in error


def test_a_zip_without_a_plan_or_not_a_zip_fails_closed(github: Setting, capsys: Any) -> None:
    state = github.fake.state
    artifact = state.artifacts[501][0]["id"]
    github.fake.upload(501, "other", {"notes.txt": b"x"})
    state.blobs[artifact] = state.blobs[state.artifacts[501][1]["id"]]
    assert "no plan.json artifact" in one_error(fetch(capsys))
    state.blobs[artifact] = b"not a zip"
    assert "not a readable zip" in one_error(fetch(capsys))


def test_a_plan_made_at_another_commit_fails_closed(github: Setting, capsys: Any) -> None:
    from reconciler.plan.io import load_plan, plan_digest

    plan = dataclasses.replace(load_plan(github.plan), manifests_commit="c" * 40)
    plan = dataclasses.replace(plan, digest=plan_digest(plan))
    state = github.fake.state
    state.blobs.clear()
    state.artifacts[501].clear()
    github.fake.upload(501, f"{PREFIX}-1", {"plan.json": dump_plan(plan).encode()})
    error = one_error(fetch(capsys))
    assert "was made at commit cccccccccccc, not at its run's commit aaaaaaaaaaaa" in error


def test_a_renamed_file_counts_by_both_paths(github: Setting, capsys: Any) -> None:
    github.fake.state.files = {5: ["docs/m.yaml -> manifests/m.yaml"]}
    assert "changed docs/m.yaml, outside" in one_error(fetch(capsys))
    assert fetch(capsys, "--reviewable", "manifests docs").code == 0


def test_a_next_page_elsewhere_is_not_followed_with_the_token(github: Setting, capsys: Any) -> None:
    github.fake.state.link_elsewhere = True
    error = one_error(fetch(capsys))
    assert "named a page outside" in error and "cannot be looked up" in error
    assert github.fake.blob_requests == []  # the other origin got no request at all


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("GITHUB_TOKEN", "", "GITHUB_TOKEN is not set"),
        ("GITHUB_TOKEN", "ghs_wrong", "refused: the token lacks a permission"),
        ("GITHUB_API_URL", "http://api.example.org", "must be https"),
        ("GITHUB_REPOSITORY", "lab", "is not owner/name"),
        ("GITHUB_EVENT_PATH", "/nonexistent/event.json", "GITHUB_EVENT_PATH: cannot read"),
        ("GITHUB_WORKFLOW_REF", "", "names no workflow file; pass --workflow"),
        ("GITHUB_SHA", "", "GITHUB_SHA not set"),
        ("GITHUB_REPOSITORY", "", "GITHUB_REPOSITORY not set: run this in GitHub Actions"),
    ],
)
def test_a_setting_that_cannot_work_is_one_line(
    github: Setting,
    capsys: Any,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    error = one_error(fetch(capsys))
    assert expected in error and TOKEN not in error


def test_the_workflow_and_branch_can_be_named(
    github: Setting, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GITHUB_WORKFLOW_REF")
    (tmp_path / "event.json").write_text("{}")
    assert "no repository.default_branch" in one_error(fetch(capsys, "--workflow", WORKFLOW))
    ran = fetch(capsys, "--workflow", WORKFLOW, "--default-branch", "main")
    assert ran.code == 0, ran.err


@pytest.mark.parametrize(
    ("text", "expected"), [("{", "is not JSON"), ("[]", "is not a JSON object")]
)
def test_an_event_file_that_is_not_an_event_is_one_line(
    github: Setting, capsys: Any, tmp_path: Path, text: str, expected: str
) -> None:
    (tmp_path / "event.json").write_text(text)
    assert f"GITHUB_EVENT_PATH {expected}" in one_error(fetch(capsys))


def test_a_plan_json_that_is_not_a_plan_fails_closed(github: Setting, capsys: Any) -> None:
    state = github.fake.state
    state.artifacts[501].clear()
    github.fake.upload(501, f"{PREFIX}-1", {"plan.json": b"\xff not a plan"})
    assert "plan.json is not a usable plan" in one_error(fetch(capsys))


def test_an_answer_without_the_fields_read_fails_closed(github: Setting, capsys: Any) -> None:
    del github.fake.state.jobs[501][0]["id"]
    error = one_error(fetch(capsys))
    assert "answered in a shape not understood (KeyError: 'id')" in error


def test_a_pull_request_that_changed_none_of_the_entrys_manifests_applies_nothing(
    github: Setting, capsys: Any
) -> None:
    github.fake.state.files = {5: ["README.md", "docs/x.md"]}
    ran = fetch(capsys, "--manifests", "manifests")
    assert ran.code == 0 and not Path("reviewed-plan.json").exists()
    assert "pull request #5 changed nothing under manifests: nothing to apply" in ran.err
    github.fake.state.files = {5: ["README.md", "manifests/m.yaml"]}
    assert "changed README.md, outside" in one_error(fetch(capsys, "--manifests", "manifests"))


def test_apply_names_the_runs_it_took_into_account(github: Setting, capsys: Any) -> None:
    assert fetch(capsys).code == 0
    applied = run_cli(
        capsys,
        "apply",
        "--reviewed",
        "reviewed-plan.json",
        "--reviewed-sources",
        "reviewed-plans.json",
        "--state-dir",
        "state",
        "manifests",
    )
    assert applied.code == 0, applied.out + applied.err
    artifact = github.fake.state.artifacts[501][0]["id"]
    assert "Reviewed in pull request #5, shown in every one of these plans:" in applied.out
    assert f"  run 501 (attempt 1), artifact {artifact}, plan " in applied.out


def test_an_out_file_that_cannot_be_written_is_one_line(github: Setting, capsys: Any) -> None:
    ran = run_cli(
        capsys,
        "github-reviewed-plan",
        "--out",
        "no/such/folder/plan.json",
        "--plan-job",
        "plan (aws-us, lab/p)",
        "--artifact",
        PREFIX,
    )
    assert ran.code == 1 and "cannot write" in ran.err, ran.err


@pytest.mark.parametrize(
    ("change", "expected"),
    [({"projects": ("lab/other",)}, "project check"), ({"platforms": ()}, "platform check")],
)
def test_a_plan_of_another_project_or_platform_applies_nothing(
    github: Setting, capsys: Any, change: dict[str, Any], expected: str
) -> None:
    from reconciler.plan.io import load_plan, plan_digest

    plan = dataclasses.replace(load_plan(github.plan), **change)
    plan = dataclasses.replace(plan, digest=plan_digest(plan))
    state = github.fake.state
    state.artifacts[501].clear()
    github.fake.upload(501, f"{PREFIX}-1", {"plan.json": dump_plan(plan).encode()})
    assert fetch(capsys).code == 0
    applied = run_cli(
        capsys,
        "apply",
        "--reviewed",
        "reviewed-plan.json",
        "--reviewed-sources",
        "reviewed-plans.json",
        "--state-dir",
        "state",
        "manifests",
    )
    errors = [line for line in applied.err.splitlines() if line.startswith("error:")]
    assert applied.code == 1 and len(errors) == 1 and expected in errors[0], applied.err
    assert "github-reviewed-plan" in errors[0]
