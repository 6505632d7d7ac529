"""The apply report's text: problems first, then every destructive export that completed, then a
summary of the rest; every line within 100 columns, no destination ever cut."""

from __future__ import annotations

import re

from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.report import render_text
from reconciler.manifest.models import Mode
from reconciler.plan.model import Action, PlanItem
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.wrap import WIDTH
from tests.plan.helpers import file, live, manifests, rule


def items(copies: int, moves: int, *, location: str = "{name}") -> list[PlanItem]:
    """Copies first, as a manifest that declares them first plans them."""
    rules = [
        rule("copies/**", kind="glob", mode=Mode.COPY, location="c/{parent}/" + location),
        rule("moves/*", kind="glob", location="m/" + location, index=1),
    ]
    files = [file(n, f"copies/d{n % 3}/c{n:03d}.bam") for n in range(1, copies + 1)]
    files += [file(1000 + n, f"moves/m{n:03d}.bam") for n in range(1, moves + 1)]
    plan = build_plan(manifests(*rules), live(files), context=PlanContext("1"))
    return list(plan.items)


def completed(item: PlanItem) -> ItemOutcome:
    return ItemOutcome(item, Result.COMPLETED, job_id="J" * 32)


def test_every_move_is_listed_before_a_summary_of_the_copies() -> None:
    outcomes = [completed(i) for i in items(200, 100)]
    assert [o.item.action for o in outcomes[:200]] == [Action.COPY] * 200
    lines = render_text(outcomes, receipt=None).splitlines()
    assert lines[0] == "Apply: 300 completed"
    assert lines[1] == "completed, destructive (100):"
    moves = [line for line in lines if re.search(r"-> me/vol:m/m\d{3}\.bam move completed", line)]
    assert len(moves) == 100
    summary = lines.index("completed (200), by destination folder:")
    assert summary > lines.index(moves[-1])
    assert lines[summary + 1 :] == [
        "     67 files    6.7 kB  me/vol:c/copies/d1/",
        "     67 files    6.7 kB  me/vol:c/copies/d2/",
        "     66 files    6.6 kB  me/vol:c/copies/d0/",
    ]
    assert not any("copies/d0/c003.bam" in line for line in lines)


def test_problems_come_first_and_a_few_copies_are_listed() -> None:
    copy_one, copy_two, move_one, move_two = items(2, 2)
    outcomes = [
        completed(copy_one),
        ItemOutcome(copy_two, Result.IN_SYNC),
        completed(move_one),
        ItemOutcome(move_two, Result.FAILED, job_id="F" * 32, error="the volume refused it"),
    ]
    text = render_text(outcomes, receipt=None)
    titles = [line for line in text.splitlines() if not line.startswith(" ")]
    assert titles == [
        "Apply: 1 failed, 2 completed, 1 in-sync",
        "failed (1):",
        "completed, destructive (1):",
        "completed (1):",
        "in-sync (1):",
    ]
    failed = r"-> me/vol:m/m002\.bam move failed\s+\(job F{32}\): the volume refused it\n"
    assert re.search(failed, text)
    assert re.search(r"-> me/vol:c/copies/d2/c002\.bam\s+copy in-sync\n", text)


def test_lines_fit_100_columns_and_destinations_stay_whole() -> None:
    long_name = "sample-" + "x" * 40 + "-{name}"
    outcomes = [completed(i) for i in items(3, 3, location=long_name)]
    outcomes[-1] = ItemOutcome(
        outcomes[-1].item, Result.FAILED, error="refused by the platform: " + "why " * 30
    )
    text = render_text(outcomes, receipt=None)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= WIDTH
    for outcome in outcomes:
        destination = f"-> me/vol:{outcome.item.destination.location}"
        assert sum(destination in line for line in lines) == 1, destination
