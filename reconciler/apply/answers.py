"""Reading the answer of a create call, and whether a job can be an item's at all (pure).

Each item of a call gets one of: its job (to be watched), a refusal (failed), or an ambiguous
answer (unknown, with the reason): a job that exports another file or to another destination,
a job whose result is another file, one job given for two items of the call, or a job that
another item of this run already has. A re-run reads the platform before sending anything, so
an unknown item is never sent twice blindly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reconciler.api.resources import Export, ItemError
from reconciler.apply.outcome import ItemOutcome, Reason, Result, Verdict

RERUN = "a re-run reads the platform before sending anything"


@dataclass(frozen=True, slots=True)
class Accepted:
    """The item's job: to be watched."""

    job: Export


@dataclass(frozen=True, slots=True)
class Rejected:
    """No job for the item: its verdict."""

    verdict: Verdict


Reading = Accepted | Rejected


def read_answers(
    batch: Sequence[ItemOutcome],
    answers: Sequence[Export | ItemError],
    *,
    taken: Callable[[str], bool],
) -> list[Reading]:
    """One reading per item of `batch`, in order; `taken(job_id)`: another item of this run
    already has that job."""
    claimed = Counter(a.id for a in answers if isinstance(a, Export))
    readings: list[Reading] = []
    for o, answer in zip(batch, answers, strict=True):
        if isinstance(answer, ItemError):
            refused = Verdict(
                o, Result.FAILED, Reason.REFUSED, f"refused: {answer}", platform_code=answer.code
            )
            readings.append(Rejected(refused))
            continue
        problem = foreign(o, answer)
        if problem is None and claimed[answer.id] > 1:
            problem = f"the create answer gave job {answer.id} for {claimed[answer.id]} items"
        elif problem is None and taken(answer.id):
            problem = f"the create answer gave job {answer.id}, which is another item's"
        if problem is not None:
            why = ambiguous(problem)
            readings.append(Rejected(Verdict(o, Result.UNKNOWN, Reason.AMBIGUOUS_ANSWER, why)))
        else:
            readings.append(Accepted(answer))
    return readings


def ambiguous(problem: str) -> str:
    return f"ambiguous answer: {problem}; {RERUN}"


def foreign(o: ItemOutcome, job: Export) -> str | None:
    """Why `job` cannot be this item's, if it cannot: another file or another destination
    than the item's, or a result that is another file."""
    item = o.item
    wanted = (item.source.file_id, item.destination.volume, item.destination.location)
    got = (job.source.file, job.destination.volume, job.destination.location)
    if got != wanted:
        return f"job {job.id} ({job.state}) exports file {got[0]} to {got[1]}:{got[2]}"
    if job.result is not None and job.result.id and job.result.id != item.source.file_id:
        return f"job {job.id} ({job.state}) has file {job.result.id} as its result"
    return None


def job_error(job: Export) -> str | None:
    return str(job.error) if job.error is not None else None
