"""The plan for a terminal or a CI log: the summary line of the whole plan first, then a part
per platform and project (its counts, then its sections): blocked items always listed with
their reason, destructive items marked, large groups collapsed to one line per folder (all
listed with `show_all`); unmanaged aliases, and the apply estimate last. Lines fit 100 columns
(`reconciler.wrap`): a long item wraps onto indented lines, never inside a path or destination."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan.model import Action, Plan, PlanItem
from reconciler.plan.render_common import (
    COLLAPSE_OVER,
    LEGEND,
    MARKERS,
    MAX_FOLDER_LINES,
    NO_CHANGES,
    SECTION_TITLES,
    by_volume,
    destination_label,
    destructive_warning,
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
from reconciler.wrap import clauses, fit, fit_text

UNMANAGED_NOTE = "(no manifest declares it; left alone)"


def render_text(plan: Plan, *, show_all: bool = False) -> str:
    lines = fit(clauses(summary_line(plan)))
    if not plan.has_pending and not plan.has_blocked:
        lines.append(NO_CHANGES)
    warning = destructive_warning(plan)
    if warning:
        lines += fit_text(warning)
    several = len(plan.platforms) > 1
    for part in parts(plan):
        lines += ["", *fit(clauses(f"== {part.title}: {part.counts}"))]
        if part.endpoint_shown:
            lines.append(f"   at {part.endpoint_shown}")
        for action, items in sections(part.items, include_in_sync=show_all):
            lines += ["", *fit_text(f"{SECTION_TITLES[action]} ({len(items)}):")]
            lines += _section(action, items, show_all=show_all)
    if plan.unmanaged_aliases:
        lines += ["", f"Unmanaged aliases on managed volumes ({len(plan.unmanaged_aliases)}):"]
        for a in plan.unmanaged_aliases:
            pieces = [f"{a.project}:{a.path}", f"-> {a.volume}:{a.location}"]
            if several:
                pieces.insert(0, f"{a.platform}:")
            lines += fit([*pieces, *UNMANAGED_NOTE.split()], indent="  ")
    lines += ["", *fit(["Legend:", *clauses(LEGEND)]), *fit(clauses(estimate_line(plan), "; "))]
    return "\n".join(lines) + "\n"


def _section(action: Action, items: Sequence[PlanItem], *, show_all: bool) -> list[str]:
    if action is Action.BLOCKED or show_all:
        return [line for i in items for line in _item_lines(i)]
    lines = []
    for volume, group in by_volume(items).items():
        if len(group) <= COLLAPSE_OVER:
            lines += [line for i in group for line in _item_lines(i)]
            continue
        folders = folder_groups(group)
        total = sum(i.source.size or 0 for i in group)
        classes = sorted({c for i in group if (c := i.properties.aws_storage_class)})
        stored_as = f" (storage class {', '.join(classes)})" if classes else ""
        lines += fit_text(
            f"  {MARKERS[action]} {plural(len(group), 'file')} ({human_bytes(total)}) to {volume}"
            f"{stored_as}, by destination folder (--show-all lists each):",
            hanging="      ",
        )
        for folder in folders[:MAX_FOLDER_LINES]:
            size = human_bytes(folder.bytes)
            count = plural(folder.count, "file")
            lines += fit([f"{count:>13} {size:>9} ", folder_label(folder)], indent="      ")
        rest = folders[MAX_FOLDER_LINES:]
        if rest:
            lines.append(
                f"      {plural(sum(f.count for f in rest), 'file'):>13} "
                f"{human_bytes(sum(f.bytes for f in rest)):>9}  in {len(rest)} more folders"
            )
    return lines


def _item_lines(item: PlanItem) -> list[str]:
    """`  ! source -> destination [storage class] (size)`, its reason, and for a blocked item
    where it is declared; continuation lines start under the source."""
    pieces = [f"{MARKERS[item.action]:>3}", source_label(item), f"-> {destination_label(item)}"]
    stored_as = storage_class_label(item).strip()
    if stored_as:
        pieces.append(stored_as)
    pieces.append(f"({size_label(item)})")
    if item.action in (Action.REPLACE, Action.IN_SYNC, Action.IN_FLIGHT):
        pieces.append(f"[{item.mode.value}]")
    reason = reason_shown(item)
    if reason:
        pieces[-1] += ":"
        pieces += reason.split()
    if item.action is Action.BLOCKED:
        pieces += [f"[{item.reason_code.value}]", *clauses("at " + ", ".join(item.declared_at))]
    return fit(pieces, indent="  ", hanging="      ")
