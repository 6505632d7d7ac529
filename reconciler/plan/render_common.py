"""What the text and Markdown renderers share: the summary line and counts, sizes for
humans, markers and section titles, the labels of an item, the escaping of text that comes
from manifests or the platform, and the grouping per destination folder (the apply report's)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.plan.introduced import counts
from reconciler.plan.model import Action, ActionTotal, Plan, PlanItem, ReasonCode

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
OBVIOUS_REASONS = frozenset({ReasonCode.DESTINATION_EMPTY})


def human_bytes(n: int) -> str:
    """Decimal units, as storage is billed: 1.2 TB, 15 GB, 980 B."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        # 999.5 and above would read as "1000": the next unit says it.
        if value < 999.5 or unit == "PB":
            if unit == "B":
                return f"{n} B"
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def plural(count: int, noun: str) -> str:
    """`1 file`, `2 files`: counts read as English."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


# Characters that would act instead of being read: C0 and C1 controls (a line break, an
# escape sequence that rewrites the terminal), the line and paragraph separators, and the
# bidirectional controls that make text read in another order than it is stored.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """`text` with every character of `_UNSAFE` spelt as an escape (`\\n`, `\\x1b`,
    `\\u202e`): a file name from the platform or a selector from a merge request is shown,
    never obeyed, by a terminal or a Markdown renderer."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


NO_CHANGES = "No changes: every declared item is in sync."


def destructive_warning(plan: Plan) -> str | None:
    """What a plan that deletes or overwrites says first; None for one that does neither."""
    if not plan.destructive_count:
        return None
    return (
        f"{plan.destructive_count:,} destructive item(s): moves delete the platform copy, "
        "replaces overwrite an object."
    )


def summary_line(plan: Plan) -> str:
    """The totals, and for a plan compared with a merge base (`plan --base`) how many of the
    exports the change declares and how many earlier merges left pending."""
    marked = counts(plan)
    return (
        "Plan: " + totals_text(plan.summary, zeros=True) + (f"; {marked.text()}" if marked else "")
    )


def totals_text(totals: Iterable[ActionTotal], *, zeros: bool = False) -> str:
    """`12 to move (61 GB), 3 in sync`: the counts of `totals` in their order, with the bytes
    of what is exported; actions without items only when `zeros`."""
    parts = []
    for total in totals:
        if not zeros and not total.count:
            continue
        text = f"{total.count:,} {_SUMMARY_WORDS[total.action]}"
        if total.action in _SIZED and total.count:
            text += f" ({human_bytes(total.bytes)})"
        parts.append(text)
    return ", ".join(parts)


def estimate_line(plan: Plan) -> str:
    e = plan.apply_estimate
    wait = f"at least {e.rate_limit_seconds:,} s" if e.rate_limit_seconds else "no wait"
    return (
        f"Apply: about {plural(e.total_calls, 'API call')} ({plural(e.read_calls, 'read')}, "
        f"{plural(e.create_calls, 'bulk create')}, {plural(e.poll_calls, 'bulk poll')}); "
        f"under the rate limit of 1,000 requests per 5 minutes: {wait}."
    )


def source_label(item: PlanItem) -> str:
    return item.path or item.file_id or item.settings.project


def destination_label(item: PlanItem) -> str:
    return f"{item.settings.volume}:{item.location}"


def storage_class_label(item: PlanItem) -> str:
    """` (storage class X)` when the item declares one, else nothing."""
    storage_class = item.properties.aws_storage_class
    return f" (storage class {storage_class})" if storage_class else ""


def size_label(size: int | None) -> str:
    return human_bytes(size) if size is not None else "size unknown"


def reason_shown(item: PlanItem) -> str | None:
    """The reason sentence when it adds something to the action."""
    return None if item.reason_code in OBVIOUS_REASONS else item.reason


def sections(items: Iterable[PlanItem]) -> list[tuple[Action, list[PlanItem]]]:
    """Every item, grouped by action in `SECTION_ORDER` (what `--show-all` lists)."""
    by_action: defaultdict[Action, list[PlanItem]] = defaultdict(list)
    for item in items:
        by_action[item.action].append(item)
    return [(action, by_action[action]) for action in SECTION_ORDER if by_action[action]]


@dataclass(frozen=True, slots=True)
class FolderGroup:
    volume: str
    folder: str  # of the destination location; "" for the volume's root
    count: int
    bytes: int


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
