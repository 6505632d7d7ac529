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


HOLD = """
import sys
from pathlib import Path
from reconciler.apply.lock import StateLock
from reconciler.errors import StateError

sys.stdin.readline()  # "go": every racer tries at once
try:
    lock = StateLock(Path(sys.argv[1]))
    lock.acquire()
except StateError as exc:
    print("lost", exc, flush=True)
    raise SystemExit(0)
print("won", flush=True)
sys.stdin.read()  # hold the lock until the test closes stdin
"""


def _racer(state: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", HOLD, str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_of_racing_processes_exactly_one_holds_the_lock(tmp_path: Path) -> None:
    racers = [_racer(tmp_path) for _ in range(6)]
    try:
        for racer in racers:
            assert racer.stdin is not None
            racer.stdin.write("go\n")
            racer.stdin.flush()
        answers = [racer.stdout.readline() for racer in racers if racer.stdout is not None]
        winners = [racers[i] for i, a in enumerate(answers) if a.startswith("won")]
        assert len(winners) == 1, answers
        winner = winners[0]
        losers = [a for a in answers if a.startswith("lost")]
        assert len(losers) == 5
        # The refused runs name the holder once it has written itself into the file.
        with pytest.raises(StateError, match=f"another apply \\(pid {winner.pid} on "):
            StateLock(tmp_path).acquire()
    finally:
        for racer in racers:
            if racer.stdin is not None:
                racer.stdin.close()
            racer.wait(timeout=30)
            if racer.stdout is not None:
                racer.stdout.close()
    with StateLock(tmp_path):  # released when its holder ended
        pass


def test_a_holder_killed_with_sigkill_leaves_no_lock_behind(tmp_path: Path) -> None:
    holder = _racer(tmp_path)
    assert holder.stdin is not None and holder.stdout is not None
    holder.stdin.write("go\n")
    holder.stdin.flush()
    assert holder.stdout.readline().startswith("won")
    holder.kill()
    holder.wait(timeout=30)
    holder.stdin.close()
    holder.stdout.close()

    assert (tmp_path / LOCK_NAME).exists()
    with StateLock(tmp_path):
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()


def test_two_locks_in_one_process_exclude_each_other(tmp_path: Path) -> None:
    with StateLock(tmp_path), pytest.raises(StateError, match=f"pid {os.getpid()}"):
        StateLock(tmp_path).acquire()
    with StateLock(tmp_path):
        pass
