"""Convergence from the finished jobs themselves: a COMPLETED job's `result` is the file as it
now is. For a move it must be an alias at the destination; for both modes its size must be the
source's. What a result leaves unknown (no result, no size) is re-read, in bulk, by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.api.resources import Export, File
from reconciler.manifest.models import Mode
from reconciler.plan.model import PlanItem


@dataclass(frozen=True, slots=True)
class Check:
    ok: bool | None  # None: the result does not say; re-read the file or the object
    size: int | None = None
    problem: str | None = None


def check_file(item: PlanItem, file: File) -> Check:
    """`file` as the platform shows it after the item's job completed."""
    storage = file.storage
    if storage.type == "VOLUME":
        here = (item.destination.volume, item.destination.location)
        if (storage.volume, storage.location) == here:
            return check_size(item, file.size)
        if item.mode is Mode.MOVE:
            where = f"{storage.volume}:{storage.location}"
            return Check(False, problem=f"the file is an alias at {where}, not here")
        return Check(None)  # a copy whose file moved on since: the object decides
    if item.mode is Mode.MOVE:
        return Check(None)  # not an alias (yet): the result may predate the switch
    return check_size(item, file.size)


def check_size(item: PlanItem, size: int | None) -> Check:
    expected = item.source.size
    if size is None:
        return Check(None)
    if expected is not None and size != expected:
        return Check(
            False, size, f"the exported object has {size} bytes, the source had {expected}"
        )
    return Check(True, size)


def check_job(item: PlanItem, job: Export) -> Check:
    if job.result is None:
        return Check(None)
    return check_file(item, job.result)
