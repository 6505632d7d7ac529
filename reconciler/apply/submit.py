"""One bulk create call, bracketed by the journal: `submit` before, `submitted` or `uncertain`
after. Nothing here retries: a create without a readable answer may have taken effect, and
only re-reading the platform (`recover.py`) can say what is really missing.

The two halves can run on different threads: `announce` (the `submit` record) on the engine's
thread before the call is handed to a worker, `send` (the call and its answer's record) on
the worker, so the answer is on disk as soon as it arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.api.resources import Export, ItemError
from reconciler.apply.journal import Journal, Target
from reconciler.apply.ports import ExportsApi
from reconciler.errors import ApiError, TransportError
from reconciler.limits import BULK_LIMIT
from reconciler.manifest.models import Mode
from reconciler.plan.model import PlanItem


def target(item: PlanItem) -> Target:
    assert item.source.file_id is not None  # only resolved items are ever submitted
    return Target(
        item.source.file_id, item.destination.volume, item.destination.location, str(item.mode)
    )


def export_body(item: PlanItem) -> dict[str, Any]:
    """The create item exactly as the plan shows it: the three properties always explicit,
    the storage class only when the plan declares one."""
    return {
        "source": {"file": item.source.file_id},
        "destination": {"volume": item.destination.volume, "location": item.destination.location},
        "overwrite": item.overwrite,
        "properties": item.properties.as_dict(),
    }


@dataclass(frozen=True, slots=True)
class Batch:
    """The items of one create call, recorded in the journal as about to be sent."""

    id: str
    mode: Mode
    items: tuple[PlanItem, ...]


def announce(journal: Journal, items: Sequence[PlanItem], mode: Mode) -> Batch:
    """Write the `submit` record: from here on, a crash leaves these items uncertain."""
    if not 0 < len(items) <= BULK_LIMIT or any(item.mode is not mode for item in items):
        raise ValueError("a batch holds 1 to 100 items of one mode")
    batch = Batch(journal.next_batch(), mode, tuple(items))
    journal.write(
        "submit",
        batch=batch.id,
        copy_only=mode is Mode.COPY,
        items=[target(item).place() for item in items],
    )
    return batch


def send(api: ExportsApi, journal: Journal, batch: Batch) -> list[Export | ItemError]:
    """Create one job per item of an announced batch; one answer per item, in order. Raises
    TransportError (after journaling the batch as uncertain) when the call ended without a
    readable answer."""
    copy_only = batch.mode is Mode.COPY
    try:
        answers = api.bulk_create_exports(
            [export_body(item) for item in batch.items], copy_only=copy_only
        )
    except TransportError as exc:
        # `unsent`: it failed before the request was written, so nothing was created.
        journal.write("uncertain" if exc.sent else "unsent", batch=batch.id, error=str(exc))
        raise
    except ApiError as exc:
        # A readable refusal of the whole call: nothing was created.
        answers = [ItemError(status=exc.status, code=exc.code, message=str(exc))] * len(batch.items)
    journal.write(
        "submitted",
        batch=batch.id,
        results=[
            {"job": a.id, "state": a.state} if isinstance(a, Export) else {"error": str(a)}
            for a in answers
        ],
    )
    return answers
