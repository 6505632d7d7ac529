"""The plan as a merge request note: the same review as the text (`render_review`), on one
screen, and under `MAX_NOTE_CHARS` characters whatever the plan holds.

The summary line first, with the warnings and the declarations the replaces, moves and
blocked items come from; a row per declaration, under a heading per platform and project
(with its endpoint); the capped lists of replaces, moves and blocked items; unmanaged aliases
folded; then where the full list is (the CSV beside the saved plan), the apply estimate and
the plan's digest. Each section may take a share of the budget (`*_CHARS`) and says how many
of its entries it left out; the closing lines are laid out first and always fit. Text from
manifests or the platform is only ever written inside code spans (`markdown_note.code`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from reconciler.plan.introduced import declared_here, entry_label, label
from reconciler.plan.markdown_note import Note, code, size_of
from reconciler.plan.model import (
    Action,
    DeclarationSummary,
    Plan,
    PlanItem,
    RiskEntry,
    UnmanagedAlias,
)
from reconciler.plan.render_common import (
    MARKERS,
    NO_CHANGES,
    OBVIOUS_REASONS,
    destination_label,
    destructive_warning,
    estimate_line,
    reason_shown,
    size_label,
    source_label,
    summary_line,
)
from reconciler.plan.render_review import (
    Origin,
    Part,
    entry_how,
    entry_origin,
    origin_text,
    origins,
    parts,
    risk_title,
    row_counts,
    row_how,
)

# GitHub refuses comments over 65,536 characters; a note stays well under it, with room for
# what `gitlab-note` adds (its marker and the pipeline's footer).
MAX_NOTE_CHARS = 60_000
MIN_NOTE_CHARS = 8_000
# The most each section may take, in the order they are written (the rest of the budget is
# for `--show-all`'s list of every item).
ORIGINS_CHARS = 7_000
ROWS_CHARS = 24_000
RISK_CHARS = 7_000  # each of the three lists
UNMANAGED_CHARS = 2_500
# The longest FILE:LINE, selector or file name a head line shows (a row shows more).
LABEL_CHARS = 200
_ICONS = {Action.REPLACE: ":warning:", Action.MOVE: ":warning:", Action.BLOCKED: ":no_entry:"}


@dataclass(frozen=True, slots=True)
class Artifacts:
    """Where a reader finds what the note leaves out: the saved plan (`plan --out`) and the
    full list written beside it (None when there is none), as the note should name them."""

    plan: str | None = None
    full_list: str | None = None

    def every_item(self) -> str:
        """Where every item is listed, for the `... and K more` lines."""
        if self.full_list:
            return f"{code(self.full_list, limit=LABEL_CHARS)} lists every item"
        if self.plan:
            show = code(f"reconciler show {self.plan} --format csv", limit=LABEL_CHARS)
            return f"{show} lists every item"
        return "`reconciler plan --out plan.json` also lists every item in `plan.csv`"

    def every_row(self) -> str:
        if self.plan:
            return f"{code(f'reconciler show {self.plan}', limit=LABEL_CHARS)} lists them all"
        return "`reconciler plan` lists them all"

    def full_list_line(self) -> str:
        if not self.plan:
            return (
                "**The full list**: `reconciler plan --out plan.json` saves the plan, and "
                "every item, one row each, in `plan.csv` beside it (it opens in a spreadsheet)."
            )
        plan = code(self.plan, limit=LABEL_CHARS)
        show = code(f"reconciler show {self.plan} --show-all", limit=LABEL_CHARS)
        if self.full_list:
            where = code(self.full_list, limit=LABEL_CHARS)
            return (
                f"**The full list**: every item, one row each, in {where} (it opens in a "
                f"spreadsheet), beside the plan that apply runs, {plan} ({show} prints "
                "every item)."
            )
        listed = code(f"reconciler show {self.plan} --format csv", limit=LABEL_CHARS)
        return (
            f"**The full list**: the plan that apply runs, {plan}; {show} prints every item, "
            f"{listed} lists them for a spreadsheet."
        )


def render_markdown(
    plan: Plan,
    *,
    show_all: bool = False,
    max_chars: int = MAX_NOTE_CHARS,
    artifacts: Artifacts | None = None,
) -> str:
    """The note, at most `max_chars` characters (at least `MIN_NOTE_CHARS`)."""
    if max_chars < MIN_NOTE_CHARS:
        raise ValueError(f"a plan note needs at least {MIN_NOTE_CHARS} characters")
    artifacts = artifacts or Artifacts()
    tail = _tail(plan, artifacts)
    note = Note(max_chars - size_of(tail))
    note.add("### reconciler plan", "", f"**{summary_line(plan)}**")
    if not plan.has_pending and not plan.has_blocked:
        note.add("", NO_CHANGES)
    warning = destructive_warning(plan)
    if warning:
        note.add("", f":warning: {warning}")
    found = origins(plan)
    note.section(
        (),
        (("\n" + _origin_line(origin), 1) for origin in found),
        total=len(found),
        more=lambda n: f"\n{n:,} more: see below.",
        allot=ORIGINS_CHARS,
    )
    note.section(
        ("", f"#### Declarations ({len(plan.declarations):,})"),
        _row_entries(parts(plan)),
        total=len(plan.declarations),
        more=_more(" declarations", artifacts.every_row()),
        allot=ROWS_CHARS,
    )
    here = declared_here(plan)
    for risk in plan.risks:
        if risk.count:
            note.section(
                ("", f"#### {_ICONS[risk.action]} {risk_title(risk)}", ""),
                (
                    (
                        _entry_line(risk.action, entry, entry_origin(plan, entry))
                        + _tag(entry_label(risk.action, entry, here)),
                        1,
                    )
                    for entry in risk.shown
                ),
                total=risk.count,
                more=_more("", artifacts.every_item()),
                allot=RISK_CHARS,
            )
    if plan.unmanaged_aliases:
        note.section(
            _details(f"Unmanaged aliases on managed volumes ({len(plan.unmanaged_aliases):,})"),
            ((_alias_line(a, several=len(plan.platforms) > 1), 1) for a in plan.unmanaged_aliases),
            total=len(plan.unmanaged_aliases),
            more=_more(" unmanaged aliases", artifacts.every_item()),
            allot=UNMANAGED_CHARS,
            tail=("", "</details>"),
        )
    if show_all:
        note.section(
            _details(f"Every item ({len(plan.items):,})"),
            ((_item_line(item) + _tag(label(item)), 1) for item in plan.items),
            total=len(plan.items),
            more=_more(" items", artifacts.every_item()),
            allot=note.room,
            tail=("", "</details>"),
        )
    return "\n".join([*note.lines, *tail]) + "\n"


def _more(noun: str, where: str) -> Callable[[int], str]:
    """`... and K more NOUN: WHERE.`, the line that ends a cut section."""
    return lambda left: f"\n… and {left:,} more{noun}: {where}."


def _details(summary: str) -> tuple[str, ...]:
    return ("", f"<details><summary>{summary}</summary>", "")


def _origin_line(origin: Origin) -> str:
    """`:warning: **Moves (12, 61 GB) come from** FILE:LINE selector: 9 (50 GB); ...`"""
    shares = [
        f"{code(row.declared_at, limit=LABEL_CHARS)} {code(row.selector, limit=LABEL_CHARS)} "
        f"→ {code(f'{row.volume}:{row.location}', limit=LABEL_CHARS)}: {origin_text(total)}"
        for row, total in origin.rows
    ]
    if origin.more:
        shares.append(origin.more_text)
    return f"{_ICONS[origin.risk.action]} **{origin.title}** " + "; ".join(shares)


def _row_entries(every: Sequence[Part]) -> Iterator[tuple[str, int]]:
    """Per part a heading (it counts for no declaration), then a line per declaration."""
    for part in every:
        at = f" at {code(part.endpoint_shown, limit=LABEL_CHARS)}" if part.endpoint_shown else ""
        title = f"{code(part.platform, limit=LABEL_CHARS)}, project {code(part.project)}"
        head = ["", f"**{title}**{at}: {part.counts}"]
        yield "\n".join([*head, ""]), 0
        for row in part.rows:
            yield _row_line(row), 1


def _row_line(row: DeclarationSummary) -> str:
    return (
        f"- {code(row.declared_at, limit=LABEL_CHARS)} {code(row.selector)} → "
        f"{code(f'{row.volume}:{row.location}')} ({code(row_how(row))}): **{row_counts(row)}**"
    )


def _entry_line(action: Action, entry: RiskEntry, origin: str | None) -> str:
    """`- `!` source → destination (size)`, how a replace exports, the reason when it says
    more than the action, and for a blocked item its reason code and where it is declared;
    in a plan of several parts, the entry's platform and project first."""
    where = f"{code(origin)}: " if origin else ""
    line = (
        f"- `{MARKERS[action]}` {where}{code(entry.source)} → {code(entry.destination)} "
        f"({size_label(entry.size)})"
    )
    if action is Action.REPLACE or entry.storage_class:
        line += f" ({code(entry_how(action, entry))})"
    if action is Action.BLOCKED:
        line += f": **{entry.reason_code.value}** {code(entry.reason)}"
        return line + f" at {code(entry.declared_at, limit=LABEL_CHARS)}"
    if entry.reason_code not in OBVIOUS_REASONS:
        line += f": {code(entry.reason)}"
    return line


def _item_line(item: PlanItem) -> str:
    line = (
        f"- `{MARKERS[item.action]}` {code(source_label(item))} → "
        f"{code(destination_label(item))} ({size_label(item.size)})"
    )
    storage_class = item.properties.aws_storage_class
    if storage_class:
        line += f" storage class {code(storage_class)}"
    reason = reason_shown(item)
    if item.action is Action.BLOCKED:
        line += f": **{item.reason_code.value}** {code(item.reason)}"
        return line + f" at {code(', '.join(item.declared_at), limit=LABEL_CHARS)}"
    return line + (f": {code(reason)}" if reason else "")


def _tag(label: str | None) -> str:
    """An item's label against the merge base, in italics after its line."""
    return f" _({label})_" if label else ""


def _alias_line(alias: UnmanagedAlias, *, several: bool) -> str:
    platform = f"{code(alias.platform)}: " if several else ""
    return (
        f"- {platform}{code(f'{alias.project}:{alias.path}')} → "
        f"{code(f'{alias.volume}:{alias.location}')}"
    )


def _tail(plan: Plan, artifacts: Artifacts) -> list[str]:
    """The closing lines, laid out before anything else so that they always fit."""
    commit = f" at {code(plan.manifests_commit, limit=12)}" if plan.manifests_commit else ""
    return [
        "",
        "---",
        "",
        artifacts.full_list_line(),
        "",
        estimate_line(plan),
        "",
        f"<sub>reconciler {code(plan.tool_version, limit=40)}; manifests{commit}, digest "
        f"{code(plan.manifests_digest[:12])}; plan digest {code(plan.digest, limit=64)}</sub>",
    ]
