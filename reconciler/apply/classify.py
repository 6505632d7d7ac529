"""The start of a run: which items need no job, which have a job running, which are to be sent.

Blocked items are reported blocked and in-sync items in sync, each with the plan's reason code.
An item whose own job is PENDING or RUNNING (`job-active`) is watched, never submitted again.
An item waiting for another job (`waiting-for-other-job`) is held: the next plan decides it
once that job is done. Every copy that will be sent or is running is named first, for the
engine to announce to the move gate before anything else, so no move of its file goes before
it. Pure: the engine records, watches and queues what this returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.apply.outcome import ItemOutcome, Result, Verdict
from reconciler.manifest.models import Mode
from reconciler.plan.model import Action, ReasonCode


@dataclass(slots=True)
class Classified:
    copies: list[ItemOutcome] = field(default_factory=list)  # for the move gate, first
    verdicts: list[Verdict] = field(default_factory=list)
    watch: list[tuple[ItemOutcome, str]] = field(default_factory=list)  # (item, its job)
    send: list[ItemOutcome] = field(default_factory=list)


def classify(outcomes: Sequence[ItemOutcome]) -> Classified:
    """Settle what needs no job, watch what is in flight; the rest is to be sent."""
    found = Classified(copies=[o for o in outcomes if o.item.mode is Mode.COPY and expects_job(o)])
    for o in outcomes:
        item = o.item
        if item.action is Action.BLOCKED:
            found.verdicts.append(Verdict(o, Result.BLOCKED, item.reason_code, item.reason))
        elif item.action is Action.IN_SYNC:
            found.verdicts.append(Verdict(o, Result.IN_SYNC, item.reason_code))
        elif _own_job_active(o) and item.job_id:
            found.watch.append((o, item.job_id))
        elif item.action is Action.IN_FLIGHT:
            error = f"{item.reason}; run apply again after it"
            found.verdicts.append(Verdict(o, Result.HELD, item.reason_code, error))
        else:
            found.send.append(o)
    return found


def expects_job(o: ItemOutcome) -> bool:
    """The item will be sent, or its own job is running: a job will end for it."""
    return o.item.submits or _own_job_active(o)


def _own_job_active(o: ItemOutcome) -> bool:
    return o.item.action is Action.IN_FLIGHT and o.item.reason_code is ReasonCode.JOB_ACTIVE
