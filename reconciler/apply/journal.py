"""The apply journal: an append-only JSON-lines file in the state folder, fsync'ed line by line.

Every bulk create call is bracketed by two records: `submit` (the items about to be sent, with
their file and destination) before the call, and `submitted` (the job id or error of each item)
or `uncertain` (no readable answer) or `unsent` (it failed before the request was written)
after it; `resolved` says what re-reading the platform
found for an uncertain call. Jobs reaching a final state are recorded, a poll's worth at a
time, as `final`. A run opens with `run` and closes with `end`.

After `kill -9` the next run reads the journal back (`JournalHistory`): jobs it knows were
submitted and not seen finished are polled by id rather than searched for, and items of a
`submit` with no answer are re-read from the platform before anything is sent again. The
platform stays the source of truth; the journal only saves calls and keeps the audit trail
(it is meant to be kept as a CI artifact). Every line goes through `redact`.

The engine's create workers record their answers themselves, so a `Journal` may be written from
several threads: each record is written whole, and on disk, before the next one starts.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.core.live import LiveJob
from reconciler.errors import StateError
from reconciler.redact import redact

JOURNAL_NAME = "journal.jsonl"
JOURNAL_VERSION = 1


@dataclass(frozen=True, slots=True)
class Target:
    """What one export writes: the identity a job is matched on across runs and machines."""

    file_id: str
    volume: str
    location: str
    mode: str  # move | copy

    def as_dict(self) -> dict[str, str]:
        return {**self.place(), "mode": self.mode}

    def place(self) -> dict[str, str]:
        """The target without its mode, for a `submit` record (its batch has one mode)."""
        return {"file": self.file_id, "volume": self.volume, "location": self.location}

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, mode: str | None = None) -> Target:
        """`mode`: the batch's, for the items of a `submit` record that do not name theirs."""
        return cls(
            str(data["file"]),
            str(data["volume"]),
            str(data["location"]),
            str(data.get("mode", mode)),
        )


class Journal:
    """Appends records to `<state_dir>/journal.jsonl`, one fsync'ed line each."""

    def __init__(self, state_dir: Path, run_id: str) -> None:
        self.path = state_dir / JOURNAL_NAME
        self.run_id = run_id
        self._batches = 0
        self._lock = threading.Lock()
        try:
            state_dir.mkdir(parents=True, exist_ok=True)
            # O_BINARY (Windows): lines end in \n there too, as the reader expects.
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_BINARY", 0)
            self._fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise StateError(f"{self.path}: cannot open the journal: {exc.strerror}") from exc

    def write(self, kind: str, **fields: Any) -> None:
        at = round(time.time(), 3)
        record = {"v": JOURNAL_VERSION, "run": self.run_id, "kind": kind, "at": at, **fields}
        line = redact(json.dumps(record, sort_keys=True, separators=(",", ":"))) + "\n"
        data = line.encode()
        try:
            with self._lock:
                if self._fd < 0:
                    # A worker answering after the run gave up must not write into whatever
                    # file took the descriptor's number.
                    raise StateError(f"{self.path}: the journal is closed; {kind} not recorded")
                written = 0
                while written < len(data):
                    written += os.write(self._fd, data[written:])
                # A record that is not on disk when the process dies is a record that lies.
                os.fsync(self._fd)
        except OSError as exc:
            raise StateError(f"{self.path}: cannot write the journal: {exc.strerror}") from exc

    def next_batch(self) -> str:
        with self._lock:
            self._batches += 1
            return f"{self.run_id}-{self._batches}"

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@dataclass(slots=True)
class JournalHistory:
    """What earlier runs left behind, for the next run to pick up."""

    # Jobs submitted and not seen in a final state: job id -> target.
    open_jobs: dict[str, Target] = field(default_factory=dict)
    # Items sent in a call whose answer never arrived (killed, or lost and not resolved),
    # with when that call was sent (Unix time): a call may still take effect for a while.
    uncertain: dict[Target, float] = field(default_factory=dict)
    # The latest FAILED job per target, with its message (the planner quotes it).
    failed: dict[Target, tuple[str, str]] = field(default_factory=dict)

    def failed_jobs(self) -> dict[str, LiveJob]:
        """The FAILED jobs by file, for the planner to quote when it plans them again."""
        return {
            target.file_id: LiveJob(
                id=job_id,
                state="FAILED",
                file_id=target.file_id,
                volume=target.volume,
                location=target.location,
                error=message or None,
            )
            for target, (job_id, message) in self.failed.items()
        }


def read_history(state_dir: Path, *, platform: str | None = None) -> JournalHistory:
    """Replay the journal; a torn last line (the process died mid-write) is ignored.

    With `platform`, only the runs of that platform count (a run's `run` record names it; runs
    recorded before platforms were named count for every platform): two platforms may have
    the same file ids and volume names."""
    history = JournalHistory()
    path = state_dir / JOURNAL_NAME
    if not path.exists():
        return history
    pending: dict[str, tuple[float, list[Target]]] = {}
    other_runs: set[str] = set()
    for record in _records(path):
        kind = record.get("kind")
        if platform is not None:
            if kind == "run" and record.get("platform") not in (None, platform):
                other_runs.add(str(record.get("run")))
            if record.get("run") in other_runs:
                continue
        if kind == "submit":
            sent = float(record.get("at", 0.0))
            mode = "copy" if record.get("copy_only") else "move"
            targets = [Target.from_dict(t, mode=mode) for t in record["items"]]
            pending[record["batch"]] = (sent, targets)
        elif kind == "submitted":
            _, targets = pending.pop(record["batch"], (0.0, []))
            for target, answer in zip(targets, record["results"], strict=False):
                history.uncertain.pop(target, None)
                if answer.get("job"):
                    history.open_jobs[answer["job"]] = target
        elif kind == "uncertain":
            sent, targets = pending.pop(record["batch"], (0.0, []))
            history.uncertain.update(dict.fromkeys(targets, sent))
        elif kind == "unsent":
            pending.pop(record["batch"], None)  # it never reached the platform
        elif kind == "resolved":
            for target in (Target.from_dict(t) for t in record["items"]):
                history.uncertain.pop(target, None)
            for job_id, data in record.get("jobs", {}).items():
                history.open_jobs[job_id] = Target.from_dict(data)
        elif kind == "final":
            for job in record["jobs"]:
                done = history.open_jobs.pop(job["job"], None)
                if done is not None and job.get("state") == "FAILED":
                    history.failed[done] = (job["job"], str(job.get("error") or ""))
                elif done is not None:
                    history.failed.pop(done, None)
    # A `submit` with no answer at all: the process died during the call.
    for sent, targets in pending.values():
        history.uncertain.update(dict.fromkeys(targets, sent))
    return history


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """The journal's records, a line at a time (the journal of 1,000,000 items is hundreds of
    megabytes)."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise StateError(f"{path}: cannot read the journal: {exc.strerror}") from exc
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    if not line.endswith("\n"):
                        continue  # torn last write
                    raise StateError(
                        f"{path}:{number}: not a journal record; move the file away"
                    ) from None
                if isinstance(record, dict):
                    yield record
        except OSError as exc:
            raise StateError(f"{path}: cannot read the journal: {exc.strerror}") from exc
