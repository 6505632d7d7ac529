"""The start of a run: settle the items that need no job, watch the ones whose job is running,
and return the ones to be sent.

Blocked items are reported blocked and in-sync items in sync. An item whose own job is PENDING
or RUNNING (`job-active`) is watched, never submitted again. An item waiting for another job
(`waiting-for-other-job`) is held: the next plan decides it once that job is done. Every copy
that will be sent or is running is announced to the move gate first, so no move of its file
goes before it.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.apply.ledger import Ledger
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.watch import JobWatch
from reconciler.manifest.models import Mode
from reconciler.plan.model import Action, ReasonCode


def classify(outcomes: Sequence[ItemOutcome], ledger: Ledger, watch: JobWatch) -> list[ItemOutcome]:
    """Finish what needs no job, watch what is in flight; return what is to be sent."""
    for o in outcomes:
        if o.item.mode is Mode.COPY and expects_job(o):
            ledger.gate.expect_copy(o)
    to_submit = []
    for o in outcomes:
        item = o.item
        if item.action is Action.BLOCKED:
            ledger.finish(o, Result.BLOCKED, item.reason)
        elif item.action is Action.IN_SYNC:
            ledger.finish(o, Result.IN_SYNC)
        elif _own_job_active(o) and item.job_id:
            watch.track(o, item.job_id)
        elif item.action is Action.IN_FLIGHT:
            ledger.finish(o, Result.HELD, f"{item.reason}; run apply again after it")
        else:
            to_submit.append(o)
    return to_submit


def expects_job(o: ItemOutcome) -> bool:
    """The item will be sent, or its own job is running: a job will end for it."""
    return o.item.submits or _own_job_active(o)


def _own_job_active(o: ItemOutcome) -> bool:
    return o.item.action is Action.IN_FLIGHT and o.item.reason_code is ReasonCode.JOB_ACTIVE
