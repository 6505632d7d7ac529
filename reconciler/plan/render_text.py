"""The plan for a terminal or a CI log: the summary line of the whole plan first, then a part
per platform and project (its counts, then its sections): blocked items always listed with
their reason, destructive items marked, large groups collapsed to one line per folder (all
listed with `show_all`); unmanaged aliases, and the apply estimate last."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan.model import Action, Plan, PlanItem
from reconciler.plan.render_common import (
    COLLAPSE_OVER,
    LEGEND,
    MARKERS,
    MAX_FOLDER_LINES,
    SECTION_TITLES,
    by_volume,
    destination_label,
    estimate_line,
    folder_groups,
    folder_label,
    human_bytes,
    parts,
    plural,
    reason_shown,
    sections,
    size_label,
    source_label,
    storage_class_label,
    summary_line,
)


def render_text(plan: Plan, *, show_all: bool = False) -> str:
    lines = [summary_line(plan)]
    if not plan.has_pending and not plan.has_blocked:
        lines.append("No changes: every declared item is in sync.")
    if plan.destructive_count:
        lines.append(
            f"{plan.destructive_count} destructive item(s): moves delete the platform copy, "
            "replaces overwrite an object."
        )
    several = len(plan.platforms) > 1
    for part in parts(plan):
        lines += ["", f"== {part.title}: {part.counts}"]
        if part.endpoint_shown:
            lines.append(f"   at {part.endpoint_shown}")
        for action, items in sections(part.items, include_in_sync=show_all):
            lines += ["", f"{SECTION_TITLES[action]} ({len(items)}):"]
            lines += _section(action, items, show_all=show_all)
    if plan.unmanaged_aliases:
        lines += ["", f"Unmanaged aliases on managed volumes ({len(plan.unmanaged_aliases)}):"]
        lines += [
            f"  {f'{a.platform}: ' if several else ''}{a.project}:{a.path} -> "
            f"{a.volume}:{a.location} (no manifest declares it; left alone)"
            for a in plan.unmanaged_aliases
        ]
    lines += ["", f"Legend: {LEGEND}", estimate_line(plan)]
    return "\n".join(lines) + "\n"


def _section(action: Action, items: Sequence[PlanItem], *, show_all: bool) -> list[str]:
    if action is Action.BLOCKED or show_all:
        return [_item_line(i) for i in items]
    lines = []
    for volume, group in by_volume(items).items():
        if len(group) <= COLLAPSE_OVER:
            lines += [_item_line(i) for i in group]
            continue
        folders = folder_groups(group)
        total = sum(i.source.size or 0 for i in group)
        classes = sorted({c for i in group if (c := i.properties.aws_storage_class)})
        stored_as = f" (storage class {', '.join(classes)})" if classes else ""
        lines.append(
            f"  {MARKERS[action]} {plural(len(group), 'file')} ({human_bytes(total)}) to {volume}"
            f"{stored_as}, by destination folder (--show-all lists each):"
        )
        for folder in folders[:MAX_FOLDER_LINES]:
            size = human_bytes(folder.bytes)
            count = plural(folder.count, "file")
            lines.append(f"      {count:>13} {size:>9}  {folder_label(folder)}")
        rest = folders[MAX_FOLDER_LINES:]
        if rest:
            lines.append(
                f"      {plural(sum(f.count for f in rest), 'file'):>13} "
                f"{human_bytes(sum(f.bytes for f in rest)):>9}  in {len(rest)} more folders"
            )
    return lines


def _item_line(item: PlanItem) -> str:
    marker = MARKERS[item.action]
    line = (
        f"  {marker:>3} {source_label(item)} -> {destination_label(item)}"
        f"{storage_class_label(item)} ({size_label(item)})"
    )
    if item.action in (Action.REPLACE, Action.IN_SYNC, Action.IN_FLIGHT):
        line += f" [{item.mode.value}]"
    reason = reason_shown(item)
    if reason:
        line += f": {reason}"
    if item.action is Action.BLOCKED:
        line += f" [{item.reason_code.value}] at {', '.join(item.declared_at)}"
    return line
