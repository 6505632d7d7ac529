"""What every plan of a merge request's final head agrees on: the plan that counts as reviewed.

A merge request is planned more than once for its final head: a re-run ("Run pipeline"), a
retried plan job, merged-results and merge-train pipelines. Reviewers approved while some of
these plans existed and others did not yet; a file that appeared in between is in the later
plans only. So an export counts as reviewed only when every one of them shows it, equal:
the same platform, file, volume, location, action, mode, overwrite and properties (the live
state each was planned against may differ; apply checks the world again).

Pure: `agree` takes the plans in the order they were made and returns the first plan cut
down to the exports all of them show (its summary, estimate and risks recomputed, sealed
anew; its rows per declaration kept as the reviewers read them), and every export some plan
would send that is not in it, with the plans that lack it: not reviewed, reported. Except
one the newest plan shows done (in sync, or its job running): an apply between two plans (an
earlier merge request's) turns a pending export into one in sync, which is no reason to
alarm; it is not sent either way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.plan.io import plan_digest
from reconciler.plan.model import Action, Plan, PlanItem
from reconciler.plan.planner import estimate_apply, summarize
from reconciler.plan.review import risk_lists

Export = tuple[object, ...]
_DONE = (Action.IN_SYNC, Action.IN_FLIGHT)


@dataclass(frozen=True, slots=True)
class Source:
    """One plan taken into account: the pipeline and job that made it (on GitHub: the workflow
    run, its attempt and the artifact), and its digest."""

    pipeline: int
    ref: str
    job: int
    digest: str
    words: tuple[str, str] = ("pipeline", "job")

    @property
    def label(self) -> str:
        pipeline, job = self.words
        return f"{pipeline} {self.pipeline} ({self.ref}), {job} {self.job}"

    def __str__(self) -> str:
        return f"{self.label}, plan {self.digest[:12]}"

    def record(self) -> dict[str, object]:
        record: dict[str, object] = {
            "pipeline": self.pipeline,
            "ref": self.ref,
            "job": self.job,
            "digest": self.digest,
        }
        if self.words != ("pipeline", "job"):
            record["label"] = self.label  # how apply's report names it
        return record


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An export some plan would send that not every plan shows: not reviewed."""

    item: PlanItem
    missing_from: tuple[Source, ...]

    @property
    def reason(self) -> str:
        lacking = "; ".join(str(s) for s in self.missing_from)
        return (
            f"not in every plan of the change (not in {lacking}): no reviewer can "
            "have seen it; not sent"
        )

    def record(self) -> dict[str, object]:
        item = self.item
        return {
            "platform": item.platform,
            "file": item.file_id,
            "path": item.path,
            "volume": item.settings.volume,
            "location": item.location,
            "mode": str(item.mode),
            "action": str(item.action),
            "result": "not-reviewed",
            "error": self.reason,
        }

    def __str__(self) -> str:
        item = self.item
        return (
            f"{item.path or item.file_id} -> {item.settings.volume}:{item.location} "
            f"({item.action}): {self.reason}"
        )


@dataclass(frozen=True, slots=True)
class Agreement:
    plan: Plan
    left_out: tuple[LeftOut, ...]


def export_of(item: PlanItem) -> Export:
    """What makes two items the same export, whatever live state each was planned against."""
    return (
        item.platform,
        item.file_id,
        item.path if item.file_id is None else None,
        item.settings.volume,
        item.location,
        item.action,
        item.mode,
        item.overwrite,
        item.properties,
    )


def agree(plans: Sequence[tuple[Source, Plan]]) -> Agreement:
    """The exports every plan shows, and those some plan would send that are left out."""
    if not plans:
        raise ValueError("agree needs at least one plan")
    shown = [{export_of(item) for item in plan.items} for _, plan in plans]
    everywhere = set.intersection(*shown)
    first = plans[0][1]
    items = tuple(item for item in first.items if export_of(item) in everywhere)
    done_now = {_whatever_action(i) for i in plans[-1][1].items if i.action in _DONE}
    left_out: list[LeftOut] = []
    seen: set[Export] = set()
    for _, plan in plans:
        for item in plan.items:
            export = export_of(item)
            if not item.submits or export in everywhere or export in seen:
                continue
            if _whatever_action(item) in done_now:
                continue
            seen.add(export)
            lacking = zip(plans, shown, strict=True)
            left_out.append(LeftOut(item, tuple(s for (s, _), has in lacking if export not in has)))
    return Agreement(_cut(first, items), tuple(left_out))


def _whatever_action(item: PlanItem) -> Export:
    export = export_of(item)
    return export[:5] + export[6:]


def _cut(plan: Plan, items: tuple[PlanItem, ...]) -> Plan:
    if len(items) == len(plan.items):
        return plan
    used = {item.settings for item in items}
    cut = dataclasses.replace(
        plan,
        summary=summarize(items),
        destructive_count=sum(1 for i in items if i.destructive),
        apply_estimate=estimate_apply(items),
        risks=risk_lists(items),
        settings=tuple(s for s in plan.settings if s in used),
        items=items,
        digest="",
    )
    return dataclasses.replace(cut, digest=plan_digest(cut))
