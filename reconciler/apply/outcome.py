"""What became of each plan item in one apply: the record the report and receipt are built from."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reconciler.plan.model import PlanItem


class Result(StrEnum):
    COMPLETED = "completed"  # the export ran and its result was checked
    IN_SYNC = "in-sync"  # nothing to do
    FAILED = "failed"  # refused at create, FAILED after acceptance, or the result did not check
    BLOCKED = "blocked"  # cannot converge as declared (the plan says why)
    STALE = "stale"  # saved plan: the live state changed since the review
    NOT_APPROVED = "not-approved"  # saved plan: the item is not in it
    NOT_REVIEWED = "not-reviewed"  # reviewed-only apply: no item of the reviewed plan is it
    RUNNING = "running"  # still PENDING/RUNNING when --wait-timeout ran out
    HELD = "held"  # a move not submitted because a copy of its file did not complete
    UNKNOWN = "unknown"  # the create answer was lost and the platform never showed the job


CONVERGED = frozenset({Result.COMPLETED, Result.IN_SYNC})


@dataclass(slots=True)
class ItemOutcome:
    item: PlanItem
    result: Result | None = None  # None while the run is still working on it
    job_id: str | None = None
    job_state: str | None = None
    error: str | None = None
    object_size: int | None = None  # the exported object's size, once known
    attempts: int = 0  # create calls it was sent in (lost answers give up after a few)

    @property
    def converged(self) -> bool:
        return self.result in CONVERGED

    def finish(self, result: Result, error: str | None = None) -> None:
        self.result = result
        if error is not None:
            self.error = error
