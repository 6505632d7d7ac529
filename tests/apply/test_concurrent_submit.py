"""Several create calls in flight at once (`EngineSettings.creates_in_flight`), against the
sandbox with latency: the calls really overlap, the count of calls does not grow, polling goes
on meanwhile, copies still complete before their moves, and a kill with several calls
outstanding leaves a journal the next run recovers from. Also: the journal written from many
threads keeps every line whole.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.apply.journal import Journal, Target, read_history
from reconciler.apply.settings import CREATES_IN_FLIGHT, UNCERTAIN_MARGIN
from reconciler.commands.runtime import Runtime
from reconciler.errors import StateError

from .helpers import (
    CREATE,
    MOVES,
    SETTLE_SECONDS,
    creates,
    fast_runtime,
    ids_in,
    jobs_per_destination,
    run_cli,
)

Interval = tuple[float, float]


def apply_args(manifest: Path) -> list[str]:
    return ["apply", "--yes", "--state-dir", str(manifest.parent.parent / "state"), str(manifest)]


def intervals(sandbox: Any, path: str) -> list[Interval]:
    """When the server handled each POST to `path` (the log has the end and the duration)."""
    return sorted(
        (e["time"] - e["duration"], e["time"])
        for e in sandbox.request_log()
        if e["method"] == "POST" and e["path"].startswith(path)
    )


def peak_overlap(spans: list[Interval]) -> int:
    events = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    current = peak = 0
    for _, step in events:
        current += step
        peak = max(peak, current)
    return peak


def record_threads(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """The names of the threads each of the engine's API calls was made on."""
    seen: dict[str, set[str]] = {}
    for name in ("bulk_create_exports", "bulk_get_exports", "bulk_get_files", "list_exports"):
        real = getattr(ApiClient, name)

        def spy(
            self: ApiClient, *args: Any, _real: Any = real, _name: str = name, **kw: Any
        ) -> Any:
            seen.setdefault(_name, set()).add(threading.current_thread().name)
            return _real(self, *args, **kw)

        monkeypatch.setattr(ApiClient, name, spy)
    return seen


def with_creates_in_flight(count: int) -> Runtime:
    return fast_runtime(creates_in_flight=count, uncertain_margin=UNCERTAIN_MARGIN)


@pytest.mark.slow
def test_creates_overlap_polls_go_on_meanwhile_and_the_call_count_stays(
    lab: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, _, manifest = lab({"moves": 1000}, [MOVES], latency=0.3)
    threads = record_threads(monkeypatch)

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    assert creates(sandbox) == {"move": 10}  # ceil(1000 / 100), as one at a time
    created = intervals(sandbox, CREATE)
    assert 2 <= peak_overlap(created) <= CREATES_IN_FLIGHT
    polls = intervals(sandbox, "/v2/bulk/storage/exports/get")
    assert any(p[0] < c[1] and c[0] < p[1] for p in polls for c in created)
    per_destination = jobs_per_destination(sandbox)
    assert len(per_destination) == 1000 and max(per_destination.values()) == 1
    # Workers make only the create calls; polls stay on the engine's thread.
    assert all(name.startswith("reconciler-create") for name in threads["bulk_create_exports"])
    assert threads["bulk_get_exports"] == {threading.current_thread().name}
    others = {n for kind, names in threads.items() if kind != "bulk_create_exports" for n in names}
    assert not any(name.startswith("reconciler-create") for name in others)


def test_with_one_call_in_flight_creates_go_one_after_another(
    lab: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, _, manifest = lab({"moves": 300}, [MOVES], latency=0.05)
    one_at_a_time = with_creates_in_flight(1)
    threads = record_threads(monkeypatch)

    ran = run_cli(capsys, *apply_args(manifest), runtime=one_at_a_time)

    assert ran.code == 0, ran.err
    assert creates(sandbox) == {"move": 3}
    assert peak_overlap(intervals(sandbox, CREATE)) == 1
    assert threads["bulk_create_exports"] == {threading.current_thread().name}


@pytest.mark.slow
def test_copies_still_complete_before_the_moves_of_their_files(lab: Any, capsys: Any) -> None:
    both = [
        {"glob": "both/*.dat", "location": "keep/{name}", "mode": "copy"},
        {"glob": "both/*.dat", "location": "copy2/{name}", "mode": "copy"},
        {"glob": "both/*.dat", "location": "moved/{name}", "mode": "move"},
    ]
    sandbox, data, manifest = lab({"both": 250}, both, latency=0.1, job_pace=0.5)

    ran = run_cli(capsys, *apply_args(manifest))

    assert ran.code == 0, ran.err
    assert peak_overlap(intervals(sandbox, CREATE)) >= 2
    rows = sandbox.query("SELECT file_id, copy_only, created_at, done_at, state FROM exports")
    assert {r["state"] for r in rows} == {"COMPLETED"} and len(rows) == 750
    for file in ids_in(data, "both"):
        copies = [r for r in rows if r["file_id"] == file and r["copy_only"]]
        move = next(r for r in rows if r["file_id"] == file and not r["copy_only"])
        assert len(copies) == 2
        assert all(c["done_at"] <= move["created_at"] for c in copies)
    # 500 copies in 5 calls; the 250 moves, released as copies finish, still in 3.
    assert creates(sandbox) == {"copy": 5, "move": 3}


def _outstanding(journal: Path) -> set[str]:
    """Batches with a `submit` record and no answer yet."""
    open_batches: set[str] = set()
    for line in journal.read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            break  # the last line is still being written
        if record["kind"] == "submit":
            open_batches.add(record["batch"])
        elif record["kind"] in ("submitted", "uncertain"):
            open_batches.discard(record["batch"])
    return open_batches


def _kill_when(check: Callable[[], bool], process: subprocess.Popen[str], *, what: str) -> None:
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if check():
                os.kill(process.pid, signal.SIGKILL)
                return
            assert process.poll() is None, "apply ended before it could be killed"
            time.sleep(0.005)
        pytest.fail(f"never saw {what}")
    finally:
        process.kill()  # a no-op once it is dead; never leave it running on a failure
        process.wait(timeout=10)


@pytest.mark.slow
def test_a_kill_with_several_creates_outstanding_is_recovered_by_the_next_run(
    lab: Any, capsys: Any, tmp_path: Path
) -> None:
    files = 600
    # Slow answers (but shorter than SETTLE_SECONDS, so a killed call has landed by the time
    # the next run re-reads the platform).
    sandbox, _, manifest = lab({"moves": files}, [MOVES], latency=0.6, job_pace=1.0)
    argv = apply_args(manifest)
    journal = manifest.parent.parent / "state" / "journal.jsonl"
    with open(tmp_path / "killed.log", "w") as log:
        # A real process with the default settings: several creates in flight.
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", *argv], stdout=log, stderr=log, text=True
        )
        _kill_when(
            lambda: journal.exists() and len(_outstanding(journal)) >= 2,
            process,
            what="two create calls outstanding",
        )

    outstanding = _outstanding(journal)
    assert len(outstanding) >= 2
    history = read_history(journal.parent)
    assert len(history.uncertain) == 100 * len(outstanding)  # every item of those calls
    before = len(journal.read_text().splitlines())
    sandbox.configure(latency=0.0)

    # The grace before a lost call is re-read: three times the sandbox's latency, so that a call
    # still being handled by a sandbox slowed down by coverage tracing has landed (with one
    # second it once did not, and its items were sent again and refused as failed).
    rerun = run_cli(capsys, *argv, runtime=fast_runtime(uncertain_grace=3 * 0.6 + SETTLE_SECONDS))

    assert rerun.code == 0, rerun.err
    later = [json.loads(line) for line in journal.read_text().splitlines()[before:]]
    kinds = [r["kind"] for r in later]
    # Those calls' items (the ones the plan did not already see as jobs) were re-read from the
    # platform before anything was sent again.
    assert "resolved" in kinds, kinds
    assert "submit" not in kinds or kinds.index("resolved") < kinds.index("submit")
    # One `resolved` per call of the killed run (each is timed from its own send).
    resolved = [r for r in later if r["kind"] == "resolved"]
    assert {Target.from_dict(t) for r in resolved for t in r["items"]} <= set(history.uncertain)
    per_destination = jobs_per_destination(sandbox)
    assert len(per_destination) == files and max(per_destination.values()) == 1
    assert {r["state"] for r in sandbox.query("SELECT state FROM exports")} == {"COMPLETED"}


def test_the_journal_written_from_many_threads_keeps_every_line_whole(tmp_path: Path) -> None:
    writers, records = 4, 100
    big = "x" * 10_000  # longer than one write is guaranteed to take whole

    with Journal(tmp_path, "run-1") as journal:

        def write(n: int) -> None:
            for i in range(records):
                journal.write("note", writer=n, i=i, batch=journal.next_batch(), pad=big)

        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    lines = (tmp_path / "journal.jsonl").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    assert len(parsed) == writers * records
    assert len({r["batch"] for r in parsed}) == writers * records
    for n in range(writers):
        assert [r["i"] for r in parsed if r["writer"] == n] == list(range(records))


def test_the_journal_refuses_writes_after_it_is_closed(tmp_path: Path) -> None:
    journal = Journal(tmp_path, "run-1")
    journal.close()
    with pytest.raises(StateError, match="the journal is closed"):
        journal.write("submitted", batch="run-1-1")
    journal.close()  # closing twice is harmless
    assert not (tmp_path / "journal.jsonl").read_text()
