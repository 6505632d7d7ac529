"""The merge request note against a loopback stand-in for GitLab (`fake_gitlab.py`): one note,
created then edited; only the token's own notes are edited; a GitLab failure is a warning
after one retry; the token never follows a redirect; any error body is one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.gitops.notes import MARKER
from reconciler.plan.io import dump_plan
from tests.plan.helpers import bare_plan

from .fake_gitlab import TOKEN, USER_ID, FakeGitLab

IID = "7"
NOTES_PATH = f"/api/v4/projects/42/merge_requests/{IID}/notes"


@pytest.fixture
def gitlab(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitLab]:
    fake = FakeGitLab().start()
    # 150 notes by people before ours: finding ours takes the second page.
    fake.state.notes[IID] = [
        {"id": i, "body": f"looks good {i}", "author": {"id": 5}} for i in range(150)
    ]
    monkeypatch.setenv("CI_API_V4_URL", fake.url)
    monkeypatch.setenv("CI_PROJECT_ID", "42")
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", IID)
    monkeypatch.setenv("CI_PIPELINE_URL", "https://gitlab.example/lab/manifests/-/pipelines/9")
    monkeypatch.setenv("CI_PIPELINE_ID", "9")
    monkeypatch.setenv("CI_COMMIT_SHORT_SHA", "abc12345")
    monkeypatch.setenv("GITLAB_NOTE_TOKEN", TOKEN)
    monkeypatch.delenv("CI_JOB_URL", raising=False)  # set when the tests run in GitLab CI
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def plan_md(tmp_path: Path) -> Path:
    path = tmp_path / "plan.md"
    path.write_text("**Plan:** 2 to move\n")
    return path


def _methods(fake: FakeGitLab) -> list[str]:
    return [r["method"] for r in fake.seen()]


def test_first_run_creates_the_note_and_the_second_edits_it(
    gitlab: FakeGitLab, plan_md: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gitlab-note", str(plan_md)]) == 0
    assert _methods(gitlab).count("POST") == 1
    [note] = gitlab.our_notes(IID, MARKER)
    assert "**Plan:** 2 to move" in note["body"] and note["author"]["id"] == USER_ID
    assert "[pipeline 9](https://gitlab.example/lab/manifests/-/pipelines/9)" in note["body"]
    assert "artifacts" not in note["body"]  # no job URL, no link to its artifacts
    first = capsys.readouterr()

    gitlab.state.requests.clear()
    plan_md.write_text("**Plan:** 3 to move\n")
    assert main(["gitlab-note", str(plan_md)]) == 0
    methods = _methods(gitlab)
    assert "POST" not in methods and methods.count("PUT") == 1
    assert {"method": "PUT", "path": f"{NOTES_PATH}/{note['id']}", "token": True} in gitlab.seen()
    [edited] = gitlab.our_notes(IID, MARKER)
    assert edited["id"] == note["id"]
    assert "3 to move" in edited["body"] and "2 to move" not in edited["body"]
    assert len(gitlab.state.notes[IID]) == 151
    second = capsys.readouterr()
    assert "updated" in second.err and "created" in first.err
    for captured in (first, second):
        assert TOKEN not in captured.out + captured.err


def test_a_note_with_our_marker_by_someone_else_is_never_edited(
    gitlab: FakeGitLab, plan_md: Path
) -> None:
    planted = {"id": 500, "body": f"{MARKER}\nfake plan: nothing to see", "author": {"id": 5}}
    gitlab.state.notes[IID].append(planted)

    assert main(["gitlab-note", str(plan_md)]) == 0

    assert "PUT" not in _methods(gitlab) and _methods(gitlab).count("POST") == 1
    assert planted["body"] == f"{MARKER}\nfake plan: nothing to see"
    ours = [n for n in gitlab.our_notes(IID, MARKER) if n["author"]["id"] == USER_ID]
    assert len(ours) == 1 and "2 to move" in ours[0]["body"]


def test_one_failure_is_retried_and_the_note_is_written(
    gitlab: FakeGitLab, plan_md: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitlab.state.fail_next = 1

    assert main(["gitlab-note", str(plan_md)]) == 0

    assert len(gitlab.our_notes(IID, MARKER)) == 1
    err = capsys.readouterr().err
    assert "HTTP 500" in err and "trying once more" in err and "created" in err


def test_gitlab_failing_twice_is_a_warning_not_a_failed_plan(
    gitlab: FakeGitLab, plan_md: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitlab.state.fail_next = 100

    assert main(["gitlab-note", str(plan_md)]) == 0

    assert _methods(gitlab) == ["GET", "GET"]  # GET /user, twice: one try and one retry
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "the plan stands without it" in warnings[-1]
    assert "Traceback" not in err and TOKEN not in err


def test_an_error_body_that_is_a_json_list_is_one_line(
    gitlab: FakeGitLab, plan_md: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitlab.state.fail_next = 2
    gitlab.state.error_body = ["note is too long", {"body": ["is invalid"]}]

    assert main(["gitlab-note", str(plan_md)]) == 0

    err = capsys.readouterr().err
    assert "note is too long; {'body': ['is invalid']}" in err
    assert "internal error" not in err.lower() and "Traceback" not in err


def test_a_refusal_is_one_warning_line_without_the_token(
    gitlab: FakeGitLab, plan_md: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gitlab.state.tokens = {}  # the token is not known: 401

    assert main(["gitlab-note", str(plan_md)]) == 0

    err = capsys.readouterr().err
    assert "merge request !7 of project 42" in err
    assert "HTTP 401" in err and "scope or role" in err
    assert TOKEN not in err and "Traceback" not in err


def test_a_redirect_to_another_host_is_not_followed_and_carries_no_token(
    gitlab: FakeGitLab, plan_md: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = FakeGitLab(host="127.0.0.2").start()
    try:
        gitlab.state.redirect_to = elsewhere.url.removesuffix("/api/v4")

        assert main(["gitlab-note", str(plan_md)]) == 0

        assert elsewhere.seen() == []  # never reached, so never given the token
    finally:
        elsewhere.stop()
    err = capsys.readouterr().err
    assert "a redirect to 127.0.0.2:" in err and "not followed" in err


def test_without_a_token_it_does_nothing(
    gitlab: FakeGitLab,
    plan_md: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITLAB_NOTE_TOKEN")
    assert main(["gitlab-note", str(plan_md)]) == 0
    assert gitlab.seen() == []
    assert "GITLAB_NOTE_TOKEN is not set" in capsys.readouterr().err


def test_outside_a_merge_request_pipeline_it_says_what_is_missing(
    gitlab: FakeGitLab,
    plan_md: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI_MERGE_REQUEST_IID")
    assert main(["gitlab-note", str(plan_md)]) == 1
    assert "CI_MERGE_REQUEST_IID not set" in capsys.readouterr().err
    assert gitlab.seen() == []


def test_plain_http_is_refused_off_loopback(
    gitlab: FakeGitLab,
    plan_md: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI_API_V4_URL", "http://gitlab.example/api/v4")
    assert main(["gitlab-note", str(plan_md)]) == 1
    assert "must be https" in capsys.readouterr().err


def test_each_key_keeps_its_own_note(gitlab: FakeGitLab, plan_md: Path) -> None:
    for round_ in ("first", "second"):
        for key in ("cgc/lab/a", "aws-us/lab/b"):
            plan_md.write_text(f"{round_} plan of {key}\n")
            assert main(["gitlab-note", str(plan_md), "--key", key]) == 0
    ours = [n for n in gitlab.state.notes[IID] if "reconciler-plan:" in n["body"]]
    assert len(ours) == 2
    assert "second plan of cgc/lab/a" in ours[0]["body"]
    assert "second plan of aws-us/lab/b" in ours[1]["body"]
    assert _methods(gitlab).count("POST") == 2


def test_the_note_links_the_jobs_artifacts(
    gitlab: FakeGitLab, plan_md: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = "https://gitlab.example/lab/manifests/-/jobs/31"
    monkeypatch.setenv("CI_JOB_URL", job)
    assert main(["gitlab-note", str(plan_md)]) == 0
    [note] = gitlab.our_notes(IID, MARKER)
    assert (
        f"the plan and its full list are [the job's artifacts]({job}/artifacts/browse)"
        in (note["body"])
    )


def test_the_note_shows_the_plans_digest_and_links_the_job_that_made_it(
    gitlab: FakeGitLab, plan_md: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = bare_plan(projects=("lab/p",))
    saved = tmp_path / "plan.json"
    saved.write_text(dump_plan(plan))
    job = "https://gitlab.example/lab/manifests/-/jobs/31"
    monkeypatch.setenv("CI_JOB_URL", job)
    monkeypatch.setenv("CI_JOB_ID", "31")
    assert main(["gitlab-note", str(plan_md), "--plan", str(saved)]) == 0
    [note] = gitlab.our_notes(IID, MARKER)
    assert f"Plan digest `{plan.digest}`, made by [job 31]({job})" in note["body"]
    assert len(plan.digest) == 64


def test_a_note_of_an_edited_plan_is_refused(
    gitlab: FakeGitLab, plan_md: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(dump_plan(bare_plan()).replace('"0.1.0"', '"9.9.9"'))
    assert main(["gitlab-note", str(plan_md), "--plan", str(saved)]) == 1
    assert "digest" in capsys.readouterr().err and gitlab.seen() == []


def test_the_note_links_the_plan_page_among_the_jobs_artifacts(
    gitlab: FakeGitLab, plan_md: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = "https://gitlab.example/lab/manifests/-/jobs/31"
    monkeypatch.setenv("CI_JOB_URL", job)
    assert main(["gitlab-note", str(plan_md), "--page", "plan.html"]) == 0
    [note] = gitlab.our_notes(IID, MARKER)
    assert f"**[Open the plan as a page]({job}/artifacts/file/plan.html)**" in note["body"]


@pytest.mark.parametrize("page", ["../plan.html", "/tmp/plan.html", ""])
def test_a_page_outside_the_jobs_folder_is_refused_before_gitlab_is_asked(
    gitlab: FakeGitLab, plan_md: Path, page: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gitlab-note", str(plan_md), "--page", page]) == 1
    assert "--page" in capsys.readouterr().err and gitlab.seen() == []
