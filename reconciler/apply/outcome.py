"""What became of each plan item in one apply: the record the report and receipt are built from,
and the verdicts the parts of the engine return for the engine to record.

Every outcome ends with a `result` (what happened) and a `reason` (why, a code a program can
read, beside the `error` sentence a person reads). A reason is one of `Reason` below, or the
plan's own code where the plan decided the item (`plan.model.ReasonCode` for an item in sync or
waiting for another job, `plan.model.BlockedReason` for a blocked one). docs/reference/reasons.md
("Result and reason codes") lists every code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.plan.model import BlockedReason, PlanItem, ReasonCode


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


class Reason(StrEnum):
    """Why an item ended as it did, when apply (not the plan) decided it."""

    # completed
    RESULT_CHECKED = "result-checked"  # the job's own result is the file, where and as declared
    CLOSING_READ_CHECKED = "closing-read-checked"  # re-read at the end of the run: as declared
    FOUND_DONE = "found-done"  # a lost answer's export found done on the platform
    # in-sync
    IN_SYNC_AFTER_PROMPT = "in-sync-after-prompt"  # done meanwhile (another apply?)
    # failed
    REFUSED = "refused"  # the create call refused the item (the platform's code beside it)
    NOT_SENT = "not-sent"  # the call failed before the request was written: nothing created
    JOB_FAILED = "job-failed"  # the job ended FAILED
    RESULT_MISMATCH = "result-mismatch"  # the job COMPLETED but its result did not check
    FILE_UNREADABLE = "file-unreadable"  # a lost answer's file cannot be read any more
    READ_FAILED = "read-failed"  # a saved plan's item: reading its live state failed
    NOT_READ_IN_TIME = "not-read-in-time"  # a saved plan's item: --wait-timeout came first
    # unknown
    AMBIGUOUS_ANSWER = "ambiguous-answer"  # a job that cannot be the item's (or two items')
    JOB_UNREADABLE = "job-unreadable"  # the API cannot return the item's job
    LOST_ANSWER_UNRESOLVED = "lost-answer-unresolved"  # the platform never showed the export
    UNANSWERED_CALLS = "unanswered-calls"  # every create call for it went unanswered
    CLOSING_READ_FAILED = "closing-read-failed"  # the re-read at the end of the run failed
    LOST_TRACK = "lost-track"  # never expected: the engine has no result for it
    # running
    WAIT_TIMEOUT = "wait-timeout"  # the job was still running at --wait-timeout
    # held
    HELD_BEHIND_COPY = "held-behind-copy"  # a copy of its file did not complete
    COPY_STILL_RUNNING = "copy-still-running"  # a copy of its file still ran at the deadline
    # stale
    CHANGED_SINCE_PLAN = "changed-since-plan"  # the live state is not the one reviewed
    CHANGED_DURING_PROMPT = "changed-during-prompt"  # changed while the prompt waited
    NO_LONGER_PLANNED = "no-longer-planned"  # gone from the plan when re-read after the prompt
    NO_LONGER_DECLARED = "no-longer-declared"  # the manifests no longer declare the export
    # not-approved
    NOT_IN_SAVED_PLAN = "not-in-saved-plan"  # the saved plan did not send this export
    # not-reviewed
    NOT_IN_REVIEWED_PLAN = "not-in-reviewed-plan"  # it would now be another export
    DECLARED_OTHERWISE = "declared-otherwise"  # another mode, overwrite or properties now


# An outcome's reason: apply's own, or the plan's code for what the plan decided.
AnyReason = Reason | ReasonCode | BlockedReason

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
    reason: AnyReason | None = None  # set with the result
    platform_code: int | None = None  # the platform's error code of a refusal

    @property
    def converged(self) -> bool:
        return self.result in CONVERGED


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a part of the engine decided for one item: its result, why, and what it learned
    on the way (the object's size, the platform's code). Only the engine records it."""

    outcome: ItemOutcome
    result: Result
    reason: AnyReason
    error: str | None = None
    object_size: int | None = None
    platform_code: int | None = None

    def apply(self) -> None:
        """Write the verdict into its outcome (the ledger's `record` calls this)."""
        o = self.outcome
        o.result = self.result
        o.reason = self.reason
        if self.error is not None:
            o.error = self.error
        if self.object_size is not None:
            o.object_size = self.object_size
        if self.platform_code is not None:
            o.platform_code = self.platform_code


@dataclass(slots=True)
class Decisions:
    """What a part decided in one step, for the engine to record: verdicts, items to send
    (again), and copies whose job completed with a result the closing read still checks (the
    moves of their file may go)."""

    verdicts: list[Verdict] = field(default_factory=list)
    send: list[ItemOutcome] = field(default_factory=list)
    copies_done: list[ItemOutcome] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.verdicts or self.send or self.copies_done)

    def add(self, other: Decisions) -> Decisions:
        self.verdicts += other.verdicts
        self.send += other.send
        self.copies_done += other.copies_done
        return self
