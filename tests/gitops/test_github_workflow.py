"""The GitHub workflow, job by job, as GitHub Actions runs it (tests/gitops/github_actions.py
reads each step's script out of .github/workflows/reconciler.yml), against a real sandbox and
a fake GitHub on loopback: a pull request's plan and its one comment, the merge that applies
what was reviewed, a file that appears after the review, a re-run after the approval, a push
without a pull request, drift as one issue, and the way out by hand."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.apply.helpers import MOVES, creates, seed, session, write_manifest

from .fake_github import BOT, TOKEN, FakeGitHub
from .github_actions import CALLER_PATH, ROOT, Job, Runner, job_if, workflow

REPOSITORY = "lab/manifests"
ARTIFACT = "reconciler-plan-aws-us--lab_p"
LATE_PATH = "moves/f0099.dat"
PR = 5


@dataclass
class Lab:
    sandbox: Any
    fake: FakeGitHub
    runner: Runner
    repo: Path
    base: str
    head: str

    def git(self, *argv: str) -> str:
        done = subprocess.run(
            ["git", *argv], cwd=self.repo, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


@pytest.fixture
def lab(tmp_path: Path, make_sandbox: Any) -> Iterator[Lab]:
    """A sandbox with three files to move; a manifests repository whose branch add-exports
    (HEAD) declares their move on top of main (BASE); a fake GitHub."""
    sandbox = make_sandbox(seed=seed({"moves": 3}))
    repo = tmp_path / "repo"
    repo.mkdir()
    fake = FakeGitHub(REPOSITORY)
    runner = Runner(repo, fake, sandbox.url, sandbox.token, sandbox.token, tmp_path / "runs")
    here = Lab(sandbox, fake, runner, repo, "", "")
    here.git("init", "-q", "-b", "main")
    here.git("config", "user.email", "lab@example.org")
    here.git("config", "user.name", "Lab")
    (repo / "README.md").write_text("manifests\n")
    here.git("add", ".")
    here.git("commit", "-qm", "start")
    here.base = here.git("rev-parse", "HEAD")
    here.git("checkout", "-qb", "add-exports")
    write_manifest(repo / "manifests", [MOVES])
    here.git("add", ".")
    here.git("commit", "-qm", "move the runs")
    here.head = here.git("rev-parse", "HEAD")
    try:
        yield here
    finally:
        fake.stop()


def repository() -> dict[str, Any]:
    return {"full_name": REPOSITORY, "default_branch": "main"}


def pr_event(lab: Lab, *, fork: bool = False) -> dict[str, Any]:
    head_repo = {"full_name": "someone/manifests" if fork else REPOSITORY}
    return {
        "action": "synchronize",
        "number": PR,
        "pull_request": {
            "number": PR,
            "head": {"sha": lab.head, "ref": "add-exports", "repo": head_repo},
            "base": {"sha": lab.base, "ref": "main", "repo": repository()},
        },
        "repository": repository(),
    }


def plan_run(lab: Lab, run_id: int, attempt: int = 1) -> Job:
    """The plan job of a pull_request run (one attempt), as GitHub records it."""
    lab.fake.run(run_id, head_sha=lab.head, path=CALLER_PATH)
    job = lab.runner.run_job(
        "plan",
        event_name="pull_request",
        event=pr_event(lab),
        sha=lab.head,
        run_id=run_id,
        attempt=attempt,
        ref=f"refs/pull/{PR}/merge",
    )
    lab.fake.job(run_id, attempt, job.name, "success" if job.ok else "failure")
    return job


def merge(lab: Lab, *changed: str) -> str:
    """Merge pull request #5 with a merge commit; GitHub knows it brought that commit."""
    lab.git("checkout", "-q", "main")
    lab.git("merge", "-q", "--no-ff", "add-exports", "-m", "Merge pull request #5")
    sha = lab.git("rev-parse", "HEAD")
    lab.fake.state.pulls = [
        {
            "number": PR,
            "state": "closed",
            "merged_at": "2026-12-06T10:00:00Z",
            "merge_commit_sha": sha,
            "head": {"sha": lab.head, "ref": "add-exports", "repo": {"full_name": REPOSITORY}},
            "base": {"sha": lab.base, "ref": "main", "repo": {"full_name": REPOSITORY}},
        }
    ]
    lab.fake.state.commit_pulls = {sha: [PR]}
    lab.fake.state.files = {PR: list(changed or ["manifests/m.yaml"])}
    return sha


def push_run(lab: Lab, job: str, sha: str, run_id: int) -> Job:
    event = {"ref": "refs/heads/main", "after": sha, "repository": repository()}
    return lab.runner.run_job(job, event_name="push", event=event, sha=sha, run_id=run_id)


def add_file(lab: Lab, path: str) -> str:
    sandbox = lab.sandbox
    answer = session(sandbox).post(
        sandbox.url.removesuffix("/v2") + "/_sandbox/files",
        json={"project": "lab/p", "path": path, "size": 1000},
    )
    assert answer.status_code == 200, answer.text
    file_id: str = answer.json()["id"]
    return file_id


def receipt(lab: Lab) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((lab.repo / ".reconciler/receipt.json").read_text())
    return found


def test_the_jobs_run_on_the_events_they_are_for() -> None:
    assert "github.event_name == 'pull_request'" in job_if("plan")
    assert "head.repo.full_name == github.repository" in job_if("plan")
    assert "head.repo.full_name != github.repository" in job_if("fork")
    assert "github.event_name == 'push'" in job_if("apply")
    assert "default_branch" in job_if("apply")
    assert job_if("drift") == "github.event_name == 'schedule'"
    assert "workflow_dispatch" in job_if("plan-current")


def test_a_pull_request_keeps_one_comment_edited_in_place(lab: Lab) -> None:
    first = plan_run(lab, 501)
    assert first.ok, first.text
    artifact = lab.fake.state.artifacts[501][0]
    assert artifact["name"] == f"{ARTIFACT}-1"
    comments = lab.fake.our_comments(PR)
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith("<!-- reconciler-plan:aws-us/lab/p -->\n### reconciler plan\n")
    assert "3 to move" in body.splitlines()[3], body[:400]
    page = f"https://github.com/{REPOSITORY}/actions/runs/501/artifacts/{artifact['id']}"
    assert f"[Download the plan as a page]({page})" in body
    # The job summary has the same plan and the same link (issue 24's last point).
    assert "### reconciler plan" in first.summary and page in first.summary

    second = plan_run(lab, 502)  # a later push to the pull request

    assert second.ok, second.text
    comments = lab.fake.our_comments(PR)
    assert len(comments) == 1 and "runs/502" in comments[0]["body"]
    assert [r["method"] for r in lab.fake.seen() if r["path"].endswith("/comments")] == [
        "GET",
        "POST",
        "GET",
    ]
    assert len(lab.fake.seen("PATCH")) == 1


def test_validate_annotates_a_broken_manifest_at_its_line(lab: Lab) -> None:
    (lab.repo / "manifests" / "m.yaml").write_text("version: 1\nproject: lab/p\nexports: 3\n")
    lab.git("commit", "-qam", "break it")
    lab.head = lab.git("rev-parse", "HEAD")
    job = lab.runner.run_job(
        "validate", event_name="pull_request", event=pr_event(lab), sha=lab.head, run_id=510
    )
    assert not job.ok
    assert "::error file=manifests/m.yaml,line=3," in job.steps[-1].out, job.text


def test_a_merge_applies_the_reviewed_plan(lab: Lab) -> None:
    assert plan_run(lab, 501).ok
    sha = merge(lab)

    applied = push_run(lab, "apply", sha, 600)

    assert applied.ok, applied.text
    assert "3 completed" in applied.text
    assert creates(lab.sandbox) == {"move": 1}
    plans = receipt(lab)["reviewed"]["plans"]
    assert [p["pipeline"] for p in plans] == [501]
    assert "Reviewed in pull request #5" in applied.text
    assert "### reconciler apply" in applied.summary
    # The zip came from blob storage without the token; the API got it every time.
    assert lab.fake.blob_requests and not any(r["token"] for r in lab.fake.blob_requests)
    assert all(r["token"] for r in lab.fake.seen())


@pytest.mark.parametrize("again", ["new run", "re-run"])
def test_a_file_that_appears_after_the_review_is_not_moved_and_is_reported(
    lab: Lab, again: str
) -> None:
    assert plan_run(lab, 501).ok  # what the reviewers approved: three moves
    late = add_file(lab, LATE_PATH)
    # After the approval: a new run for the same head, or "Re-run all jobs" (attempt 2).
    later = plan_run(lab, 502) if again == "new run" else plan_run(lab, 501, attempt=2)
    assert later.ok and "4 to move" in lab.fake.our_comments(PR)[0]["body"]
    sha = merge(lab)

    applied = push_run(lab, "apply", sha, 600)

    assert not applied.ok
    assert "3 completed" in applied.text
    assert f"not reviewed: {LATE_PATH} -> lab/out:m/f0099.dat (move)" in applied.text
    assert lab.sandbox.file(late)["storage"]["type"] == "PLATFORM"  # never moved
    taken = receipt(lab)["reviewed"]
    assert len(taken["plans"]) == 2
    assert [o["file"] for o in taken["not_reviewed"]] == [late]


def test_a_push_without_a_pull_request_applies_nothing(lab: Lab) -> None:
    lab.git("checkout", "-q", "main")
    lab.git("merge", "-q", "--ff-only", "add-exports")  # pushed straight to main
    sha = lab.git("rev-parse", "HEAD")

    applied = push_run(lab, "apply", sha, 600)

    assert applied.ok, applied.text
    assert "no merged pull request brought commit" in applied.text
    assert "nothing reviewed to apply" in applied.summary
    assert creates(lab.sandbox) == {}


def test_a_pull_request_that_changed_no_manifest_applies_nothing_and_passes(lab: Lab) -> None:
    assert plan_run(lab, 501).ok
    sha = merge(lab, "README.md")

    applied = push_run(lab, "apply", sha, 600)

    assert applied.ok, applied.text
    assert "changed nothing under manifests: nothing to apply" in applied.text
    assert creates(lab.sandbox) == {}


def test_an_expired_plan_artifact_applies_nothing_and_names_the_way_out(lab: Lab) -> None:
    assert plan_run(lab, 501).ok
    lab.fake.state.artifacts[501][0]["expired"] = True
    sha = merge(lab)

    applied = push_run(lab, "apply", sha, 600)

    assert not applied.ok and creates(lab.sandbox) == {}
    errors = [line for line in applied.text.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, applied.text
    assert f"artifact {ARTIFACT}-1 of run 501 attempt 1, a successful plan, is expired" in errors[0]
    assert "plan-current" in errors[0] and "apply-current" in errors[0]


def test_a_pull_request_that_changes_the_workflow_applies_nothing(lab: Lab) -> None:
    assert plan_run(lab, 501).ok
    sha = merge(lab, "manifests/m.yaml", CALLER_PATH)

    applied = push_run(lab, "apply", sha, 600)

    assert not applied.ok and creates(lab.sandbox) == {}
    assert f"pull request #5 changed {CALLER_PATH}, outside the reviewable paths" in applied.text


def test_a_pull_request_from_a_fork_says_why_it_is_not_planned(lab: Lab) -> None:
    job = lab.runner.run_job(
        "fork", event_name="pull_request", event=pr_event(lab, fork=True), sha=lab.head, run_id=520
    )
    assert job.ok
    assert "comes from a fork" in job.summary and "no secrets" in job.summary


def drift_run(lab: Lab, run_id: int) -> Job:
    event = {"schedule": "17 5 * * *", "repository": repository()}
    sha = lab.git("rev-parse", "HEAD")
    return lab.runner.run_job("drift", event_name="schedule", event=event, sha=sha, run_id=run_id)


def dispatch(lab: Lab, job: str, run_id: int) -> Job:
    event = {
        "ref": "refs/heads/main",
        "inputs": {"apply-current": True},
        "repository": repository(),
    }
    sha = lab.git("rev-parse", "HEAD")
    return lab.runner.run_job(
        job, event_name="workflow_dispatch", event=event, sha=sha, run_id=run_id
    )


def test_drift_opens_updates_and_closes_one_issue_and_the_way_out_applies_the_current_plan(
    lab: Lab,
) -> None:
    lab.git("checkout", "-q", "main")
    lab.git("merge", "-q", "--ff-only", "add-exports")  # declared, never applied: drift

    opened = drift_run(lab, 700)
    assert opened.ok, opened.text
    issues = lab.fake.state.issues
    assert len(issues) == 1 and issues[0]["state"] == "open"
    assert issues[0]["title"] == "Drift: aws-us/lab/p differs from git"
    assert "3 to move" in issues[0]["body"]

    updated = drift_run(lab, 701)
    assert updated.ok and len(issues) == 1 and "runs/701" in issues[0]["body"]

    # The way out: plan the current state, then (after the environment's review) apply it.
    planned = dispatch(lab, "plan-current", 710)
    assert planned.ok and "### reconciler plan" in planned.summary, planned.text
    applied = dispatch(lab, "apply-current", 710)
    assert applied.ok, applied.text
    assert creates(lab.sandbox) == {"move": 1}

    closed = drift_run(lab, 702)
    assert closed.ok, closed.text
    assert len(issues) == 1 and issues[0]["state"] == "closed"
    assert "No drift any more" in issues[0]["comment_bodies"][0]
    assert issues[0]["user"]["login"] == BOT


def test_the_token_never_reaches_the_output(lab: Lab) -> None:
    job = plan_run(lab, 501)
    assert TOKEN not in job.text and lab.sandbox.token not in job.text


def test_the_caller_scaffold_fits_the_reusable_workflow() -> None:
    """What `reconciler init` copies calls this workflow with inputs and secrets it declares,
    on the events it handles, and grants every permission a job asks for, no more."""
    from ruamel.yaml import YAML

    scaffold = ROOT / "reconciler" / "scaffold" / "github-workflow.yml"
    caller = YAML(typ="safe").load(scaffold.read_text(encoding="utf-8"))
    called = workflow()
    declared = called["on"]["workflow_call"]
    job = caller["jobs"]["reconciler"]
    assert job["uses"].split("@")[0].endswith("/.github/workflows/reconciler.yml")
    assert set(job["with"]) <= set(declared["inputs"])
    assert {k for k, v in declared["inputs"].items() if v.get("required")} <= set(job["with"])
    assert set(job["secrets"]) == {"SB_PLAN_TOKEN"}  # the apply token is the environment's
    assert set(caller["on"]) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert caller["permissions"] == {}
    asked: dict[str, set[str]] = {}
    for spec in called["jobs"].values():
        for scope, level in (spec.get("permissions") or {}).items():
            asked.setdefault(scope, set()).add(level)
    granted = job["permissions"]
    assert set(granted) == set(asked)
    for scope, levels in asked.items():
        assert granted[scope] == ("write" if "write" in levels else "read"), scope


def test_the_guide_names_every_job_with_its_permissions() -> None:
    guide = (ROOT / "docs" / "github.md").read_text(encoding="utf-8")
    table = guide[guide.index("| Job | Runs on |") :]
    for name, spec in workflow()["jobs"].items():
        rows = [line for line in table.splitlines() if line.startswith(f"| `{name}` |")]
        assert len(rows) == 1, name
        for scope, level in (spec.get("permissions") or {}).items():
            assert f"`{scope}: {level}`" in rows[0], (name, scope)
