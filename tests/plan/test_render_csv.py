"""The full list as CSV: every item once with its fields, unmanaged aliases after them, cells
a spreadsheet would run neutralised, written a row at a time; and `plan --out` writes it
beside the plan, both whole or not at all."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from reconciler.commands.plan import _save
from reconciler.errors import StateError
from reconciler.manifest.models import Mode
from reconciler.plan.io import load_plan, plan_digest
from reconciler.plan.model import Plan, UnmanagedAlias
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.render_csv import (
    COLUMNS,
    UNMANAGED,
    full_list_path,
    neutralise,
    plain,
    write_csv,
)

from .helpers import VOLUME, fid, file, live, manifests, moves_from_one_glob, rule
from .test_render import mixed_plan

FORMULAS = [
    '=HYPERLINK("x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\tTAB",
    "\rCR",
    "'quoted",
]


def rows_of(text: str) -> list[dict[str, str]]:
    return [{k: plain(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def csv_text(plan: Plan) -> str:
    out = io.StringIO(newline="")
    write_csv(plan, out)
    return out.getvalue()


def formula_plan() -> Plan:
    rules = [
        rule("*", kind="glob", location="{name}", line=3),
        rule("-x/*", kind="glob", location="=copy/{name}", mode=Mode.COPY, line=6),
    ]
    files = [file(n, name) for n, name in enumerate(FORMULAS, start=1)]
    files += [file(20, '-x/a,b\n"c".bam', size=None)]
    plan = build_plan(manifests(*rules), live(files), context=PlanContext("1"))
    alias = UnmanagedAlias(fid(9), "lab/p", "=old.bam", VOLUME, "@old/x", 7, "aws-us")
    plan = dataclasses.replace(plan, unmanaged_aliases=(alias,))
    return dataclasses.replace(plan, digest=plan_digest(plan))


@pytest.mark.parametrize("plan", [mixed_plan(), formula_plan()], ids=["mixed", "formulas"])
def test_every_item_appears_once_with_its_fields(plan: Plan) -> None:
    rows = rows_of(csv_text(plan))
    assert tuple(rows[0]) == COLUMNS
    items, aliases = rows[: len(plan.items)], rows[len(plan.items) :]
    assert len(aliases) == len(plan.unmanaged_aliases)
    for row, item in zip(items, plan.items, strict=True):
        assert row == {
            "platform": item.platform,
            "project": item.source.project,
            "action": str(item.action),
            "reason_code": str(item.reason_code),
            "source_path": item.path or "",
            "file_id": item.file_id or "",
            "size": "" if item.size is None else str(item.size),
            "volume": item.settings.volume,
            "location": item.location,
            "mode": str(item.mode),
            "storage_class": item.properties.aws_storage_class or "",
            "declared_at": "; ".join(item.declared_at),
            "reason": item.reason,
        }
    for row, alias in zip(aliases, plan.unmanaged_aliases, strict=True):
        assert (row["action"], row["source_path"], row["location"], row["size"]) == (
            UNMANAGED,
            alias.path,
            alias.location,
            str(alias.size),
        )


def test_cells_a_spreadsheet_would_run_are_text() -> None:
    text = csv_text(formula_plan())
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    for formula in FORMULAS:
        assert "'" + formula in cells
    assert '\'=copy/a,b\n"c".bam' in cells and '\'-x/a,b\n"c".bam' in cells
    for cell in ("'=old.bam", "'@old/x"):
        assert cell in text
    # Every cell is quoted: a comma, a quote or a line break in a name stays in its cell.
    assert '"-x/a,b\n""c"".bam"' in text.replace("'", "")


def test_neutralise_and_plain_are_inverse() -> None:
    for text in [*FORMULAS, "", "a", "''", "'=", "x=1"]:
        assert plain(neutralise(text)) == text
    assert neutralise("a=1") == "a=1"


def test_the_list_is_written_row_by_row() -> None:
    class Chunks(io.StringIO):
        largest = 0

        def write(self, text: str) -> int:
            self.largest = max(self.largest, len(text))
            return super().write(text)

    out = Chunks(newline="")
    write_csv(moves_from_one_glob(10_000), out)
    assert out.largest < 500
    assert out.getvalue().count("\r\n") == 10_001


@pytest.mark.parametrize(
    ("plan_path", "full_list"),
    [
        ("plan.json", "plan.csv"),
        ("out/current/plan.json", "out/current/plan.csv"),
        ("plan", "plan.csv"),
        ("plan.csv", "plan.csv.csv"),
        ("a.b/plan.v2.json", "a.b/plan.v2.csv"),
    ],
)
def test_the_full_list_goes_beside_the_plan(plan_path: str, full_list: str) -> None:
    assert full_list_path(plan_path) == full_list


def test_saving_writes_both_files_whole(tmp_path: Path) -> None:
    plan = formula_plan()
    _save(plan, tmp_path / "plan.json", tmp_path / "plan.csv")
    assert load_plan(tmp_path / "plan.json") == plan
    assert (tmp_path / "plan.csv").read_bytes().decode() == csv_text(plan)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.csv", "plan.json"]


def test_a_list_that_cannot_be_saved_leaves_no_half_file(tmp_path: Path) -> None:
    (tmp_path / "plan.csv").mkdir()
    (tmp_path / "plan.csv" / "x").write_text("a directory where the list should go")
    with pytest.raises(StateError) as refused:
        _save(mixed_plan(), tmp_path / "plan.json", tmp_path / "plan.csv")
    assert str(refused.value).startswith(f"{tmp_path / 'plan.csv'}")
    assert "cannot save the plan" in str(refused.value)
    assert not list(tmp_path.glob("*.tmp"))
