"""The full list of a plan as CSV: one row per item (then one per unmanaged alias), for a
spreadsheet or a script, written item by item (a plan may hold 1,000,000 items).

`plan --out plan.json` writes it beside the plan as `plan.csv` (`full_list_path`), and
`show PLAN --format csv` prints it. A text cell that a spreadsheet would read as a formula
(starting with `=`, `+`, `-`, `@`, a tab or a line break, as OWASP lists them) gets a `'` in
front, and so does one that starts with `'` itself, so a program that reads the list takes
one leading `'` off a cell and has the text back (`plain`)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import PurePath
from typing import TextIO

from reconciler.plan.model import Plan, PlanItem, UnmanagedAlias

COLUMNS = (
    "platform",
    "project",
    "action",
    "reason_code",
    "source_path",
    "file_id",
    "size",
    "volume",
    "location",
    "mode",
    "storage_class",
    "declared_at",
    "reason",
)
# Not an action: an alias on a managed volume that no manifest declares (left alone).
UNMANAGED = "unmanaged"
UNMANAGED_REASON = "no manifest declares it; left alone"
_FORMULA_START = frozenset("=+-@\t\r\n'")
# Texts many items share (a reason, a declaration), neutralised once.
_SHARED_MAX = 10_000


def neutralise(cell: str) -> str:
    """The cell as a spreadsheet shows it as text, never runs it."""
    return "'" + cell if cell and cell[0] in _FORMULA_START else cell


def plain(cell: str) -> str:
    """The text of a cell `neutralise` wrote."""
    return cell[1:] if cell.startswith("'") else cell


def full_list_path(plan_path: str) -> str:
    """Where the full list of a plan saved at `plan_path` goes: `plan.csv` for `plan.json`
    (`plan.csv.csv` for a plan saved as `plan.csv`)."""
    path = PurePath(plan_path)
    if path.suffix.lower() == ".csv":
        return str(path.with_name(path.name + ".csv"))
    return str(path.with_suffix(".csv"))


def rows(plan: Plan) -> Iterator[list[str]]:
    """The header, then a row per item and per unmanaged alias, in plan order."""
    yield list(COLUMNS)
    yield from _item_rows(plan.items)
    for alias in plan.unmanaged_aliases:
        yield _alias_row(alias)


def _item_rows(items: Iterable[PlanItem]) -> Iterator[list[str]]:
    # What items share is made into cells once: the cells of their settings, by identity (a
    # plan holds a handful), and their reasons and declarations (a few distinct texts).
    by_settings: dict[int, tuple[str, str, str, str, str]] = {}
    shared: dict[str, str] = {}
    for item in items:
        settings = item.settings
        head = by_settings.get(id(settings))
        if head is None:
            head = by_settings[id(settings)] = (
                neutralise(settings.platform),
                neutralise(settings.project),
                neutralise(settings.volume),
                settings.mode.value,
                neutralise(settings.properties.aws_storage_class or ""),
            )
        declared = item.declared_at
        at = declared[0] if len(declared) == 1 else "; ".join(declared)
        size = item.size
        yield [
            head[0],
            head[1],
            item.action,  # a StrEnum: its text, without the enum's attribute lookup
            item.reason_code,
            neutralise(item.path or ""),
            neutralise(item.file_id or ""),
            "" if size is None else str(size),
            head[2],
            neutralise(item.location),
            head[3],
            head[4],
            _shared(shared, at),
            _shared(shared, item.reason),
        ]


def _shared(cells: dict[str, str], text: str) -> str:
    cell = cells.get(text)
    if cell is None:
        cell = neutralise(text)
        if len(cells) < _SHARED_MAX:
            cells[text] = cell
    return cell


def _alias_row(alias: UnmanagedAlias) -> list[str]:
    cells = [
        alias.platform,
        alias.project,
        UNMANAGED,
        UNMANAGED,
        alias.path,
        alias.file_id,
        "" if alias.size is None else str(alias.size),
        alias.volume,
        alias.location,
        "",
        "",
        "",
        UNMANAGED_REASON,
    ]
    return [neutralise(cell) for cell in cells]


def write_csv(plan: Plan, out: TextIO) -> None:
    """Write the full list to `out` (opened with `newline=""`), a row at a time. Every cell
    is quoted: a line break or a comma in a file name stays inside its cell."""
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows(plan))
