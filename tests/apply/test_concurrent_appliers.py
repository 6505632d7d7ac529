"""Two applies of one account with different state folders (a workstation and CI): one waits at
its confirmation prompt while the other submits the same exports. After "yes", the first
re-reads the items and sends nothing twice."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .helpers import (
    COPIES,
    FAST,
    MOVES,
    creates,
    jobs_per_destination,
    report_lines,
    run_cli,
)

FILES = 5


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _other_apply(tmp_path: Path, manifest: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Another apply of the same account, with a state folder of its own, in its own process."""
    argv = ["apply", "--yes", "--state-dir", str(tmp_path / "ci-state"), str(manifest), *extra]
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _paused_apply(
    capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, manifest: Path, *extra: str
) -> Any:
    """An apply on a terminal; while it waits at its prompt the other apply runs, then "yes"."""
    others: list[subprocess.CompletedProcess[str]] = []

    def ask_while_the_other_runs(out: Any) -> bool:
        others.append(_other_apply(tmp_path, manifest, *extra))
        return True

    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    runtime = dataclasses.replace(FAST, ask=ask_while_the_other_runs)
    state = str(tmp_path / "desk-state")
    ran = run_cli(capsys, "apply", "--state-dir", state, str(manifest), runtime=runtime)
    assert len(others) == 1, "the prompt was never shown"
    return ran, others[0]


@pytest.mark.slow
def test_an_apply_paused_at_its_prompt_submits_nothing_the_other_apply_sent(
    lab: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sandbox, _, manifest = lab({"moves": FILES, "copies": FILES}, [MOVES, COPIES])

    ran, other = _paused_apply(capsys, monkeypatch, tmp_path, manifest)

    assert other.returncode == 0, other.stderr
    assert ran.code == 0, ran.out + ran.err
    per_destination = jobs_per_destination(sandbox)
    assert len(per_destination) == 2 * FILES and set(per_destination.values()) == {1}
    assert creates(sandbox) == {"move": 1, "copy": 1}  # the other apply's calls only
    assert f"{2 * FILES} in-sync" in ran.out
    assert "in sync when re-read after the prompt" in "\n".join(report_lines(ran.out))


@pytest.mark.slow
def test_jobs_the_other_apply_left_running_are_watched_not_submitted(
    lab: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sandbox, _, manifest = lab({"moves": FILES, "copies": FILES}, [MOVES, COPIES])
    sandbox.configure(job_pace=3.0)

    # The other apply stops waiting at once: its jobs are still running at the "yes".
    ran, other = _paused_apply(capsys, monkeypatch, tmp_path, manifest, "--wait-timeout", "0")
    assert other.returncode == 1 and "running" in other.stdout, other.stdout + other.stderr
    per_destination = jobs_per_destination(sandbox)

    assert len(per_destination) == 2 * FILES and set(per_destination.values()) == {1}
    assert ran.code == 0, ran.out + ran.err
    assert creates(sandbox) == {"move": 1, "copy": 1}  # the other apply's calls only
    assert f"{2 * FILES} completed" in ran.out
