"""Create calls that ended without an answer: the platform is re-read, and only what it does not
show is sent again, and only once the call can no longer take effect.

A lost call may still be executing on the server (a timed-out request, a connection a load
balancer closed, one sent by a process since killed). So its items are re-read at once
(`recover.recover`) and every job found is adopted; what the platform does not show yet is
deferred until the call is `grace` (the client's read timeout) plus `margin` old, read again
then, and only what is still missing is sent again. Nothing waits for deferred items
meanwhile: the run goes on. An item sent in `max_attempts` calls that all went unanswered, or
whose re-read failed once the call was old enough, is left unknown for a re-run to read.
Each step returns what it decided (`Decisions`: verdicts, items to send again); the engine
records it.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.apply.answers import RERUN
from reconciler.apply.context import RunContext
from reconciler.apply.outcome import Decisions, ItemOutcome, Reason, Result, Verdict
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

    def recover(self, batch: list[ItemOutcome], *, sent: float) -> Decisions:
        """Resolve `batch`, whose call was sent at `sent` (engine clock): adopt what the
        platform shows now, defer the rest, send again what can no longer appear."""
        due = sent + self._after_sent
        try:
            found = recover(self._run.api, [o.item for o in batch])
        except ApiError as exc:
            if self._run.clock() < due:
                self._deferred.append(_Deferred(due, batch))  # one more try when due
                return Decisions()
            return Decisions(verdicts=_unreadable(batch, exc))
        decided, missing = self._adopt(batch, found)
        if missing and self._run.clock() < due:
            self._deferred.append(_Deferred(due, missing))
            return decided
        return decided.add(self._send_again(missing))

    def recheck_due(self) -> Decisions:
        """Read again the deferred items that are due; send again what is still missing."""
        decided = Decisions()
        now = self._run.clock()
        due = [d for d in self._deferred if d.due <= now]
        if not due:
            return decided
        self._deferred = [d for d in self._deferred if d.due > now]
        for deferred in due:
            batch = [o for o in deferred.batch if o.result is None and o.job_id is None]
            if not batch:
                continue
            try:
                found = recover(self._run.api, [o.item for o in batch])
            except ApiError as exc:
                decided.verdicts += _unreadable(batch, exc)
                continue
            adopted, missing = self._adopt(batch, found)
            decided.add(adopted).add(self._send_again(missing))
        return decided

    def give_up(self, wait_timeout: float) -> list[Verdict]:
        """At the deadline: deferred items the platform never showed are unknown."""
        why = (
            "the create call's answer was lost and the platform did not show the "
            f"job before --wait-timeout {wait_timeout:g}s; {RERUN}"
        )
        verdicts = [
            Verdict(o, Result.UNKNOWN, Reason.LOST_ANSWER_UNRESOLVED, why)
            for deferred in self._deferred
            for o in deferred.batch
            if o.result is None
        ]
        self._deferred.clear()
        return verdicts

    def _adopt(
        self, batch: list[ItemOutcome], found: Recovery
    ) -> tuple[Decisions, list[ItemOutcome]]:
        """Take what re-reading found for `batch`: the jobs are watched; returns the verdicts
        and the items it did not find."""
        by_key = {o.item.key: o for o in batch}
        missing = {item.key for item in found.missing}
        # Only what is settled is journaled as resolved: the items still missing stay
        # uncertain until they are sent again, so a kill meanwhile re-reads them.
        self._run.journal.write(
            "resolved",
            items=[target(o.item).as_dict() for o in batch if o.item.key not in missing],
            jobs={job: target(by_key[key].item).as_dict() for key, job in found.jobs.items()},
        )
        decided = Decisions()
        for o in batch:
            key = o.item.key
            if key in found.jobs:
                self._run.watch.track(o, found.jobs[key])
            elif key in found.done:
                decided.verdicts.append(
                    Verdict(o, Result.COMPLETED, Reason.FOUND_DONE, object_size=found.done[key])
                )
            elif key in found.failed:
                reason, why = found.failed[key]
                decided.verdicts.append(Verdict(o, Result.FAILED, reason, why))
        return decided, [by_key[item.key] for item in found.missing]

    def _send_again(self, missing: list[ItemOutcome]) -> Decisions:
        decided = Decisions()
        for o in missing:
            if o.attempts >= self._max_attempts:
                why = f"{o.attempts} create calls went unanswered"
                decided.verdicts.append(Verdict(o, Result.UNKNOWN, Reason.UNANSWERED_CALLS, why))
            else:
                decided.send.append(o)
        return decided


def _unreadable(batch: list[ItemOutcome], exc: ApiError) -> list[Verdict]:
    why = (
        f"the create call's answer was lost and re-reading failed ({exc}); "
        "a re-run re-reads before submitting"
    )
    return [Verdict(o, Result.UNKNOWN, Reason.LOST_ANSWER_UNRESOLVED, why) for o in batch]
