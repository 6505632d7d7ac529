"""`plan --base REF` (in a merge request pipeline, CI_MERGE_REQUEST_DIFF_BASE_SHA): a real git
repository with a merge base, a real sandbox; every item marked as declared by this change or
before it, labelled in text and Markdown, kept in JSON, counted in the summary line."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from reconciler.plan.io import load_plan
from reconciler.plan.model import Introduced
from tests.apply.helpers import (
    COPIES,
    MOVES,
    report_lines,
    run_cli,
    seed,
    use_sandbox,
    write_manifest,
)


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_sandbox: Any) -> tuple[Path, str]:
    """A repository whose main declared the moves (merged, not applied: they are pending);
    the change adds the copies. Returns the manifest and the merge base."""
    sandbox = make_sandbox(seed=seed({"moves": 3, "copies": 2}))
    use_sandbox(monkeypatch, sandbox, tmp_path)
    monkeypatch.delenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", raising=False)
    monkeypatch.delenv("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", raising=False)
    monkeypatch.chdir(tmp_path)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "config", "user.email", "t@example.org")
    git(tmp_path, "config", "user.name", "T")
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "declare the moves")
    base = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-qb", "add-copies")
    write_manifest(tmp_path / "manifests", [MOVES, COPIES])
    git(tmp_path, "commit", "-qam", "declare the copies")
    return manifest, base


def test_each_item_is_labelled_and_both_are_counted(repo: tuple[Path, str], capsys: Any) -> None:
    manifest, base = repo
    ran = run_cli(capsys, "plan", "--base", base, "--show-all", "--out", "plan.json", str(manifest))

    assert ran.code == 0, ran.err
    summary = " ".join(ran.out.split(" blocked;")[1].split("\n\n")[0].split())
    assert ran.out.startswith("Plan: 3 to move")
    assert summary.startswith("2 from this merge request, 3 pending from earlier merges")
    lines = report_lines(ran.out)
    lines = [line for line in lines if re.match(r"\s+\S+ (moves|copies)/f\d+\.dat ->", line)]
    copies = [line for line in lines if "copies/" in line]
    moves = [line for line in lines if "moves/" in line]
    assert copies and all("(this merge request)" in line for line in copies)
    assert moves and all("(pending from earlier merges)" in line for line in moves)
    plan = load_plan("plan.json")
    marks = {item.path: item.introduced for item in plan.items}
    assert {p for p, m in marks.items() if m is Introduced.HERE} == {
        "copies/f0000.dat",
        "copies/f0001.dat",
    }
    assert all(m is Introduced.EARLIER for p, m in marks.items() if p and p.startswith("moves"))
    raw = [json.loads(line.rstrip(",")) for line in Path("plan.json").read_text().splitlines()
           if '"fingerprint"' in line]  # fmt: skip
    assert {r["introduced"] for r in raw} == {"here", "earlier"}

    shown = run_cli(capsys, "show", "plan.json", "--format", "markdown", "--show-all")
    assert "2 from this merge request, 3 pending from earlier merges" in shown.out
    assert "_(this merge request)_" in shown.out and "_(pending from earlier merges)_" in shown.out
    moves_md = [line for line in shown.out.splitlines() if "moves/f0000.dat" in line]
    assert moves_md and all("_(pending from earlier merges)_" in line for line in moves_md)


def test_a_changed_setting_is_this_merge_requests(repo: tuple[Path, str], capsys: Any) -> None:
    manifest, base = repo
    write_manifest(manifest.parent, [{**MOVES, "overwrite": True}, COPIES])
    ran = run_cli(capsys, "plan", "--base", base, str(manifest))
    assert ran.code == 0, ran.err
    assert "; 5 from this merge request, 0 pending from earlier merges" in " ".join(ran.out.split())


def test_the_merge_requests_base_comes_from_gitlab_and_a_plan_without_one_is_unmarked(
    repo: tuple[Path, str], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest, base = repo
    ran = run_cli(capsys, "plan", "--out", "plain.json", str(manifest))
    assert "merge request" not in ran.out
    assert all(item.introduced is None for item in load_plan("plain.json").items)
    assert '"introduced"' not in Path("plain.json").read_text()

    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)
    ran = run_cli(capsys, "plan", str(manifest))
    assert "2 from this merge request, 3 pending from earlier merges" in " ".join(ran.out.split())


def test_a_base_that_cannot_be_read(
    repo: tuple[Path, str], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest, _ = repo
    missing = "0123456789abcdef" * 2 + "01234567"
    ran = run_cli(capsys, "plan", "--base", missing, str(manifest))
    assert ran.code == 1 and ran.out == ""
    errors = [line for line in ran.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and f"--base: {missing} is not a commit of this clone" in errors[0]

    # In a merge request pipeline of a shallow clone: a warning, and the plan unmarked.
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", missing)
    ran = run_cli(capsys, "plan", str(manifest))
    assert ran.code == 0 and "merge request" not in ran.out
    assert "not marked against the merge base" in ran.err


def test_a_merged_results_pipeline_counts_against_the_target_it_merged(
    repo: tuple[Path, str], capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another merge request declared the copies on main after this one branched off; the
    merged results commit holds both. Against the diff's base the copies would look like this
    merge request's; against the target branch's commit it merged, they are earlier."""
    manifest, base = repo
    folder = manifest.parent.parent
    git(folder, "checkout", "-qb", "main-now", base)
    write_manifest(manifest.parent, [MOVES, COPIES])
    git(folder, "commit", "-qam", "another merge request declared the copies")
    target = git(folder, "rev-parse", "HEAD")
    monkeypatch.setenv("CI_MERGE_REQUEST_DIFF_BASE_SHA", base)
    monkeypatch.setenv("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", target)
    ran = run_cli(capsys, "plan", str(manifest))
    assert "; 0 from this merge request, 5 pending from earlier merges" in " ".join(ran.out.split())
    monkeypatch.setenv("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", "")  # a head pipeline: empty
    ran = run_cli(capsys, "plan", str(manifest))
    assert "; 2 from this merge request, 3 pending from earlier merges" in " ".join(ran.out.split())
