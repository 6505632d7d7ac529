"""`github-comment` and `github-drift-issue` in process against a fake GitHub: one comment per
pull request and key, edited in place, only ours; the job summary; a failing GitHub is a
warning for the comment and an error for the drift issue; the comment for 10,000 moves fits
GitHub's 65,536 characters and leads with the summary."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.gitops.github_comments import MAX_COMMENT_CHARS, comment_body
from reconciler.plan.io import dump_plan
from reconciler.plan.render_common import summary_line
from reconciler.plan.render_markdown import render_markdown
from tests.apply.helpers import MOVES, plan_now, run_cli, seed, use_sandbox, write_manifest
from tests.plan.test_render import big_plan

from .fake_github import BOT, TOKEN, FakeGitHub

MARKER = "<!-- reconciler-plan:aws-us/lab/p -->"


@pytest.fixture
def github(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_sandbox: Any
) -> Iterator[FakeGitHub]:
    """A plan (plan.json, plan.md) of three moves, and the variables of a pull_request run of
    pull request #5 (run 77, attempt 2)."""
    sandbox = make_sandbox(seed=seed({"moves": 3}))
    use_sandbox(monkeypatch, sandbox, tmp_path)
    monkeypatch.chdir(tmp_path)
    plan = plan_now(write_manifest(tmp_path / "manifests", [MOVES]))
    Path("plan.json").write_text(dump_plan(plan))
    Path("plan.md").write_text(render_markdown(plan))
    fake = FakeGitHub()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 5, "head": {"sha": "a" * 40}}}))
    for name, value in (
        ("GITHUB_API_URL", fake.url),
        ("GITHUB_REPOSITORY", "lab/manifests"),
        ("GITHUB_SHA", "c" * 40),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_EVENT_PATH", str(event)),
        ("GITHUB_RUN_ID", "77"),
        ("GITHUB_RUN_ATTEMPT", "2"),
        ("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md")),
        ("GITHUB_TOKEN", TOKEN),
    ):
        monkeypatch.setenv(name, value)
    try:
        yield fake
    finally:
        fake.stop()


def comment(capsys: Any, *extra: str) -> Any:
    return run_cli(
        capsys, "github-comment", "plan.md", "--plan", "plan.json", "--key", "aws-us/lab/p", *extra
    )


def test_one_comment_is_created_then_edited_and_only_ours(github: FakeGitHub, capsys: Any) -> None:
    # Anyone can paste the marker: a reviewer's comment that quotes it is never edited.
    github.state.tokens["ghp_human"] = "alice"
    github.state.comments[5] = [
        {"id": 1, "body": f"quoting {MARKER}", "user": {"login": "alice", "type": "User"}}
    ]
    page = "https://github.com/lab/manifests/actions/runs/77/artifacts/9"

    first = comment(capsys, "--page-url", page)
    second = comment(capsys)

    assert first.code == 0 and "comment" in first.err and "created" in first.err, first.err
    assert second.code == 0 and "updated" in second.err, second.err
    ours = github.our_comments(5)
    assert len(ours) == 1 and ours[0]["body"].startswith(f"{MARKER}\n### reconciler plan")
    assert github.state.comments[5][0]["body"] == f"quoting {MARKER}"
    digest = json.loads(Path("plan.json").read_text())["digest"]
    assert f"Plan digest `{digest}`" in ours[0]["body"]
    assert "[run 77 attempt 2](https://github.com/lab/manifests/actions/runs/77)" in ours[0]["body"]
    assert "at commit aaaaaaaaaaaa" in ours[0]["body"]
    summary = Path("summary.md").read_text()
    assert summary.count("### reconciler plan") == 2 and f"]({page})" in summary


def test_without_a_token_or_a_pull_request_the_summary_is_still_written(
    github: FakeGitHub, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    ran = comment(capsys)
    assert ran.code == 0 and "GITHUB_TOKEN is not set: no pull request comment" in ran.err
    (tmp_path / "event.json").write_text("{}")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "workflow_dispatch")
    ran = comment(capsys)
    assert ran.code == 0 and "workflow_dispatch: no pull request, no comment" in ran.err
    assert Path("summary.md").read_text().count("### reconciler plan") == 2
    assert github.seen() == []


def test_a_failing_github_is_a_warning_and_the_plan_stands(
    github: FakeGitHub, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_revoked")
    ran = comment(capsys)
    assert ran.code == 0
    warnings = [line for line in ran.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "trying once more" in warnings[0], ran.err
    assert "the plan stands without it" in warnings[1] and "ghs_revoked" not in ran.err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (("--page-url", "javascript:alert(1)"), "an https URL"),
        (("--page-url", "https://x/a) [b](https://evil"), "an https URL"),
    ],
)
def test_bad_input_is_one_line(github: FakeGitHub, capsys: Any, argv: Any, expected: str) -> None:
    ran = comment(capsys, *argv)
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert ran.code == 1 and len(errors) == 1 and expected in errors[0], ran.err


def test_a_missing_markdown_file_is_one_line(github: FakeGitHub, capsys: Any) -> None:
    ran = run_cli(capsys, "github-comment", "nowhere.md")
    assert ran.code == 1 and "nowhere.md: cannot read the comment" in ran.err


def test_the_comment_for_10000_moves_fits_and_leads_with_the_summary() -> None:
    plan = big_plan(10_000)
    for markdown in (render_markdown(plan), render_markdown(plan, show_all=True) * 3):
        body = comment_body(markdown, key="aws-us/lab/p", footer="<sub>" + "f" * 900 + "</sub>")
        assert len(body) <= MAX_COMMENT_CHARS
        lines = body.splitlines()
        assert lines[:4] == [MARKER, "### reconciler plan", "", f"**{summary_line(plan)}**"]
        assert body.rstrip().endswith("f</sub>")
    assert "longer than a comment can hold" in body


def drift(capsys: Any) -> Any:
    return run_cli(capsys, "github-drift-issue", "plan.json", "--key", "aws-us/lab/p")


def test_drift_opens_updates_and_closes_one_issue(
    github: FakeGitHub, capsys: Any, tmp_path: Path
) -> None:
    # A pull request and someone else's issue with our marker are not our issue.
    github.state.issues.append(
        {
            "number": 1,
            "title": "x",
            "body": "",
            "state": "open",
            "user": {"login": BOT},
            "pull_request": {},
        }
    )
    github.state.issues.append(
        {
            "number": 2,
            "title": "x",
            "body": "<!-- reconciler-plan:drift:aws-us/lab/p -->",
            "state": "open",
            "user": {"login": "alice"},
        }
    )

    opened, updated = drift(capsys), drift(capsys)

    assert opened.code == 0 and "aws-us/lab/p: drift: issue #102 opened" in opened.err, opened.err
    assert updated.code == 0 and "issue #102 updated" in updated.err, updated.err
    ours = [i for i in github.state.issues if i["user"]["login"] == BOT and "pull_request" not in i]
    assert len(ours) == 1 and "3 to move" in ours[0]["body"]

    # The plan applied, the next scheduled plan is in sync.
    ran = run_cli(capsys, "apply", "--plan", "plan.json", "--state-dir", "state", "manifests")
    assert ran.code == 0, ran.out + ran.err
    Path("plan.json").write_text(dump_plan(plan_now(tmp_path / "manifests" / "m.yaml")))

    closed = drift(capsys)

    assert closed.code == 0 and "no drift: issue #102 closed" in closed.err, closed.err
    assert ours[0]["state"] == "closed" and "No drift any more" in ours[0]["comment_bodies"][0]
    assert "no drift, no open issue" in drift(capsys).err
    assert github.state.issues[1]["state"] == "open"  # alice's issue is left alone


def test_drift_without_a_token_or_with_github_failing_is_an_error(
    github: FakeGitHub, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "")
    ran = drift(capsys)
    assert ran.code == 1 and "issues: write" in ran.err
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_revoked")
    ran = drift(capsys)
    assert ran.code == 1 and "refused" in ran.err and "ghs_revoked" not in ran.err


def test_a_summary_that_cannot_be_written_is_one_line(
    github: FakeGitHub, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a folder
    ran = comment(capsys)
    assert ran.code == 1 and "error: GITHUB_STEP_SUMMARY: cannot write" in ran.err


def test_outside_a_run_the_comment_has_no_footer_and_other_comments_are_skipped(
    github: FakeGitHub, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_STEP_SUMMARY", "GITHUB_RUN_ID"):
        monkeypatch.delenv(name)
    github.state.comments[5] = [{"id": 3, "body": "LGTM", "user": {"login": BOT}}]
    ran = run_cli(capsys, "github-comment", "plan.md")
    assert ran.code == 0 and "created" in ran.err, ran.err
    ours = [c for c in github.our_comments(5) if c["body"].startswith("<!-- reconciler-plan")]
    assert len(ours) == 1 and "Planned by" not in ours[0]["body"]
    assert github.state.comments[5][0]["body"] == "LGTM"


def test_github_takes_the_comment_of_10000_moves(github: FakeGitHub, capsys: Any) -> None:
    """The fake refuses a body over 65,536 characters, as GitHub does (422)."""
    plan = big_plan(10_000)
    Path("plan.json").write_text(dump_plan(plan))
    Path("plan.md").write_text(render_markdown(plan, show_all=True) * 2)  # far too long
    ran = comment(capsys)
    assert ran.code == 0 and "created" in ran.err and "warning" not in ran.err, ran.err
    body = github.our_comments(5)[0]["body"]
    assert len(body) <= MAX_COMMENT_CHARS and f"**{summary_line(plan)}**" in body[:2000]
    assert f"Plan digest `{plan.digest}`" in body
