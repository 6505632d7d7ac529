"""Every git call has a bound: a git that never answers (a held lock, a hook, a credential
prompt, a stalled network file system) ends the call with one line, and the commit a plan
names is then simply unknown. The `git` here is a real program on PATH that never answers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler.gitops import gitlog


@pytest.fixture
def silent_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = bin_dir / "git"
    git.write_text("#!/bin/sh\nexec sleep 60\n", encoding="utf-8")
    git.chmod(git.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(gitlog, "GIT_SECONDS", 0.5)
    monkeypatch.setattr(gitlog, "HEAD_COMMIT_SECONDS", 0.5)
    return tmp_path


def test_a_git_that_never_answers_is_a_history_error_naming_the_bound(silent_git: Path) -> None:
    with pytest.raises(gitlog.HistoryError, match=r"^git rev-parse: no answer in 0.5s$"):
        gitlog.Repository(silent_git)


def test_the_commit_a_plan_names_is_unknown_when_git_never_answers(silent_git: Path) -> None:
    assert gitlog.head_commit(silent_git) is None


def test_git_is_told_never_to_prompt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git = bin_dir / "git"
    git.write_text('#!/bin/sh\necho "$GIT_TERMINAL_PROMPT $GIT_OPTIONAL_LOCKS"\n', encoding="utf-8")
    git.chmod(git.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    assert gitlog.head_commit(tmp_path) == "0 0"
