"""Create calls that ended without an answer: the platform is re-read, and only what it does not
show is sent again, and only once the call can no longer take effect.

A lost call may still be executing on the server (a timed-out request, a connection a load
balancer closed, one sent by a process since killed). So its items are re-read at once
(`recover.recover`) and every job found is adopted; what the platform does not show yet is
deferred until the call is `grace` (the client's read timeout) plus `margin` old, read again
then, and only what is still missing is sent again. Nothing waits for deferred items
meanwhile: the run goes on. An item sent in `max_attempts` calls that all went unanswered, or
whose re-read failed once the call was old enough, is left unknown for a re-run to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.apply.answers import RERUN
from reconciler.apply.context import RunContext
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.recover import Recovery, recover
from reconciler.apply.submit import target
from reconciler.errors import ApiError


@dataclass(frozen=True, slots=True)
class _Deferred:
    """Items the platform did not show yet: read again, and sent again if still missing, at
    `due` (engine clock), when their call can no longer take effect."""

    due: float
    batch: list[ItemOutcome]


class LostAnswers:
    def __init__(self, run: RunContext, *, grace: float, margin: float, max_attempts: int) -> None:
        self._run = run
        self._after_sent = grace + margin
        self._max_attempts = max_attempts
        self._deferred: list[_Deferred] = []

    def __bool__(self) -> bool:
        return bool(self._deferred)

    def next_due(self) -> float | None:
        return min((d.due for d in self._deferred), default=None)

    def recover(
        self, batch: list[ItemOutcome], *, sent: float, requeue: list[ItemOutcome] | None = None
    ) -> None:
        """Resolve `batch`, whose call was sent at `sent` (engine clock): adopt what the
        platform shows now, defer the rest; what is sent again goes onto `requeue` when given
        (before queueing has started), else to its queue."""
        due = sent + self._after_sent
        try:
            found = recover(self._run.api, [o.item for o in batch])
        except ApiError as exc:
            if self._run.clock() < due:
                self._deferred.append(_Deferred(due, batch))  # one more try when due
            else:
                self._unreadable(batch, exc)
            return
        missing = self._adopt(batch, found)
        if not missing:
            return
        if self._run.clock() < due:
            self._deferred.append(_Deferred(due, missing))
            return
        self._send_again(missing, requeue)

    def recheck_due(self) -> None:
        """Read again the deferred items that are due; send again what is still missing."""
        now = self._run.clock()
        due = [d for d in self._deferred if d.due <= now]
        if not due:
            return
        self._deferred = [d for d in self._deferred if d.due > now]
        for deferred in due:
            batch = [o for o in deferred.batch if o.result is None and o.job_id is None]
            if not batch:
                continue
            try:
                found = recover(self._run.api, [o.item for o in batch])
            except ApiError as exc:
                self._unreadable(batch, exc)
                continue
            self._send_again(self._adopt(batch, found), None)

    def give_up(self, wait_timeout: float) -> None:
        """At the deadline: deferred items the platform never showed are unknown."""
        for deferred in self._deferred:
            for o in deferred.batch:
                if o.result is None:
                    self._run.ledger.finish(
                        o,
                        Result.UNKNOWN,
                        "the create call's answer was lost and the platform did not show the "
                        f"job before --wait-timeout {wait_timeout:g}s; {RERUN}",
                    )
        self._deferred.clear()

    def _unreadable(self, batch: list[ItemOutcome], exc: ApiError) -> None:
        for o in batch:
            self._run.ledger.finish(
                o,
                Result.UNKNOWN,
                f"the create call's answer was lost and re-reading failed ({exc}); "
                "a re-run re-reads before submitting",
            )

    def _adopt(self, batch: list[ItemOutcome], found: Recovery) -> list[ItemOutcome]:
        """Take what re-reading found for `batch`; return the items it did not find."""
        by_key = {o.item.key: o for o in batch}
        missing = {item.key for item in found.missing}
        # Only what is settled is journaled as resolved: the items still missing stay
        # uncertain until they are sent again, so a kill meanwhile re-reads them.
        self._run.journal.write(
            "resolved",
            items=[target(o.item).as_dict() for o in batch if o.item.key not in missing],
            jobs={job: target(by_key[key].item).as_dict() for key, job in found.jobs.items()},
        )
        for o in batch:
            key = o.item.key
            if key in found.jobs:
                self._run.watch.track(o, found.jobs[key])
            elif key in found.done:
                o.object_size = found.done[key]
                self._run.ledger.finish(o, Result.COMPLETED)
            elif key in found.failed:
                self._run.ledger.finish(o, Result.FAILED, found.failed[key])
        return [by_key[item.key] for item in found.missing]

    def _send_again(self, missing: list[ItemOutcome], requeue: list[ItemOutcome] | None) -> None:
        for o in missing:
            attempts = o.attempts
            if attempts >= self._max_attempts:
                self._run.ledger.finish(
                    o, Result.UNKNOWN, f"{attempts} create calls went unanswered"
                )
            elif requeue is not None:
                requeue.append(o)
            else:
                self._run.ledger.queue([o])
