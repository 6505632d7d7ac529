"""What the HTML report draws and lists, computed from a plan: the chart rows (bytes and files
per destination, per declaration, split by action) and the item list as one compact JSON
document for the page's script. Pure: the page (`render_html`) only lays these out.

The item list is columnar and dictionary-encoded (each volume, declaration, reason and action
written once, items pointing at them by index): 100,000 items make a blob of about 12 MB
instead of twice that. Text from manifests or the platform goes through `printable` first, as
in every rendering, so a bidirectional control cannot reorder a name on the page either."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reconciler.plan.model import DeclarationSummary, Plan, PlanItem
from reconciler.plan.render_common import SECTION_ORDER, printable

# The most rows a chart draws; the rest are added up into one row that says how many.
CHART_ROWS = 25
# The page lists every item up to this many; above, the summary, charts and risk lists only,
# and where the full list is (a page of 1,000,000 rows would not open in a browser).
ITEM_LIST_LIMIT = 100_000
# The order every chart and the item list use for actions: the risky ones first.
ACTIONS = SECTION_ORDER
ROOT = "(root)"
_RANGE = re.compile(r"(?P<file>.*):(?P<first>\d+)-(?P<last>\d+)")


@dataclass(frozen=True, slots=True)
class ChartRow:
    """One bar: what it stands for, and the files and bytes of each action (in `ACTIONS`
    order). `detail` is the longer text shown on hover (a selector, a destination pattern)."""

    label: str
    detail: str
    files: tuple[int, ...]
    bytes: tuple[int, ...]

    @property
    def total_files(self) -> int:
        return sum(self.files)

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes)


@dataclass(frozen=True, slots=True)
class Chart:
    rows: tuple[ChartRow, ...]
    more: int  # how many rows the last one adds up (0: none left out)


def top_prefix(location: str) -> str:
    """`archive/` for `archive/runs/a.bam`; `(root)` for an object at the volume's root."""
    head, slash, _ = location.partition("/")
    return head + "/" if slash else ROOT


def destination_chart(items: Iterable[PlanItem], *, limit: int = CHART_ROWS) -> Chart:
    """Files and bytes per volume and top-level prefix of the destination, split by action;
    the largest (by bytes, then files) first."""
    index = {action: i for i, action in enumerate(ACTIONS)}
    found: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
    for item in items:
        key = (item.settings.volume, top_prefix(item.location))
        entry = found.get(key)
        if entry is None:
            entry = found[key] = ([0] * len(ACTIONS), [0] * len(ACTIONS))
        at = index[item.action]
        entry[0][at] += 1
        entry[1][at] += item.size or 0
    rows = [
        ChartRow(f"{volume}:{prefix}", f"{volume}:{prefix}", tuple(files), tuple(sizes))
        for (volume, prefix), (files, sizes) in found.items()
    ]
    return _capped(rows, limit, "destinations")


def declaration_chart(
    declarations: Iterable[DeclarationSummary], *, limit: int = CHART_ROWS
) -> Chart:
    """Files and bytes per declaration (FILE:LINE and its selector), split by action; an item
    declared twice counts in both rows, as the review counts it."""
    rows = []
    for row in declarations:
        files = dict.fromkeys(ACTIONS, 0)
        sizes = dict.fromkeys(ACTIONS, 0)
        for total in row.totals:
            files[total.action] += total.count
            sizes[total.action] += total.bytes
        detail = f"{row.declared_at} {row.selector} -> {row.volume}:{row.location}"
        rows.append(
            ChartRow(
                f"{row.declared_at} {row.selector}",
                detail,
                tuple(files.values()),
                tuple(sizes.values()),
            )
        )
    return _capped(rows, limit, "declarations")


def _capped(rows: list[ChartRow], limit: int, noun: str) -> Chart:
    rows.sort(key=lambda r: (-r.total_bytes, -r.total_files, r.label))
    if len(rows) <= limit:
        return Chart(tuple(rows), 0)
    kept, rest = rows[: limit - 1], rows[limit - 1 :]
    width = len(ACTIONS)
    other = ChartRow(
        f"{len(rest)} more {noun}",
        f"the {len(rest)} smallest {noun}, added up",
        tuple(sum(r.files[i] for r in rest) for i in range(width)),
        tuple(sum(r.bytes[i] for r in rest) for i in range(width)),
    )
    return Chart((*kept, other), len(rest))


class _Table:
    """Distinct texts, each written once; items hold their index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def add(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.index)
        return found

    @property
    def texts(self) -> list[str]:
        return list(self.index)


def items_document(plan: Plan) -> dict[str, object]:
    """The item list as the page's script reads it: tables of actions, volumes, declaration
    rows and reasons, and a column per field with one entry per item (plan order).

    `decl` holds the index of the declaration row each item counts in (a list when it counts
    in several, -1 when no row names it)."""
    actions = [action.value for action in ACTIONS]
    action_index = {action: i for i, action in enumerate(ACTIONS)}
    volumes = _Table()
    reasons = _Table()
    rows = _RowFinder(plan.declarations)
    columns: dict[str, list[object]] = {
        k: [] for k in ("action", "source", "id", "size", "volume", "location", "decl", "reason")
    }
    for item in plan.items:
        columns["action"].append(action_index[item.action])
        columns["source"].append(printable(item.path or item.file_id or item.settings.project))
        columns["id"].append(item.file_id or "")
        columns["size"].append(item.size)
        columns["volume"].append(volumes.add(printable(item.settings.volume)))
        columns["location"].append(printable(item.location))
        columns["decl"].append(rows.rows_of(item))
        columns["reason"].append(reasons.add(printable(f"{item.reason_code.value}: {item.reason}")))
    declarations = [printable(f"{r.declared_at} {r.selector}") for r in plan.declarations]
    return {
        "actions": actions,
        "volumes": volumes.texts,
        "declarations": declarations,
        "reasons": reasons.texts,
        "count": len(plan.items),
        "columns": columns,
    }


class _RowFinder:
    """Which declaration row an item counts in. A row of one entry is named by the entry's
    FILE:LINE:COL, as items spell it; a row of many entries by `FILE:FIRST-LAST`, so an item
    of such a row is found by its file and line, and, where ranges of one file overlap, by
    the volume and mode the row and the item share."""

    def __init__(self, declarations: Sequence[DeclarationSummary]) -> None:
        self.exact: dict[str, int] = {}
        self.ranges: dict[str, list[tuple[int, int, int, DeclarationSummary]]] = {}
        for at, row in enumerate(declarations):
            match = _RANGE.fullmatch(row.declared_at)
            if match is None:
                self.exact[f"{row.platform}\0{row.declared_at}"] = at
            else:
                first, last = int(match["first"]), int(match["last"])
                self.ranges.setdefault(f"{row.platform}\0{match['file']}", []).append(
                    (first, last, at, row)
                )

    def rows_of(self, item: PlanItem) -> int | list[int]:
        found = [self._row(item, where) for where in item.declared_at]
        unique = list(dict.fromkeys(at for at in found if at >= 0))
        if not unique:
            return -1
        return unique[0] if len(unique) == 1 else unique

    def _row(self, item: PlanItem, where: str) -> int:
        platform = item.settings.platform
        exact = self.exact.get(f"{platform}\0{where}")
        if exact is not None:
            return exact
        file = where.rpartition(":")[0]  # FILE:LINE:COL -> FILE:LINE, COL
        file, _, line = file.rpartition(":")
        candidates = self.ranges.get(f"{platform}\0{file}", [])
        if not line.isdigit() or not candidates:
            return -1
        number = int(line)
        settings = item.settings
        fallback = -1
        for first, last, at, row in candidates:
            if first <= number <= last:
                if row.volume == settings.volume and row.mode == settings.mode:
                    return at
                fallback = at if fallback < 0 else fallback
        return fallback


def script_json(document: object) -> str:
    """`document` as JSON that can sit inside a `<script type="application/json">` element:
    ASCII only (U+2028 and every other non-ASCII character as `\\uXXXX`), and `<`, `>` and
    `&` escaped too, so no file name can close the element (`</script>`), open a comment
    (`<!--`) or be read as markup. `JSON.parse` gives back the same text."""
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def is_listed(plan: Plan) -> bool:
    """Whether the page lists every item (`ITEM_LIST_LIMIT`)."""
    return len(plan.items) <= ITEM_LIST_LIMIT
