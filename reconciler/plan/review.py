"""What a reviewer reads first, computed once for every rendering: a row per declaration and
the capped risk lists (replaces, moves, blocked items). Pure: the planner calls it while it
builds a plan, `combine` again for a plan of several platforms.

A row is what one declaration selects: a glob always has its own row, so the glob that
produced 10,000 moves is named; entries by file ID or by path of one manifest with the same
volume, mode and settings share one row once there are more than `GROUP_OVER` of them (a
generated list of 100,000 IDs is one line to read, not 100,000).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reconciler.manifest.models import ExportRule
from reconciler.plan.model import (
    RISK_ACTIONS,
    RISK_LIST_LIMIT,
    Action,
    ActionTotal,
    DeclarationSummary,
    ExportSettings,
    PlanItem,
    RiskEntry,
    RiskList,
)

GROUP_OVER = 5
_SELECTOR_NOUNS = {"file": "file IDs", "path": "paths"}


@dataclass(slots=True)
class _Row:
    declared_at: str
    selector: str
    rule: ExportRule  # the first entry: its project, volume, mode and pattern
    entries: int = 1
    locations: set[str] = field(default_factory=set)
    counts: dict[Action, int] = field(default_factory=dict)
    bytes: dict[Action, int] = field(default_factory=dict)

    def add(self, item: PlanItem) -> None:
        action = item.action
        self.counts[action] = self.counts.get(action, 0) + 1
        self.bytes[action] = self.bytes.get(action, 0) + (item.size or 0)

    def summary(self, platform: str) -> DeclarationSummary:
        rule = self.rule
        if self.entries == 1:
            location = rule.location
        else:
            location = next(iter(self.locations)) if len(self.locations) == 1 else "(one per entry)"
        return DeclarationSummary(
            declared_at=self.declared_at,
            entries=self.entries,
            selector=self.selector,
            platform=platform,
            project=rule.project,
            volume=rule.volume,
            location=location,
            mode=rule.mode,
            overwrite=rule.overwrite,
            storage_class=rule.properties.aws_storage_class,
            totals=tuple(
                ActionTotal(action, self.counts[action], self.bytes[action])
                for action in Action
                if action in self.counts
            ),
        )


def declaration_rows(
    rules: Sequence[ExportRule],
    items: Iterable[PlanItem],
    *,
    platform: str,
    at: Callable[[ExportRule], str],
    settings: Callable[[ExportRule], ExportSettings],
) -> tuple[DeclarationSummary, ...]:
    """One row per declaration of `rules` (the entries of one platform) with the totals of
    `items`. `at` gives a rule's `FILE:LINE:COL` as the items spell it, `settings` the export
    settings its items share (entries of one manifest, kind and settings share a row)."""

    def group(rule: ExportRule) -> tuple[str, str, int]:
        return (rule.manifest, rule.kind, id(settings(rule)))

    sizes: dict[tuple[str, str, int], int] = {}
    for rule in rules:
        if rule.kind != "glob":
            key = group(rule)
            sizes[key] = sizes.get(key, 0) + 1
    rows: list[_Row] = []
    row_of: dict[str, _Row] = {}
    groups: dict[tuple[str, str, int], _Row] = {}
    for rule in rules:
        where = at(rule)
        if rule.kind == "glob" or sizes[group(rule)] <= GROUP_OVER:
            row = _Row(where, f"{rule.kind} {rule.selector}", rule)
            rows.append(row)
        else:
            key = group(rule)
            if key not in groups:
                count = sizes[key]
                groups[key] = _Row(
                    where, f"{count:,} {_SELECTOR_NOUNS[rule.kind]}", rule, entries=count
                )
                rows.append(groups[key])
            row = groups[key]
            row.locations.add(rule.location)
            last_line = rule.declared_at.line
            first = row.rule.declared_at
            row.declared_at = f"{first.file}:{first.line}-{last_line}"
        row_of[where] = row
    for item in items:
        for where in item.declared_at:
            found = row_of.get(where)
            if found is not None:
                found.add(item)
    return tuple(row.summary(platform) for row in rows)


def risk_lists(items: Iterable[PlanItem]) -> tuple[RiskList, ...]:
    """The replaces, moves and blocked items: counts, bytes, and the first of each."""
    counts = dict.fromkeys(RISK_ACTIONS, 0)
    sizes = dict.fromkeys(RISK_ACTIONS, 0)
    shown: dict[Action, list[RiskEntry]] = {action: [] for action in RISK_ACTIONS}
    for item in items:
        action = item.action
        if action not in counts:
            continue
        counts[action] += 1
        sizes[action] += item.size or 0
        if len(shown[action]) < RISK_LIST_LIMIT:
            shown[action].append(_entry(item))
    return tuple(
        RiskList(action, counts[action], sizes[action], tuple(shown[action]))
        for action in RISK_ACTIONS
    )


def _entry(item: PlanItem) -> RiskEntry:
    settings = item.settings
    return RiskEntry(
        platform=settings.platform,
        project=settings.project,
        source=item.path or item.file_id or settings.project,
        destination=f"{settings.volume}:{item.location}",
        size=item.size,
        mode=settings.mode,
        storage_class=settings.properties.aws_storage_class,
        reason_code=item.reason_code,
        reason=item.reason,
        declared_at=item.declared_at[0],
    )
