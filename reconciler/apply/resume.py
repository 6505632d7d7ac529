"""Picking up an earlier run from its journal, before anything is sent.

Items with a job the journal knows (submitted, not seen final) are looked up by id in bulk: a
job still PENDING or RUNNING is watched, a COMPLETED one gives the item its result. Items of a
call whose answer never came, and items whose known job FAILED or cannot be read, are re-read
from the platform like any lost answer (`LostAnswers`): such a call may still take effect
until the client's read timeout has passed since it was sent (the journal says when, in Unix
time), so what the platform does not show is sent again only after that, on this run's clock.
What it decides is returned for the engine to record, with the items left to send.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from reconciler.api.resources import Export, ItemError
from reconciler.apply.journal import JournalHistory
from reconciler.apply.lost_answers import LostAnswers
from reconciler.apply.outcome import Decisions, ItemOutcome
from reconciler.apply.ports import ExportsApi
from reconciler.apply.submit import target
from reconciler.apply.watch import JobWatch
from reconciler.core.live import ACTIVE_JOB_STATES
from reconciler.errors import ApiError
from reconciler.limits import BULK_LIMIT


def resume(
    history: JournalHistory,
    outcomes: Sequence[ItemOutcome],
    *,
    api: ExportsApi,
    watch: JobWatch,
    lost: LostAnswers,
    clock: Callable[[], float],
    wall_clock: Callable[[], float],
) -> Decisions:
    """Settle what the journal knows about `outcomes` (all still to be sent); what is left to
    send is in the decisions' `send`."""
    known = {t: job for job, t in history.open_jobs.items()}
    lookups: dict[str, ItemOutcome] = {}
    uncertain: list[ItemOutcome] = []
    decided = Decisions()
    left = decided.send
    sent_at: dict[str, float] = {}  # item key -> when its call was sent (Unix time)
    for o in outcomes:
        t = target(o.item)
        if t in known:
            lookups[known[t]] = o
        elif t in history.uncertain:
            uncertain.append(o)
            sent_at[o.item.key] = history.uncertain[t]
        else:
            left.append(o)
    ids = list(lookups)
    for start in range(0, len(ids), BULK_LIMIT):
        chunk = ids[start : start + BULK_LIMIT]
        try:
            answers: list[Export | ItemError] = api.bulk_get_exports(chunk)
        except ApiError:
            answers = [ItemError(message="not read")] * len(chunk)
        for job_id, answer in zip(chunk, answers, strict=True):
            o = lookups[job_id]
            if isinstance(answer, Export) and answer.state in ACTIVE_JOB_STATES:
                watch.track(o, job_id)
                o.job_state = answer.state
            elif isinstance(answer, Export) and answer.state == "COMPLETED":
                o.job_id = job_id
                decided.add(watch.on_final(o, answer))
            else:
                # FAILED or unreadable: the platform's job list decides, as for any item.
                uncertain.append(o)
    by_sent: dict[float, list[ItemOutcome]] = {}
    for o in uncertain:
        by_sent.setdefault(sent_at.get(o.item.key, 0.0), []).append(o)
    wall_now, now = wall_clock(), clock()
    for sent, batch in sorted(by_sent.items()):
        decided.add(lost.recover(batch, sent=now - max(0.0, wall_now - sent)))
    return decided
