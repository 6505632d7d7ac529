"""The state folder: the journal replayed after a crash, and the lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reconciler.apply.journal import Journal, Target, read_history
from reconciler.apply.lock import LOCK_NAME, StateLock
from reconciler.errors import StateError

A = Target("a" * 24, "lab/out", "m/a.dat", "move")
B = Target("b" * 24, "lab/out", "m/b.dat", "move")
C = Target("c" * 24, "lab/out", "m/c.dat", "copy")


def test_history_knows_open_jobs_failures_and_calls_without_an_answer(tmp_path: Path) -> None:
    with Journal(tmp_path, "r1") as journal:
        journal.write("submit", batch="r1-1", items=[A.as_dict(), B.as_dict()])
        journal.write("submitted", batch="r1-1", results=[{"job": "j1"}, {"job": "j2"}])
        journal.write("final", jobs=[{"job": "j2", "state": "FAILED", "error": "disk full"}])
        journal.write("submit", batch="r1-2", items=[C.as_dict()])  # then killed

    history = read_history(tmp_path)

    assert history.open_jobs == {"j1": A}
    assert history.failed == {B: ("j2", "disk full")}
    assert set(history.uncertain) == {C}


def test_a_resolved_call_is_no_longer_uncertain_and_a_torn_line_is_ignored(
    tmp_path: Path,
) -> None:
    with Journal(tmp_path, "r1") as journal:
        journal.write("submit", batch="r1-1", items=[A.as_dict()])
        journal.write("uncertain", batch="r1-1", error="connection reset")
        journal.write("resolved", items=[A.as_dict()], jobs={"j9": A.as_dict()})
    with open(tmp_path / "journal.jsonl", "a") as handle:
        handle.write('{"kind": "subm')  # the process died mid-write

    history = read_history(tmp_path)

    assert history.uncertain == {} and history.open_jobs == {"j9": A}


def test_the_journal_never_holds_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SB_AUTH_TOKEN", "secret-token-value-1234")
    with Journal(tmp_path, "r1") as journal:
        journal.write("uncertain", batch="x", error="401 for token secret-token-value-1234")

    text = (tmp_path / "journal.jsonl").read_text()
    assert "secret-token-value-1234" not in text and "[redacted]" in text


def test_a_live_holder_is_named_and_refused(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / LOCK_NAME).write_text(
            json.dumps({"pid": holder.pid, "host": os.uname().nodename})
        )
        with pytest.raises(StateError, match=f"another apply \\(pid {holder.pid}\\) is running"):
            StateLock(tmp_path).acquire()
    finally:
        holder.kill()
        holder.wait()


def test_a_stale_lock_of_a_dead_process_is_taken_over_and_released(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename}))

    with StateLock(tmp_path):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
        with pytest.raises(StateError, match=f"pid {os.getpid()}"):
            StateLock(tmp_path).acquire()
    assert not (tmp_path / LOCK_NAME).exists()
