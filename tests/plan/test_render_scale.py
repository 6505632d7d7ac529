"""The review at scale: text and Markdown stay a screenful, and the note under its hard cap,
for any plan: 1,000,000 items, thousands of declarations or projects, paths and reasons of
absurd length. The cap leaves room for the closing lines, and every cut section says how many
it left out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from reconciler.manifest.models import Mode
from reconciler.plan.model import RISK_LIST_LIMIT, Plan
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.render_markdown import MAX_NOTE_CHARS, render_markdown
from reconciler.plan.render_text import render_text

from .helpers import GLOB_LINE, fid, file, live, manifests, moves_from_one_glob, rule
from .test_render_markdown import SAVED, Rendered


def cut(note: str, noun: str = "") -> int:
    """How many entries the note says it left out of one section."""
    match = re.search(rf"^… and ([\d,]+) more{noun}: ", note, re.M)
    assert match is not None, note[-3000:]
    return int(match.group(1).replace(",", ""))


def assert_whole(note: str) -> None:
    """Under the cap, the closing lines there, every `<details>` closed."""
    assert len(note) < MAX_NOTE_CHARS
    assert note.rstrip().endswith("</sub>")
    assert "**The full list**" in note
    tags = Rendered(note).tags
    assert tags.count("details") == tags.count("/details")


@pytest.fixture(scope="module")
def million() -> Iterator[Plan]:
    yield moves_from_one_glob(1_000_000)


@pytest.mark.slow
def test_a_million_moves_in_text_and_markdown(million: Plan) -> None:
    text = render_text(million)
    note = render_markdown(million, artifacts=SAVED)
    every = render_markdown(million, show_all=True, artifacts=SAVED)
    assert len(text.splitlines()) < 50
    at = f"manifests/a.yaml:{GLOB_LINE}:5"
    assert f"  {at} glob runs/**/* -> me/vol:archive/{{path}}\n" in text
    assert f"... and {1_000_000 - RISK_LIST_LIMIT:,} more (1.0 GB): --show-all" in text
    for markdown in (note, every):
        assert_whole(markdown)
        assert f"**Moves (1,000,000, 1.0 GB) come from** `{at}` `glob runs/**/*`" in markdown
        assert cut(markdown) == 1_000_000 - RISK_LIST_LIMIT
    assert cut(every, " items") + every.count("\n- `!` ") - RISK_LIST_LIMIT == 1_000_000


@pytest.mark.slow
def test_thousands_of_declarations() -> None:
    count = 5000
    rules = [
        rule(f"d/f{n}.bam", kind="path", location="out/{name}", manifest=f"manifests/m{n}.yaml")
        for n in range(count)
    ]
    files = [file(n, f"d/f{n}.bam") for n in range(count)]
    plan = build_plan(manifests(*rules), live(files), context=PlanContext("1"))
    assert len(plan.declarations) == count
    note = render_markdown(plan, artifacts=SAVED)
    assert_whole(note)
    rows = note.count("\n- `manifests/m")
    assert rows > 50
    assert rows + cut(note, " declarations") == count
    assert "`manifests/m0.yaml:5:5` `path d/f0.bam`" in note  # the first, in plan order
    assert "**Moves (5,000, 500 kB) come from** `manifests/m0.yaml:5:5`" in note
    assert "and 4,997 more declarations\n" in note
    text = render_text(plan)
    assert text.count(" -> me/vol:out/{name}\n") == count  # the text has every row


@pytest.mark.slow
def test_thousands_of_projects() -> None:
    count = 2000
    rules = [
        rule(fid(n), project=f"lab/p{n}", manifest=f"manifests/p{n}.yaml", mode=Mode.COPY)
        for n in range(count)
    ]
    files = [file(n, project=f"lab/p{n}") for n in range(count)]
    plan = build_plan(manifests(*rules), live(files), context=PlanContext("1"))
    note = render_markdown(plan, artifacts=SAVED)
    assert_whole(note)
    assert "**`aws-us`, project `lab/p0`**: 1 to copy (100 B)" in note
    assert note.count("\n- `manifests/p") + cut(note, " declarations") == count
    text = render_text(plan)
    assert "== aws-us, project lab/p1999: 1 to copy (100 B)\n" in text


def test_paths_of_a_thousand_characters() -> None:
    plan = moves_from_one_glob(300, name=lambda i: f"{i:04d}" + "n" * 990)
    note = render_markdown(plan, artifacts=SAVED)
    assert_whole(note)
    first = plan.items[0]
    # What is listed is listed whole; what does not fit is counted.
    assert f"`{first.path}` → `me/vol:{first.location}`" in note
    assert note.count("\n- `!` ") + cut(note) == 300
    text = render_text(plan)
    # Each longer than a line: each alone on its line, whole.
    assert f"    !\n      {first.path}\n      -> me/vol:{first.location}\n      (1.0 kB)\n" in text


@pytest.mark.slow
def test_reasons_that_list_thousands_of_files_are_cut() -> None:
    # 600 files for one destination: each blocked item's reason names the 599 others.
    rules = [rule("d/*", kind="glob", location="same.bam")]
    files = [file(n, f"d/f{n}.bam") for n in range(600)]
    plan = build_plan(manifests(*rules), live(files), context=PlanContext("1"))
    assert len(plan.items[0].reason) > 10_000
    note = render_markdown(plan, artifacts=SAVED)
    assert_whole(note)
    assert re.search(r"…` \(\+\d+ characters\) at `manifests/a\.yaml:5:5`", note)
    assert note.count("\n- `x` ") + cut(note) == 600
