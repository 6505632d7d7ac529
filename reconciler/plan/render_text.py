"""The plan for a terminal or a CI log, a review on one screen: the summary line and where
the risky items come from; a part per platform and project (its counts, its endpoint, a row
per declaration: where it is declared, what it selects, where it exports to, what the plan
does with it); the lists of replaces, moves and blocked items, capped ("... and K more");
unmanaged aliases, the legend and the apply estimate last. `show_all` lists every item, by
action, instead of the capped lists.

Lines fit 100 columns (`reconciler.wrap`): a long line wraps onto indented lines, never inside
a path or destination. Text from manifests or the platform goes through `printable`: a file
name is shown, never obeyed by the terminal."""

from __future__ import annotations

from reconciler.plan.introduced import declared_here, entry_label, label
from reconciler.plan.model import Action, DeclarationSummary, Plan, PlanItem, RiskEntry
from reconciler.plan.render_common import (
    LEGEND,
    MARKERS,
    NO_CHANGES,
    OBVIOUS_REASONS,
    SECTION_TITLES,
    destination_label,
    destructive_warning,
    estimate_line,
    printable,
    reason_shown,
    sections,
    size_label,
    source_label,
    storage_class_label,
    summary_line,
)
from reconciler.plan.render_review import (
    Origin,
    Part,
    entry_how,
    entry_origin,
    more_size,
    origin_text,
    origins,
    parts,
    risk_title,
    row_counts,
    row_how,
)
from reconciler.wrap import WIDTH, clauses, fit, fit_text

UNMANAGED_NOTE = "(no manifest declares it; left alone)"
FULL_LIST = "--show-all prints every item, --format csv lists them for a spreadsheet"
# The column of `FILE:LINE` in the declaration rows is at most this wide.
WHERE_WIDTH = 30


def render_text(plan: Plan, *, show_all: bool = False) -> str:
    lines = fit(clauses(summary_line(plan)))
    if not plan.has_pending and not plan.has_blocked:
        lines.append(NO_CHANGES)
    warning = destructive_warning(plan)
    if warning:
        lines += fit_text(warning)
    for origin in origins(plan):
        lines += _origin_lines(origin)
    every = parts(plan)
    width = min(
        max((len(printable(row.declared_at)) for p in every for row in p.rows), default=0),
        WHERE_WIDTH,
    )
    items = _items_by_part(plan) if show_all else {}
    for part in every:
        lines += ["", *_part_head(part)]
        for row in part.rows:
            lines += _row_lines(row, width)
        for action, listed in sections(items.get((part.platform, part.project), [])):
            lines += ["", *fit_text(f"{SECTION_TITLES[action]} ({len(listed):,}):")]
            lines += [line for item in listed for line in _item_lines(item)]
    if not show_all:
        lines += _risk_lines(plan)
    several = len(plan.platforms) > 1
    if plan.unmanaged_aliases:
        lines += ["", f"Unmanaged aliases on managed volumes ({len(plan.unmanaged_aliases):,}):"]
        for a in plan.unmanaged_aliases:
            pieces = [printable(f"{a.project}:{a.path}"), printable(f"-> {a.volume}:{a.location}")]
            if several:
                pieces.insert(0, f"{printable(a.platform)}:")
            lines += fit([*pieces, *UNMANAGED_NOTE.split()], indent="  ")
    lines += ["", *fit(["Legend:", *clauses(LEGEND)]), *fit(clauses(estimate_line(plan), "; "))]
    return "\n".join(lines) + "\n"


def _origin_lines(origin: Origin) -> list[str]:
    """`Moves (12, 61 GB) come from FILE:LINE glob x: 9 (50 GB); ...; and 2 more declarations`"""
    pieces = origin.title.split()
    for index, (row, total) in enumerate(origin.rows):
        share = [printable(row.declared_at), *_selector(row)]
        share[-1] += ":"
        share.append(origin_text(total))
        if index < len(origin.rows) - 1 or origin.more:
            share[-1] += ";"
        pieces += share
    if origin.more:
        pieces += origin.more_text.split()
    return fit(pieces)


def _part_head(part: Part) -> list[str]:
    lines = fit(clauses(f"== {printable(part.title)}: {part.counts}"))
    if part.endpoint_shown:
        lines.append(f"   at {printable(part.endpoint_shown)}")
    return lines


def _selector(row: DeclarationSummary) -> list[str]:
    """`glob`, `results/**/*.bam`: the kind and the pattern, which is never split."""
    kind, _, selector = printable(row.selector).partition(" ")
    return [kind, selector]


def _row_lines(row: DeclarationSummary, width: int) -> list[str]:
    """`  FILE:LINE  glob PATTERN -> volume:location`, then under the pattern its mode and
    what the plan does with what it selects (`[move] 12 to move (61 GB), 3 in sync`)."""
    at = printable(row.declared_at)
    pieces = [at.ljust(width), *_selector(row), printable(f"-> {row.volume}:{row.location}")]
    # Continuations under the selector when they fit there; a FILE:LINE wider than its
    # column, or a destination too long for it, puts them further left.
    under = " " * (width + 3 if len(at) <= width else 6)
    lines = fit(pieces, indent="  ", hanging=under)
    if any(len(line) > WIDTH for line in lines[1:]):
        lines = fit(pieces, indent="  ")
    does = clauses(f"[{printable(row_how(row))}] {row_counts(row)}")
    return lines + fit(does, indent=under, hanging=under)


def _risk_lines(plan: Plan) -> list[str]:
    lines: list[str] = []
    here = declared_here(plan)
    for risk in plan.risks:
        if not risk.count:
            continue
        first = f"; the first {len(risk.shown)}" if risk.more else ""
        lines += ["", *fit_text(f"{risk_title(risk)}{first}:")]
        for entry in risk.shown:
            tag = entry_label(risk.action, entry, here)
            lines += _entry_lines(risk.action, entry, entry_origin(plan, entry), tag)
        if risk.more:
            more = f"... and {risk.more:,} more{more_size(risk)}: {FULL_LIST}"
            lines += fit_text(f"  {more}", hanging="      ")
    return lines


def _entry_lines(
    action: Action, entry: RiskEntry, origin: str | None, tag: str | None = None
) -> list[str]:
    """`  ! source -> destination (size)`, how a replace exports, the reason when it says
    more than the action, and for a blocked item its reason code and where it is declared;
    in a plan of several parts, the entry's platform and project first."""
    pieces = [
        f"{MARKERS[action]:>3}",
        *([printable(origin) + ":"] if origin else []),
        printable(entry.source),
        f"-> {printable(entry.destination)}",
        f"({size_label(entry.size)})",
    ]
    if action is Action.REPLACE or entry.storage_class:
        pieces.append(f"[{printable(entry_how(action, entry))}]")
    if entry.reason_code not in OBVIOUS_REASONS:
        pieces[-1] += ":"
        pieces += printable(entry.reason).split()
    if action is Action.BLOCKED:
        pieces += [f"[{entry.reason_code.value}]", "at", printable(entry.declared_at)]
    if tag:
        pieces += f"({tag})".split()
    return fit(pieces, indent="  ", hanging="      ")


def _items_by_part(plan: Plan) -> dict[tuple[str, str], list[PlanItem]]:
    found: dict[tuple[str, str], list[PlanItem]] = {}
    for item in plan.items:
        found.setdefault((item.settings.platform, item.settings.project), []).append(item)
    return found


def _item_lines(item: PlanItem) -> list[str]:
    """`  ! source -> destination [storage class] (size)`, its reason, and for a blocked item
    where it is declared; continuation lines start under the source."""
    pieces = [
        f"{MARKERS[item.action]:>3}",
        printable(source_label(item)),
        f"-> {printable(destination_label(item))}",
    ]
    stored_as = storage_class_label(item).strip()
    if stored_as:
        pieces.append(printable(stored_as))
    pieces.append(f"({size_label(item.size)})")
    if item.action in (Action.REPLACE, Action.IN_SYNC, Action.IN_FLIGHT):
        pieces.append(f"[{item.mode.value}]")
    reason = reason_shown(item)
    if reason:
        pieces[-1] += ":"
        pieces += printable(reason).split()
    if item.action is Action.BLOCKED:
        pieces += [
            f"[{item.reason_code.value}]",
            *clauses("at " + printable(", ".join(item.declared_at))),
        ]
    tag = label(item)
    if tag:
        pieces += f"({tag})".split()
    return fit(pieces, indent="  ", hanging="      ")
