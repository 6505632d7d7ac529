"""Waiting for export jobs: bulk export gets of up to 100 ids, each job on its own backoff.

A job is first looked at `POLL_FIRST_SECONDS` after it was submitted, then at intervals that
grow by `POLL_BACKOFF` up to `POLL_MAX_SECONDS`. A call is made when jobs are due; its spare
slots are filled with the jobs due soonest, which costs nothing and often finishes them early.
When more than 100 jobs are due, up to `POLL_CALLS_AT_ONCE` calls go out together (the client
sends the chunks of one bulk get in parallel): one after another at ~100 ms each, the polls
of 10,000 jobs that finish together took longer than the jobs. The client paces every call by
the rate limit.

Jobs of one apply take about as long as each other, so the poller learns from what it sees,
and a poll call is not spent on jobs that cannot be done yet:
- the first look at a job comes after the median age at which jobs were seen final
  (between `first` and `maximum`);
- while the jobs looked at last were still running at their first look, jobs not looked at yet
  wait until they reach the age at which those will be looked at again (a younger job is not
  expected to finish before an older one that is still running).
With jobs of several seconds this makes one poll call per 100 jobs instead of two or three.
"""

from __future__ import annotations

import heapq
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.api.resources import Export, ItemError
from reconciler.apply.ports import ExportsApi
from reconciler.errors import ApiError
from reconciler.limits import BULK_LIMIT

POLL_FIRST_SECONDS = 2.0
POLL_BACKOFF = 1.5
POLL_MAX_SECONDS = 30.0
POLL_CALLS_AT_ONCE = 4
FINAL_STATES = ("COMPLETED", "FAILED")
LEARN_FROM = 500  # the most recent ages at which jobs were seen final


@dataclass(slots=True)
class _Watch:
    due: float
    interval: float
    since: float  # when watching began: just after the job was created
    looked: bool = False


@dataclass(frozen=True, slots=True)
class Schedule:
    first: float = POLL_FIRST_SECONDS
    backoff: float = POLL_BACKOFF
    maximum: float = POLL_MAX_SECONDS
    calls_at_once: int = POLL_CALLS_AT_ONCE  # bulk gets of 100 sent together when as many are due


class Poller:
    """The jobs being waited for, and when each should next be looked at."""

    def __init__(self, api: ExportsApi, clock: Callable[[], float], schedule: Schedule) -> None:
        self._api = api
        self._clock = clock
        self._schedule = schedule
        self._jobs: dict[str, _Watch] = {}
        self._first = schedule.first  # learned: when to look at a new job first
        self._final_ages: deque[float] = deque(maxlen=LEARN_FROM)
        self._defer_age = 0.0  # jobs not looked at yet wait until this age (0: no wait)

    def __len__(self) -> int:
        return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._jobs

    def watch(self, job_id: str, *, first: float | None = None) -> None:
        now = self._clock()
        delay = self._first if first is None else first
        self._jobs[job_id] = _Watch(now + delay, self._schedule.first, now)

    def _due_of(self) -> Callable[[_Watch], float]:
        """When a job is due. What was learned since a job was watched applies to it too,
        until its first look."""
        age = max(self._first, self._defer_age)

        def due(watch: _Watch) -> float:
            return watch.due if watch.looked else max(watch.due, watch.since + age)

        return due

    def typical_age(self) -> float | None:
        """The median age at which this run's jobs were seen final; None before the first."""
        return statistics.median(self._final_ages) if self._final_ages else None

    def youngest_since(self) -> float | None:
        """When the most recently submitted job still watched was submitted."""
        return max((w.since for w in self._jobs.values()), default=None)

    def forget(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def pending(self) -> list[str]:
        return list(self._jobs)

    def due_count(self) -> int:
        now, due = self._clock(), self._due_of()
        return sum(1 for w in self._jobs.values() if due(w) <= now)

    def next_due(self) -> float | None:
        due = self._due_of()
        return min((due(w) for w in self._jobs.values()), default=None)

    def poll(self) -> tuple[list[Export], list[tuple[str, str]]]:
        """Bulk gets over the due jobs, up to `calls_at_once` calls of 100 at once (the last
        topped up with the soonest): every job read, and
        (job id, message) for ids the API could not return. Jobs still running are
        rescheduled, final ones forgotten; a failed call reschedules every job it carried."""
        now = self._clock()
        jobs, due = self._jobs, self._due_of()
        # The soonest due, as sorted(...)[:n] would give them, without sorting every watched
        # job on every call (up to 100,000 while creates outrun the polls).
        width = BULK_LIMIT * max(1, self._schedule.calls_at_once)
        soonest = heapq.nsmallest(width, jobs, key=lambda job_id: due(jobs[job_id]))
        due_now = sum(1 for job_id in soonest if due(jobs[job_id]) <= now)
        if not due_now:
            return [], []
        # As many calls as the due jobs need, never one more: the request count is what one
        # call at a time would make.
        batch = soonest[: -(-due_now // BULK_LIMIT) * BULK_LIMIT]
        try:
            answers = self._api.bulk_get_exports(batch)
        except ApiError:
            # Reads were already retried by the client; try again later, until the deadline.
            for job_id in batch:
                self._reschedule(job_id, now)
            return [], []
        read: list[Export] = []
        missing: list[tuple[str, str]] = []
        running_at_first_look: list[_Watch] = []
        seen_final = False
        for job_id, answer in zip(batch, answers, strict=True):
            if isinstance(answer, ItemError):
                self.forget(job_id)
                missing.append((job_id, str(answer)))
                continue
            read.append(answer)
            watch = jobs[job_id]
            if answer.state in FINAL_STATES:
                # The age at which it was due (not when the call was made): a late call must
                # not teach the poller to look later still.
                self._final_ages.append(max(min(now, due(watch)) - watch.since, 0.0))
                seen_final = True
                self.forget(job_id)
            else:
                if not watch.looked:
                    running_at_first_look.append(watch)
                self._reschedule(job_id, now)
            watch.looked = True
        self._learn(seen_final, running_at_first_look)
        return read, missing

    def _learn(self, seen_final: bool, running: list[_Watch]) -> None:
        if self._final_ages:
            median = statistics.median(self._final_ages)
            self._first = min(max(median, self._schedule.first), self._schedule.maximum)
        if running:
            self._defer_age = max(w.due - w.since for w in running)
        elif seen_final:
            self._defer_age = 0.0

    def _reschedule(self, job_id: str, now: float) -> None:
        watch = self._jobs[job_id]
        watch.interval = min(watch.interval * self._schedule.backoff, self._schedule.maximum)
        watch.due = now + watch.interval
