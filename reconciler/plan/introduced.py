"""What the change under review declares, on a plan: each item marked against the merge base.

A merge request's plan also holds what earlier merges declared and no apply has sent yet;
reviewers must tell apart what their merge request changes. `mark` takes the places
(`FILE:LINE:COL`) of the declarations the change adds or changes (found by `gitops/base.py`)
and marks each item declared at one of them as `Introduced.HERE`, every other as
`Introduced.EARLIER`; the renderers label the items and count both in the summary line. Pure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.plan.io import plan_digest
from reconciler.plan.model import SUBMITTING_ACTIONS, Action, Introduced, Plan, PlanItem, RiskEntry

HERE_LABEL = "this merge request"
EARLIER_LABEL = "pending from earlier merges"


def mark(plan: Plan, changed_at: Iterable[str]) -> Plan:
    """`plan` with every item marked, sealed anew."""
    changed = frozenset(changed_at)
    items = tuple(
        dataclasses.replace(
            item,
            introduced=Introduced.HERE
            if any(at in changed for at in item.declared_at)
            else Introduced.EARLIER,
        )
        for item in plan.items
    )
    marked = dataclasses.replace(plan, items=items, digest="")
    return dataclasses.replace(marked, digest=plan_digest(marked))


@dataclass(frozen=True, slots=True)
class Counts:
    here: int  # exports the change declares
    earlier: int  # exports pending from earlier merges

    def text(self) -> str:
        return f"{self.here} from {HERE_LABEL}, {self.earlier} {EARLIER_LABEL}"


def counts(plan: Plan) -> Counts | None:
    """The exports of each kind; None for a plan not compared with a base."""
    here = earlier = 0
    compared = False
    for item in plan.items:
        if item.introduced is None:
            continue
        compared = True
        if item.submits:
            if item.introduced is Introduced.HERE:
                here += 1
            else:
                earlier += 1
    return Counts(here, earlier) if compared else None


def label(item: PlanItem) -> str | None:
    """An item's label: every item the change declares, and what earlier merges left pending."""
    if item.introduced is Introduced.HERE:
        return HERE_LABEL
    if item.introduced is Introduced.EARLIER and item.submits:
        return EARLIER_LABEL
    return None


def declared_here(plan: Plan) -> frozenset[str] | None:
    """The places of the declarations the change adds or changes, as the items show them
    (for the risk lists, whose entries name their first declaration); None: not compared."""
    if counts(plan) is None:
        return None
    return frozenset(
        at for item in plan.items if item.introduced is Introduced.HERE for at in item.declared_at
    )


def entry_label(action: Action, entry: RiskEntry, here: frozenset[str] | None) -> str | None:
    """A risk entry's label, as `label` gives an item's (`here`: `declared_here(plan)`)."""
    if here is None:
        return None
    if entry.declared_at in here:
        return HERE_LABEL
    return EARLIER_LABEL if action in SUBMITTING_ACTIONS else None
