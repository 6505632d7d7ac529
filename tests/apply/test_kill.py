"""An apply killed with SIGKILL, then run again: one job per file, and convergence.

The killed apply is a real process (`python -m reconciler apply --yes`); the re-run picks up
what the journal knows and re-reads what it does not.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .helpers import MOVES, jobs_per_destination, run_cli, seed, use_sandbox, write_manifest

FILES = 250


def _kinds(journal: Path) -> list[str]:
    kinds = []
    for line in journal.read_text().splitlines():
        try:
            kinds.append(json.loads(line)["kind"])
        except ValueError:
            break  # the last line is still being written: read it next time
    return kinds


def _kill_when(journal: Path, kind: str, process: subprocess.Popen[str]) -> None:
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if journal.exists() and kind in _kinds(journal):
                os.kill(process.pid, signal.SIGKILL)
                return
            assert process.poll() is None, "apply ended before it could be killed"
            time.sleep(0.005)
        pytest.fail(f"no {kind!r} record in the journal")
    finally:
        process.kill()  # a no-op once it is dead; never leave it running on a failure
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("kill_after", "settings"),
    [
        # Killed while polling: the jobs of the first call(s) are known by id.
        ("submitted", {"job_pace": 3.0}),
        # Killed during a create call (slow answers): whether it took effect is unknown.
        ("submit", {"job_pace": 1.0, "latency": 0.3}),
    ],
)
@pytest.mark.slow
def test_killed_apply_then_rerun_leaves_one_job_per_file(
    kill_after: str,
    settings: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_sandbox: Any,
    capsys: Any,
) -> None:
    monkeypatch.chdir(tmp_path)
    sandbox = make_sandbox(seed=seed({"moves": FILES}), **settings)
    use_sandbox(monkeypatch, sandbox, tmp_path)
    manifest = write_manifest(tmp_path / "manifests", [MOVES])
    state = tmp_path / "state"
    argv = ["apply", "--yes", "--state-dir", str(state), str(manifest)]
    with open(tmp_path / "killed.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *argv], stdout=log, stderr=log, text=True
        )
        _kill_when(state / "journal.jsonl", kill_after, process)

    assert (state / "apply.lock").exists()  # left behind by the dead process
    before = _kinds(state / "journal.jsonl")
    assert kill_after in before
    if kill_after == "submit":
        assert before[-1] == "submit"  # killed during the call: its answer is unknown
    sandbox.configure(latency=0.0)
    rerun = run_cli(capsys, *argv)

    assert rerun.code == 0, rerun.err
    per_destination = jobs_per_destination(sandbox)
    assert len(per_destination) == FILES and max(per_destination.values()) == 1
    if kill_after == "submit":
        # The answer never came: the re-run re-read those items before sending anything.
        assert "resolved" in _kinds(state / "journal.jsonl")[len(before) :]
    rows = sandbox.query("SELECT state FROM exports")
    assert {r["state"] for r in rows} == {"COMPLETED"}
