"""The plan as a GitLab merge request note: the summary, then a part per platform and project
with destructive items first, blocked items,
long lists folded into `<details>`, and the whole kept under a GitLab note's size (1,000,000
characters; we stop at 900,000 and point at the JSON artifact for the rest)."""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan import render_common as common
from reconciler.plan.model import Action, Plan, PlanItem

MAX_NOTE_CHARS = 900_000
# Room kept for the closing lines (truncation notice, estimate) once the budget is reached.
_RESERVE = 2_000


class _Note:
    """Lines with a character budget: what does not fit is counted, not written."""

    def __init__(self, budget: int) -> None:
        self.lines: list[str] = []
        self.size = 0
        self.budget = budget
        self.left_out = 0

    def add(self, line: str) -> bool:
        if self.size + len(line) + 1 > self.budget - _RESERVE:
            return False
        self.lines.append(line)
        self.size += len(line) + 1
        return True

    def rows(self, lines: Sequence[str], items_each: int = 1) -> None:
        for index, line in enumerate(lines):
            if not self.add(line):
                self.left_out += (len(lines) - index) * items_each
                return


def render_markdown(plan: Plan, *, show_all: bool = False, max_chars: int = MAX_NOTE_CHARS) -> str:
    note = _Note(max_chars)
    note.add("### reconciler plan")
    note.add("")
    note.add(f"**{common.summary_line(plan)}**")
    note.add("")
    if plan.has_blocked:
        note.add(f":no_entry: {plan.count(Action.BLOCKED)} item(s) blocked: see below.")
    warning = common.destructive_warning(plan)
    if warning:
        note.add(f":warning: {warning}")
    if not plan.has_pending and not plan.has_blocked:
        note.add(common.NO_CHANGES)
    several = len(plan.platforms) > 1
    for part in common.parts(plan):
        note.add("")
        at = f" at `{_cell(part.endpoint_shown)}`" if part.endpoint_shown else ""
        note.add(f"**{_cell(part.title)}**{at}: {part.counts}")
        for action, items in common.sections(part.items, include_in_sync=True):
            _section(note, action, items, show_all=show_all)
    if plan.unmanaged_aliases:
        note.add("")
        note.add(
            f"<details><summary>Unmanaged aliases on managed volumes "
            f"({len(plan.unmanaged_aliases)}): information only</summary>"
        )
        note.add("")
        note.rows(
            [
                f"- {f'{a.platform}: ' if several else ''}`{_code(f'{a.project}:{a.path}')}` → "
                f"`{_code(f'{a.volume}:{a.location}')}`"
                for a in plan.unmanaged_aliases
            ]
        )
        note.add("")
        note.add("</details>")
    tail = [""]
    if note.left_out:
        tail.append(f"**{note.left_out} more items: see the JSON artifact** (too long for a note).")
        # Close a `<details>` left open by the cut.
        if sum(line.startswith("<details>") for line in note.lines) > sum(
            line == "</details>" for line in note.lines
        ):
            tail.insert(0, "</details>")
    tail.append(common.estimate_line(plan))
    commit = f" at `{plan.manifests_commit[:12]}`" if plan.manifests_commit else ""
    tail.append(
        f"<sub>reconciler {plan.tool_version}; manifests{commit}, digest "
        f"`{plan.manifests_digest[:12]}`; plan digest `{plan.digest[:12]}`</sub>"
    )
    return "\n".join([*note.lines, *tail]) + "\n"


def _section(note: _Note, action: Action, items: Sequence[PlanItem], *, show_all: bool) -> None:
    title = f"{common.SECTION_TITLES[action]} ({len(items)})"
    note.add("")
    few = len(items) <= common.COLLAPSE_OVER
    always_open = action in (Action.BLOCKED, Action.REPLACE, Action.MOVE) and few
    if action is Action.IN_SYNC and not show_all:
        note.add(f"<details><summary>{title}</summary>")
        note.add("")
        _folder_table(note, items)
        note.add("")
        note.add("</details>")
        return
    if always_open:
        note.add(f"#### {title}")
        note.add("")
    else:
        note.add(
            f"<details{' open' if action is Action.BLOCKED else ''}><summary>{title}</summary>"
        )
        note.add("")
        if action is not Action.BLOCKED and not show_all and len(items) > common.COLLAPSE_OVER:
            _folder_table(note, items)
            note.add("")
    note.add("| | Source | Destination | Size | Why |")
    note.add("|---|---|---|---|---|")
    note.rows([_row(i) for i in items])
    if not always_open:
        note.add("")
        note.add("</details>")


def _folder_table(note: _Note, items: Sequence[PlanItem]) -> None:
    note.add("| Destination folder | Files | Size |")
    note.add("|---|---:|---:|")
    rows = [
        f"| `{_cell(common.folder_label(g))}` | {g.count} | {common.human_bytes(g.bytes)} |"
        for g in common.folder_groups(items)
    ]
    note.rows(rows, items_each=0)


def _row(item: PlanItem) -> str:
    why = common.reason_shown(item) or ""
    if item.action is Action.BLOCKED:
        why = f"**{item.reason_code.value}**: {why} ({', '.join(item.declared_at)})"
    return (
        f"| `{common.MARKERS[item.action]}` | `{_cell(common.source_label(item))}` | "
        f"`{_cell(common.destination_label(item))}`{_cell(common.storage_class_label(item))} | "
        f"{common.size_label(item)} | {_cell(why)} |"
    )


def _code(text: str) -> str:
    """Text for a code span: a backtick or a line break in a file name must not end it."""
    return text.replace("\n", " ").replace("`", "'")


def _cell(text: str) -> str:
    """Text for a table cell: a code span that a `|` must not split either."""
    return _code(text).replace("|", "\\|")
