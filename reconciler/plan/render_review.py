"""The review both human renderings show, taken from the plan's review data so that text and
Markdown agree with each other and with the JSON by construction: the parts of a plan (a
platform and project each, with its endpoint, its declaration rows and its totals), the
counts of a row, which declarations the risky items come from, and the words of the capped
risk lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.manifest.models import Mode
from reconciler.plan.model import (
    Action,
    ActionTotal,
    DeclarationSummary,
    ExportSettings,
    Plan,
    RiskEntry,
    RiskList,
)
from reconciler.plan.render_common import human_bytes, plural, totals_text

# How many declarations a "where the moves come from" line names, largest first.
SOURCES_SHOWN = 3
_RISK_NOUNS = {Action.REPLACE: "replaces", Action.MOVE: "moves", Action.BLOCKED: "blocked items"}


@dataclass(frozen=True, slots=True)
class Part:
    """What a plan does in one platform and project: its declaration rows (in plan order) and
    the totals of its items (each item once)."""

    platform: str
    endpoint: str | None
    project: str
    rows: tuple[DeclarationSummary, ...]
    totals: tuple[ActionTotal, ...]

    @property
    def title(self) -> str:
        return f"{self.platform}, project {self.project}"

    @property
    def endpoint_shown(self) -> str | None:
        """The endpoint, unless the platform is named by it already."""
        if self.endpoint and self.endpoint.rstrip("/") != self.platform.rstrip("/"):
            return self.endpoint
        return None

    @property
    def counts(self) -> str:
        return totals_text(self.totals) or "nothing declared"


def parts(plan: Plan) -> list[Part]:
    """One part per platform and project that has declarations or export settings: platforms
    in the plan's order, projects in the order their first row comes. A plan of one part has
    the plan's totals; several are counted over the items (one pass, by shared settings)."""
    endpoints = {target.platform: target.endpoint for target in plan.platforms}
    rows: dict[tuple[str, str], list[DeclarationSummary]] = {}
    for row in plan.declarations:
        rows.setdefault((row.platform, row.project), []).append(row)
    for settings in plan.settings:
        rows.setdefault((settings.platform, settings.project), [])
    totals = {key: plan.summary for key in rows} if len(rows) <= 1 else _totals_by_part(plan, rows)
    order = {platform: index for index, platform in enumerate(endpoints)}
    keys = sorted(rows, key=lambda key: order.get(key[0], len(order)))
    return [
        Part(
            platform=platform,
            endpoint=endpoints.get(platform),
            project=project,
            rows=tuple(rows[(platform, project)]),
            totals=totals[(platform, project)],
        )
        for platform, project in keys
    ]


def _totals_by_part(
    plan: Plan, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[ActionTotal, ...]]:
    # Items share a handful of settings objects: counting by their identity costs one small
    # dictionary lookup an item, not a hash of the settings.
    counts: dict[tuple[int, Action], list[int]] = {}
    settings_of: dict[int, ExportSettings] = {}
    for item in plan.items:
        settings = item.settings
        key = (id(settings), item.action)
        entry = counts.get(key)
        if entry is None:
            entry = counts[key] = [0, 0]
            settings_of[id(settings)] = settings
        entry[0] += 1
        entry[1] += item.size or 0
    by_part: dict[tuple[str, str], dict[Action, list[int]]] = {key: {} for key in keys}
    for (settings_id, action), (count, size) in counts.items():
        settings = settings_of[settings_id]
        part = by_part.setdefault((settings.platform, settings.project), {})
        entry = part.setdefault(action, [0, 0])
        entry[0] += count
        entry[1] += size
    return {
        key: tuple(ActionTotal(a, *found[a]) for a in Action if a in found)
        for key, found in by_part.items()
    }


def row_counts(row: DeclarationSummary) -> str:
    """What the plan does with what one declaration selects."""
    return totals_text(row.totals) or "matches nothing"


def how(mode: Mode, *, overwrite: bool = False, storage_class: str | None = None) -> str:
    """How items are exported, in a few words: `move`, `copy, overwrite`, `move, storage
    class GLACIER_IR`."""
    words = [mode.value]
    if overwrite:
        words.append("overwrite")
    if storage_class:
        words.append(f"storage class {storage_class}")
    return ", ".join(words)


def row_how(row: DeclarationSummary) -> str:
    return how(row.mode, overwrite=row.overwrite, storage_class=row.storage_class)


def entry_how(action: Action, entry: RiskEntry) -> str:
    """How a risk entry exports: a replace says whether it moves or copies; any entry says
    its storage class."""
    if action is Action.REPLACE:
        return how(entry.mode, storage_class=entry.storage_class)
    return f"storage class {entry.storage_class}" if entry.storage_class else ""


def entry_origin(plan: Plan, entry: RiskEntry) -> str | None:
    """`platform project` for a risk entry of a plan of several platforms or projects (the
    lists cover the whole plan), else None."""
    if len(plan.platforms) > 1 or len(plan.projects) > 1:
        return f"{entry.platform} {entry.project}"
    return None


@dataclass(frozen=True, slots=True)
class Origin:
    """Which declarations the items of one risky action come from: the largest first, and
    how many more declarations have some."""

    risk: RiskList
    rows: tuple[tuple[DeclarationSummary, ActionTotal], ...]
    more: int

    @property
    def title(self) -> str:
        return f"{risk_counts(self.risk)} come from"

    @property
    def more_text(self) -> str:
        return f"and {plural(self.more, 'more declaration')}" if self.more else ""


def origins(plan: Plan) -> list[Origin]:
    """For each risk list with items (replaces, moves, blocked), the declarations whose rows
    count them: an item declared twice counts in both."""
    found = []
    for risk in plan.risks:
        if not risk.count:
            continue
        having = [
            (row, total)
            for row in plan.declarations
            for total in row.totals
            if total.action is risk.action and total.count
        ]
        having.sort(key=lambda pair: -pair[1].count)
        shown = tuple(having[:SOURCES_SHOWN])
        found.append(Origin(risk, shown, len(having) - len(shown)))
    return found


def origin_text(total: ActionTotal) -> str:
    """`12 (61 GB)`: the share of one declaration in a risk list."""
    if total.action is Action.BLOCKED:
        return str(total.count)
    return f"{total.count:,} ({human_bytes(total.bytes)})"


# Why each risk list is one: what its action does that cannot be taken back, or why it waits.
RISK_WHY = {
    Action.REPLACE: "destructive, an object is overwritten",
    Action.MOVE: "destructive, the platform copy is deleted",
    Action.BLOCKED: "cannot converge until the manifest or the platform changes",
}


def risk_counts(risk: RiskList) -> str:
    """`Moves (12, 61 GB)`, `Blocked items (3)`: a risk list's count and bytes."""
    size = f", {human_bytes(risk.bytes)}" if risk.action is not Action.BLOCKED else ""
    return f"{_RISK_NOUNS[risk.action].capitalize()} ({risk.count:,}{size})"


def risk_title(risk: RiskList) -> str:
    """`Moves (12, 61 GB): destructive, the platform copy is deleted`."""
    return f"{risk_counts(risk)}: {RISK_WHY[risk.action]}"


def more_size(risk: RiskList) -> str:
    """The bytes of the entries a capped list leaves out, when they are known."""
    if risk.action is Action.BLOCKED:
        return ""
    left = risk.bytes - sum(entry.size or 0 for entry in risk.shown)
    return f" ({human_bytes(left)})"
