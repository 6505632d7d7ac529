"""Applying an approved plan (`apply --plan`, `apply --reviewed`): the outcomes of its items on
one platform, and the intake that reads the ones it may act on.

The plan, not the manifests, says what may be sent, so no file is discovered again (no folder
is listed, nothing is searched):
- the items the plan shows blocked, in sync, or waiting for another job are reported as the
  plan shows them: nothing would be sent for them;
- the items it would send, and those whose own job was running, are read a chunk at a time
  while the engine runs (`live.items.ItemReader`: their files, destinations and jobs), decided
  again on what was read (`plan.replan`) and judged against the plan (`apply.select`): a saved
  plan's export is sent while its live state is the one the reviewer saw; a reviewed plan's
  export while the manifests still declare it as reviewed (`plan.resolve.Declarations`) and
  it is still the same export.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler.apply.intake import Arrival, Intake
from reconciler.apply.outcome import ItemOutcome
from reconciler.apply.select import Judged, judge_reviewed, judge_saved
from reconciler.core.live import LiveJob, LiveState
from reconciler.live.items import ItemReader
from reconciler.plan.model import Action, ExportSettings, Plan, PlanItem, ReasonCode
from reconciler.plan.replan import replan
from reconciler.plan.resolve import Declarations
from reconciler.usecases.plan import Connection


@dataclass(frozen=True, slots=True)
class ApprovedRun:
    """One platform's share of an approved plan: outcomes settled as the plan shows them, and
    the intake of those to read."""

    settled: list[ItemOutcome]
    intake: Intake

    @property
    def outcomes(self) -> list[ItemOutcome]:
        return [*self.settled, *self.intake.pending]

    def to_send(self) -> list[PlanItem]:
        """The most this run may send: the plan's exports on this platform."""
        return [o.item for o in self.intake.pending if o.item.submits]


def approved_run(
    plan: Plan,
    connection: Connection,
    *,
    declarations: Declarations | None = None,
    failed_jobs: Mapping[str, LiveJob] | None = None,
) -> ApprovedRun:
    """The run of `plan`'s items on `connection`'s platform. `declarations`: the current
    manifests' rules, for a reviewed plan (None: a saved plan, whose manifests are the ones it
    was made from)."""
    settled: list[ItemOutcome] = []
    pending: list[ItemOutcome] = []
    for item in plan.items:
        if item.platform == connection.platform:
            (pending if _to_read(item) else settled).append(ItemOutcome(item))
    reader = ItemReader(
        connection.client,
        (o.item.settings.volume for o in pending),
        failed_jobs=failed_jobs,
    )

    def read(chunk: Sequence[ItemOutcome]) -> list[Arrival]:
        items = [o.item for o in chunk]
        live = reader.read(items)
        if declarations is None:
            fresh = replan(((i, i.settings) for i in items), live, reader.jobs)
            return [
                _verdict(o, judge_saved(o.item, f), f) for o, f in zip(chunk, fresh, strict=True)
            ]
        declared = [_declared(declarations, item, live) for item in items]
        to_decide = [(i, s) for i, (s, _) in zip(items, declared, strict=True) if s is not None]
        decided = iter(replan(to_decide, live, reader.jobs))
        verdicts = []
        for o, (settings, otherwise) in zip(chunk, declared, strict=True):
            now = next(decided) if settings is not None else None
            judged = judge_reviewed(o.item, now, declared_otherwise=otherwise)
            verdicts.append(_verdict(o, judged, now))
        return verdicts

    return ApprovedRun(settled, Intake(pending, read))


def _to_read(item: PlanItem) -> bool:
    """An export to send, or one whose own job was running: what it is now decides."""
    return item.submits or (
        item.action is Action.IN_FLIGHT and item.reason_code is ReasonCode.JOB_ACTIVE
    )


def _declared(
    declarations: Declarations, item: PlanItem, live: LiveState
) -> tuple[ExportSettings | None, bool]:
    """The reviewed item's settings when the manifests still declare its export as reviewed
    (same volume, location, mode, overwrite and properties), else None, and whether they
    declare that file and destination with other settings. A file that is gone is decided as
    it is (blocked), so it counts as declared here."""
    file = live.files_by_id.get(item.file_id or "")
    if file is None:
        return item.settings, False
    if item.path:
        file = dataclasses.replace(file, path=item.path)
    settings = item.settings
    otherwise = False
    for found in declarations.selecting(file):
        rule = found.rule
        if (rule.volume, found.location) != (settings.volume, item.location):
            continue
        if (rule.mode, rule.overwrite, rule.properties) == (
            settings.mode,
            settings.overwrite,
            settings.properties,
        ):
            return settings, False
        otherwise = True
    return None, otherwise


def _verdict(o: ItemOutcome, judged: Judged, fresh: PlanItem | None) -> Arrival:
    if judged.result is None and fresh is not None:
        return Arrival(o, item=fresh)
    return Arrival(o, result=judged.result, reason=judged.reason, error=judged.error)
