"""A plan's items decided again on a fresh reading of just those items. Pure.

`apply --plan` and `apply --reviewed` do not plan the manifests again: they read the live
state of the items they act on (`live/items.py`) and decide each item again here, with the
planner's own rules (`decide.py`) and fingerprint, on that state. Which files a glob selects
is not looked up again: an item keeps its path, its settings and where it is declared, and
only what the platform says of its file, destination and jobs is new. An item whose file is
gone, or is now in another project, is blocked, as a full plan would say.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from reconciler.core.live import LiveState
from reconciler.plan.decide import Decider
from reconciler.plan.fingerprint import JobIndex, fingerprint
from reconciler.plan.model import Action, BlockedReason, ExportSettings, PlanItem
from reconciler.plan.resolve import file_elsewhere, file_not_found


def replan(
    items: Iterable[tuple[PlanItem, ExportSettings]], live: LiveState, jobs: JobIndex
) -> list[PlanItem]:
    """Each item decided again on `live`, exported with the settings paired with it (its own,
    or those the current manifests declare it with); items without a file come back as they
    are."""
    decider = Decider(live, jobs)
    fresh: list[PlanItem] = []
    for item, settings in items:
        if item.file_id is None:
            fresh.append(item)
            continue
        volume, location, mode = settings.volume, item.location, settings.mode
        file = live.files_by_id.get(item.file_id)
        if file is not None and item.path:
            file = dataclasses.replace(file, path=item.path)  # for the reasons' wording
        again = dataclasses.replace(
            item,
            settings=settings,
            size=file.size if file is not None else item.size,
            fingerprint=fingerprint(live, jobs, file, volume, location, mode),
            job_id=None,
            job_differences=(),
            last_failure=None,
        )
        if file is None:
            fresh.append(
                dataclasses.replace(
                    again,
                    action=Action.BLOCKED,
                    reason_code=BlockedReason.NOT_FOUND,
                    reason=file_not_found(item.file_id),
                )
            )
            continue
        if file.project != settings.project:
            fresh.append(
                dataclasses.replace(
                    again,
                    action=Action.BLOCKED,
                    reason_code=BlockedReason.NOT_IN_PROJECT,
                    reason=file_elsewhere(item.file_id, file.project, settings.project),
                )
            )
            continue
        action, code, reason, job_id, differences, failure = decider.decide(
            file, volume, location, mode, settings.overwrite, settings.properties
        )
        fresh.append(
            dataclasses.replace(
                again,
                action=action,
                reason_code=code,
                reason=reason,
                job_id=job_id,
                job_differences=differences,
                last_failure=failure,
            )
        )
    return fresh
