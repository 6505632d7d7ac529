"""Waiting for export jobs: bulk export gets of up to 100 ids, each job on its own backoff.

A job is first looked at `POLL_FIRST_SECONDS` after it was submitted, then at intervals that
grow by `POLL_BACKOFF` up to `POLL_MAX_SECONDS`. A call is made when jobs are due; its spare
slots are filled with the jobs due soonest, which costs nothing and often finishes them early.
The client paces every call by the rate limit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.api.resources import Export, ItemError
from reconciler.apply.ports import ExportsApi
from reconciler.errors import ApiError

BULK_SIZE = 100
POLL_FIRST_SECONDS = 2.0
POLL_BACKOFF = 1.5
POLL_MAX_SECONDS = 30.0
FINAL_STATES = ("COMPLETED", "FAILED")


@dataclass(slots=True)
class _Watch:
    due: float
    interval: float


@dataclass(frozen=True, slots=True)
class Schedule:
    first: float = POLL_FIRST_SECONDS
    backoff: float = POLL_BACKOFF
    maximum: float = POLL_MAX_SECONDS


class Poller:
    """The jobs being waited for, and when each should next be looked at."""

    def __init__(self, api: ExportsApi, clock: Callable[[], float], schedule: Schedule) -> None:
        self._api = api
        self._clock = clock
        self._schedule = schedule
        self._jobs: dict[str, _Watch] = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def watch(self, job_id: str, *, first: float | None = None) -> None:
        delay = self._schedule.first if first is None else first
        self._jobs[job_id] = _Watch(self._clock() + delay, self._schedule.first)

    def forget(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def pending(self) -> list[str]:
        return list(self._jobs)

    def due_count(self) -> int:
        now = self._clock()
        return sum(1 for w in self._jobs.values() if w.due <= now)

    def next_due(self) -> float | None:
        return min((w.due for w in self._jobs.values()), default=None)

    def poll(self) -> tuple[list[Export], list[tuple[str, str]]]:
        """One bulk get over the due jobs (topped up with the soonest): every job read, and
        (job id, message) for ids the API could not return. Jobs still running are
        rescheduled, final ones forgotten; a failed call reschedules every job it carried."""
        now = self._clock()
        order = sorted(self._jobs, key=lambda job_id: self._jobs[job_id].due)
        batch = order[:BULK_SIZE]
        if not batch or self._jobs[batch[0]].due > now:
            return [], []
        try:
            answers = self._api.bulk_get_exports(batch)
        except ApiError:
            # Reads were already retried by the client; try again later, until the deadline.
            for job_id in batch:
                self._reschedule(job_id, now)
            return [], []
        read: list[Export] = []
        missing: list[tuple[str, str]] = []
        for job_id, answer in zip(batch, answers, strict=True):
            if isinstance(answer, ItemError):
                self.forget(job_id)
                missing.append((job_id, str(answer)))
                continue
            read.append(answer)
            if answer.state in FINAL_STATES:
                self.forget(job_id)
            else:
                self._reschedule(job_id, now)
        return read, missing

    def _reschedule(self, job_id: str, now: float) -> None:
        watch = self._jobs[job_id]
        watch.interval = min(watch.interval * self._schedule.backoff, self._schedule.maximum)
        watch.due = now + watch.interval
