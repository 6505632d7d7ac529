"""After a create call without a readable answer: what did the platform really do?

For exactly the items of that call, re-read the PENDING and RUNNING jobs of the volumes
involved, then the files (bulk get), then, for copies, the destination objects. The order
matters: a job that finishes between two reads is then seen either as a job or as its
effect (an alias at the destination, an object of the right size), never as nothing.
An item found in none of these is really missing and may be submitted again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.api.resources import File, ItemError
from reconciler.apply.outcome import Reason
from reconciler.apply.ports import ExportsApi
from reconciler.apply.verify import check_file, check_size
from reconciler.core.live import ACTIVE_JOB_STATES
from reconciler.manifest.models import Mode
from reconciler.plan.model import PlanItem


@dataclass(slots=True)
class Recovery:
    jobs: dict[str, str] = field(default_factory=dict)  # item key -> active job id
    done: dict[str, int | None] = field(default_factory=dict)  # item key -> object size
    failed: dict[str, tuple[Reason, str]] = field(default_factory=dict)  # item key -> why
    missing: list[PlanItem] = field(default_factory=list)


def recover(api: ExportsApi, items: Sequence[PlanItem]) -> Recovery:
    found = Recovery()
    active: dict[tuple[str, str, str], str] = {}
    for volume in sorted({item.destination.volume for item in items}):
        for state in ACTIVE_JOB_STATES:  # PENDING first: a job may move on to RUNNING
            for job in api.list_exports(volume, state):
                key = (job.source.file, job.destination.volume, job.destination.location)
                active.setdefault(key, job.id)
    file_ids = sorted({item.source.file_id for item in items if item.source.file_id})
    files: dict[str, File | ItemError] = dict(
        zip(file_ids, api.bulk_get_files(file_ids), strict=True)
    )
    for item in items:
        file_id = item.source.file_id or ""
        job_id = active.get((file_id, item.destination.volume, item.destination.location))
        if job_id is not None:
            found.jobs[item.key] = job_id
            continue
        file = files.get(file_id)
        if isinstance(file, ItemError) or file is None:
            found.failed[item.key] = (
                Reason.FILE_UNREADABLE,
                f"the file cannot be read any more: {file}",
            )
            continue
        if item.mode is Mode.MOVE:
            check = check_file(item, file)
            if check.ok is True:
                found.done[item.key] = check.size
            elif check.ok is False and file.storage.type == "VOLUME":
                found.failed[item.key] = (
                    Reason.RESULT_MISMATCH,
                    check.problem or "the file is an alias elsewhere",
                )
            else:
                found.missing.append(item)
            continue
        # A copy leaves its source as it was, so the file proves nothing (it has its own size
        # whether or not the copy happened): only an object of that size at the destination
        # says the copy was made.
        obj = api.get_volume_object(item.destination.volume, item.destination.location)
        if obj is not None and check_size(item, obj.metadata.size).ok:
            found.done[item.key] = obj.metadata.size
        else:
            found.missing.append(item)
    return found
