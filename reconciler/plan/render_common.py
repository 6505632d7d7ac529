"""What the text and Markdown renderers share: the summary line, sizes for humans, markers,
the parts of a plan (one per platform and project), the order of sections, and the collapsing
of large groups into one line per folder."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.plan.model import Action, ActionTotal, Plan, PlanItem, ReasonCode
from reconciler.plan.planner import summarize

# A group (action x volume) with more items than this is shown as one line per folder.
COLLAPSE_OVER = 20
# ... and at most this many folder lines, then one line for the rest.
MAX_FOLDER_LINES = 50

MARKERS = {
    Action.COPY: "+",
    Action.MOVE: "!",
    Action.REPLACE: "-/+",
    Action.IN_FLIGHT: "~",
    Action.IN_SYNC: "=",
    Action.BLOCKED: "x",
}
LEGEND = (
    "+ copy, ! move (deletes the platform copy), -/+ replace (overwrites an object), "
    "~ in flight, = in sync, x blocked"
)
SECTION_TITLES = {
    Action.BLOCKED: "Blocked: cannot converge until the manifest or the platform changes",
    Action.REPLACE: "To replace (destructive: an object is overwritten)",
    Action.MOVE: "To move (destructive: the platform copy is deleted)",
    Action.COPY: "To copy",
    Action.IN_FLIGHT: "In flight (not submitted again)",
    Action.IN_SYNC: "In sync",
}
# Blocked first (a reviewer must see them), then destructive, then the rest.
SECTION_ORDER = (
    Action.BLOCKED,
    Action.REPLACE,
    Action.MOVE,
    Action.COPY,
    Action.IN_FLIGHT,
    Action.IN_SYNC,
)
_SUMMARY_WORDS = {
    Action.MOVE: "to move",
    Action.COPY: "to copy",
    Action.REPLACE: "to replace",
    Action.IN_SYNC: "in sync",
    Action.IN_FLIGHT: "in flight",
    Action.BLOCKED: "blocked",
}
_SIZED = (Action.MOVE, Action.COPY, Action.REPLACE)
# Reasons that say nothing the action does not already say.
_OBVIOUS = {ReasonCode.DESTINATION_EMPTY}


def human_bytes(n: int) -> str:
    """Decimal units, as storage is billed: 1.2 TB, 15 GB, 980 B."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 1000 or unit == "PB":
            if unit == "B":
                return f"{n} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files`: counts read as English."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


NO_CHANGES = "No changes: every declared item is in sync."


def destructive_warning(plan: Plan) -> str | None:
    """What a plan that deletes or overwrites says first; None for one that does neither."""
    if not plan.destructive_count:
        return None
    return (
        f"{plan.destructive_count} destructive item(s): moves delete the platform copy, "
        "replaces overwrite an object."
    )


def summary_line(plan: Plan) -> str:
    return "Plan: " + ", ".join(_counts(plan.summary, zeros=True))


def _counts(summary: Sequence[ActionTotal], *, zeros: bool) -> list[str]:
    parts = []
    for total in summary:
        if not zeros and not total.count:
            continue
        text = f"{total.count} {_SUMMARY_WORDS[total.action]}"
        if total.action in _SIZED and total.count:
            text += f" ({human_bytes(total.bytes)})"
        parts.append(text)
    return parts


@dataclass(frozen=True, slots=True)
class Part:
    """The items of one platform and project, in plan order."""

    platform: str
    endpoint: str | None
    project: str
    items: list[PlanItem]

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
        return ", ".join(_counts(summarize(self.items), zeros=False)) or "nothing declared"


def parts(plan: Plan) -> list[Part]:
    """One part per platform and project, platforms in the plan's order, projects in the order
    their first item comes."""
    found: dict[tuple[str, str], Part] = {}
    endpoints = {p.platform: p.endpoint for p in plan.platforms}
    for item in plan.items:
        key = (item.platform, item.source.project)
        part = found.get(key)
        if part is None:
            endpoint = endpoints.get(item.platform)
            part = found[key] = Part(item.platform, endpoint, item.source.project, [])
        part.items.append(item)
    order = {platform: index for index, platform in enumerate(endpoints)}
    return sorted(found.values(), key=lambda part: order.get(part.platform, len(order)))


def estimate_line(plan: Plan) -> str:
    e = plan.apply_estimate
    wait = f"at least {e.rate_limit_seconds} s" if e.rate_limit_seconds else "no wait"
    return (
        f"Apply: about {plural(e.total_calls, 'API call')} "
        f"({plural(e.create_calls, 'bulk create')}, {plural(e.poll_calls, 'bulk poll')}); "
        f"under the rate limit of 1,000 requests per 5 minutes: {wait}."
    )


def source_label(item: PlanItem) -> str:
    return item.source.path or item.source.file_id or item.source.project


def destination_label(item: PlanItem) -> str:
    return f"{item.destination.volume}:{item.destination.location}"


def storage_class_label(item: PlanItem) -> str:
    """` (storage class X)` when the item declares one, else nothing."""
    storage_class = item.properties.aws_storage_class
    return f" (storage class {storage_class})" if storage_class else ""


def size_label(item: PlanItem) -> str:
    return human_bytes(item.source.size) if item.source.size is not None else "size unknown"


def reason_shown(item: PlanItem) -> str | None:
    """The reason sentence when it adds something to the action."""
    return None if item.reason_code in _OBVIOUS else item.reason


def sections(
    items: Sequence[PlanItem], *, include_in_sync: bool
) -> list[tuple[Action, list[PlanItem]]]:
    by_action: defaultdict[Action, list[PlanItem]] = defaultdict(list)
    for item in items:
        by_action[item.action].append(item)
    return [
        (action, by_action[action])
        for action in SECTION_ORDER
        if by_action[action] and (include_in_sync or action is not Action.IN_SYNC)
    ]


@dataclass(frozen=True, slots=True)
class FolderGroup:
    volume: str
    folder: str  # of the destination location; "" for the volume's root
    count: int
    bytes: int


def by_volume(items: Sequence[PlanItem]) -> dict[str, list[PlanItem]]:
    groups: dict[str, list[PlanItem]] = {}
    for item in items:
        groups.setdefault(item.destination.volume, []).append(item)
    return groups


def folder_groups(items: Sequence[PlanItem]) -> list[FolderGroup]:
    """Counts and bytes per destination folder, largest first."""
    counts: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        folder = item.destination.location.rpartition("/")[0]
        entry = counts[(item.destination.volume, folder)]
        entry[0] += 1
        entry[1] += item.source.size or 0
    groups = [FolderGroup(v, f, c, b) for (v, f), (c, b) in counts.items()]
    groups.sort(key=lambda g: (-g.count, g.volume, g.folder))
    return groups


def folder_label(group: FolderGroup) -> str:
    return f"{group.volume}:{group.folder}/" if group.folder else f"{group.volume}:(root)"
