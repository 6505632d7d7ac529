"""The text review: the summary line, a row per declaration, the capped risk lists, blocked
items with their reason and manifest line, every item with `--show-all`, 100 columns, text
from outside shown and never obeyed; and `reconciler show`, with every format."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.errors import ConfigError
from reconciler.manifest.models import Mode
from reconciler.plan.io import dump_plan, load_plan
from reconciler.plan.model import RISK_LIST_LIMIT, Plan
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.render import FORMATS, render
from reconciler.plan.render_common import human_bytes, printable
from reconciler.plan.render_html import render_html
from reconciler.plan.render_markdown import render_markdown
from reconciler.plan.render_text import render_text

from .helpers import GLOB_LINE, VOLUME, fid, file, job, live, manifests, rule


def mixed_plan() -> Plan:
    """One item of every action, each declared on its own line (42: the blocked one)."""
    rules = [
        rule(fid(1), location="m/{name}", line=5),
        rule(fid(2), mode=Mode.COPY, location="c/{name}", line=10),
        rule(fid(3), overwrite=True, location="r/{name}", line=15),
        rule(fid(4), location="s/{name}", line=20),
        rule(fid(5), location="f/{name}", line=25),
        rule(fid(6), location="b/{name}", line=42),
    ]
    state = live(
        [
            file(1, size=1_200_000_000_000),
            file(2, size=15_000_000_000),
            file(3),
            file(4, alias=(VOLUME, "s/f4.bam")),
            file(5),
        ],
        missing_ids=[fid(6)],
        objects={(VOLUME, "r/f3.bam"): 3},
        jobs=[job("j5", 5, "f/f5.bam")],
    )
    return build_plan(manifests(*rules), state, context=PlanContext("1.0"))


def big_plan(n: int) -> Plan:
    rules = [rule("runs/**/*.bam", kind="glob", location="archive/{path}")]
    files = [file(i, f"runs/r{i % 40}/s{i}.bam", size=1000) for i in range(1, n + 1)]
    return build_plan(manifests(*rules), live(files), context=PlanContext("1.0"))


def flat(text: str) -> str:
    """The text with its wrapping undone (a wrapped line continues after spaces)."""
    return " ".join(text.split())


def test_text_starts_with_the_summary_line() -> None:
    first = render_text(mixed_plan()).splitlines()[0]
    assert first == (
        "Plan: 1 to move (1.2 TB), 1 to copy (15 GB), 1 to replace (100 B), 1 in sync, "
        "1 in flight, 1 blocked"
    )


def test_text_has_a_row_per_declaration_with_what_the_plan_does_with_it() -> None:
    text = render_text(mixed_plan())
    rows = re.findall(r"^  (manifests/a\.yaml:\d+:5) +file 0+(\d) -> (\S+)$", text, re.M)
    assert rows == [
        ("manifests/a.yaml:5:5", "1", "me/vol:m/{name}"),
        ("manifests/a.yaml:10:5", "2", "me/vol:c/{name}"),
        ("manifests/a.yaml:15:5", "3", "me/vol:r/{name}"),
        ("manifests/a.yaml:20:5", "4", "me/vol:s/{name}"),
        ("manifests/a.yaml:25:5", "5", "me/vol:f/{name}"),
        ("manifests/a.yaml:42:5", "6", "me/vol:b/{name}"),
    ]
    # Its mode and what it does, under the selector (the FILE:LINE column is as wide as the
    # widest).
    counts = re.findall(r"^ {24}(\S.*)$", text, re.M)
    assert counts == [
        "[move] 1 to move (1.2 TB)",
        "[copy] 1 to copy (15 GB)",
        "[move, overwrite] 1 to replace (100 B)",
        "[move] 1 in sync",
        "[move] 1 in flight",
        "[move] 1 blocked",
    ]


def test_text_lists_the_risky_items_and_counts_the_rest() -> None:
    text = render_text(mixed_plan())
    assert re.search(r"^ +! data/f1\.bam -> me/vol:m/f1\.bam \(1\.2 TB\)$", text, re.M)
    assert re.search(r"^ +-/\+ data/f3\.bam -> me/vol:r/f3\.bam", text, re.M)
    # The blocked item, wrapped onto two lines: source, reason and where it is declared.
    blocked = r"^    x 0{23}6 -> me/vol:b/\{name\} \(size unknown\): [^\n]*\n {6}\S[^\n]*"
    assert re.search(blocked + r"\[not-found\] at manifests/a\.yaml:42:5$", text, re.M)
    assert "2 destructive item(s)" in text
    replaces = text.index("\nReplaces (1, 100 B): destructive, an object is overwritten:\n")
    moves = text.index("\nMoves (1, 1.2 TB): destructive, the platform copy is deleted:\n")
    assert replaces < moves < text.index("\nBlocked items (1): cannot converge until the")
    # Copies, items in sync and in flight are counts only.
    for quiet in ("data/f2.bam", "data/f4.bam", "data/f5.bam"):
        assert quiet not in text
    assert text.rstrip().splitlines()[-2].startswith("Apply: about")


def test_text_names_the_declaration_the_moves_come_from() -> None:
    text = render_text(big_plan(2000))
    assert text.splitlines()[2] == (
        "Moves (2,000, 2.0 MB) come from manifests/a.yaml:5:5 glob runs/**/*.bam: 2,000 (2.0 MB)"
    )


def test_text_hides_in_sync_items_unless_show_all() -> None:
    assert "data/f4.bam" not in render_text(mixed_plan())
    assert "data/f4.bam" in render_text(mixed_plan(), show_all=True)


def test_text_says_when_there_is_nothing_to_do() -> None:
    plan = build_plan(
        manifests(rule(fid(1))),
        live([file(1, alias=(VOLUME, "out/f1.bam"))]),
        context=PlanContext("1"),
    )
    assert "No changes" in render_text(plan)


def test_text_of_thousands_of_moves_is_a_screenful_and_show_all_lists_each_once() -> None:
    plan = big_plan(2000)
    text = render_text(plan)
    assert len(text.splitlines()) < 50
    assert re.search(
        r"^  manifests/a\.yaml:5:5 glob runs/\*\*/\*\.bam -> me/vol:archive/\{path\}\n"
        r" {23}\[move\] 2,000 to move \(2\.0 MB\)$",
        text,
        re.M,
    )
    assert sum(line.startswith("    ! runs/") for line in text.splitlines()) == RISK_LIST_LIMIT
    assert f"... and {2000 - RISK_LIST_LIMIT:,} more (2.0 MB): --show-all" in text
    assert "1 file" not in text
    every = render_text(plan, show_all=True)
    for item in plan.items:
        assert every.count(f" {item.path} -> me/vol:{item.location} ") == 1
    assert "more" not in every


def test_blocked_items_are_capped_too_with_their_reasons_and_lines() -> None:
    rules = [rule(fid(i), location=f"x/{i}", line=3 * i) for i in range(1, 60)]
    text = render_text(build_plan(manifests(*rules), live(), context=PlanContext("1")))
    blocked = re.findall(r"\[not-found\] at (manifests/a\.yaml:\d+:5)", text)
    assert blocked == [f"manifests/a.yaml:{3 * i}:5" for i in range(1, RISK_LIST_LIMIT + 1)]
    assert f"... and {59 - RISK_LIST_LIMIT} more: --show-all" in text
    # 59 entries by file ID of one manifest are one row, spanning their lines.
    assert "Blocked items (59) come from manifests/a.yaml:3-177 59 file IDs: 59\n" in text


def test_text_shows_text_from_outside_and_never_obeys_it() -> None:
    hostile = "runs/\x1b[2J\x1b]0;owned\x07\u202etxt.exe\r\nx.bam"
    rules = [rule("runs/**", kind="glob", location="{path}", line=GLOB_LINE)]
    plan = build_plan(manifests(*rules), live([file(1, hostile)]), context=PlanContext("1"))
    for text in (render_text(plan), render_text(plan, show_all=True)):
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f\u202e]", text)
        assert printable(hostile) in text
        assert "runs/\\x1b[2J\\x1b]0;owned\\x07\\u202etxt.exe\\r\\nx.bam" in text


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (999, "999 B"), (1000, "1.0 kB"), (15_000_000_000, "15 GB"), (1.2e12, "1.2 TB")],
)
def test_human_bytes(n: int, text: str) -> None:
    assert human_bytes(int(n)) == text


@pytest.mark.parametrize("fmt", ["yaml", "Markdown", "", "txt"])
def test_render_refuses_an_unknown_format(fmt: str) -> None:
    with pytest.raises(ConfigError) as refused:
        render(mixed_plan(), fmt)
    assert str(refused.value) == (
        f"--format {fmt}: not a plan format; use one of text, json, markdown, csv, html"
    )


def test_render_gives_each_known_format() -> None:
    plan = mixed_plan()
    assert render(plan, "text") == render_text(plan)
    assert render(plan, "markdown", show_all=True) == render_markdown(plan, show_all=True)
    assert load_plan(render(plan, "json")) == plan
    assert len(list(csv.reader(io.StringIO(render(plan, "csv"))))) == 1 + len(plan.items)
    assert render(plan, "html") == render_html(plan)
    assert set(FORMATS) == {"text", "json", "markdown", "csv", "html"}


# ---- reconciler show


def test_show_renders_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(dump_plan(mixed_plan()), encoding="utf-8")
    assert main(["show", str(saved)]) == 0
    assert capsys.readouterr().out.startswith("Plan: 1 to move")
    assert main(["show", str(saved), "--format", "markdown"]) == 0
    note = capsys.readouterr().out
    assert note.startswith("### reconciler plan")
    # No full list beside the plan: the note says how to make it.
    assert f"`reconciler show {saved} --format csv` lists them for a spreadsheet" in note
    assert main(["show", str(saved), "--format", "json"]) == 0
    assert load_plan(capsys.readouterr().out) == mixed_plan()
    assert main(["show", str(saved), "--show-all"]) == 0
    assert "data/f4.bam" in capsys.readouterr().out
    assert main(["show", str(saved), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [row["action"] for row in rows] == [str(item.action) for item in mixed_plan().items]


def test_show_names_the_full_list_beside_the_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(dump_plan(mixed_plan()), encoding="utf-8")
    (tmp_path / "plan.csv").write_text(render(mixed_plan(), "csv"), encoding="utf-8")
    assert main(["show", str(saved), "--format", "markdown"]) == 0
    note = capsys.readouterr().out
    assert f"in `{tmp_path / 'plan.csv'}` (it opens in a spreadsheet)" in note
    assert f"`{saved}`" in note


def test_show_refuses_an_edited_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "plan.json"
    text = dump_plan(mixed_plan())
    edited = text.replace('"overwrite":false', '"overwrite":true')
    assert edited != text
    saved.write_text(edited)
    assert main(["show", str(saved)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "edited by hand" in captured.err
    assert "Traceback" not in captured.err


def test_show_refuses_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", str(tmp_path / "nope.json")]) == 1
    assert "cannot read the plan" in capsys.readouterr().err


def test_text_lines_fit_100_columns_and_destinations_stay_whole() -> None:
    long_folder, longer = "deliverables/" + "x" * 50, "archive/" + "y" * 120
    rules = [
        rule(fid(1), location=long_folder + "/{name}", line=3),
        rule(fid(2), mode=Mode.COPY, location=longer + "/{name}", line=6),
        rule(fid(3), location=long_folder + "/{name}", line=9),  # not found: blocked
    ]
    plan = build_plan(manifests(*rules), live([file(1), file(2)]), context=PlanContext("1"))
    for show_all in (False, True):
        lines = render_text(plan, show_all=show_all).splitlines()
        too_long = [line for line in lines if len(line) > 100]
        # Only a destination longer than the width overflows, alone on its line and whole.
        overflowing = {f"-> me/vol:{longer}/f2.bam", f"-> me/vol:{longer}/{{name}}"}
        assert {line.strip() for line in too_long} <= overflowing, too_long
        assert any(line.startswith("Legend: + copy,") for line in lines)
    lines = render_text(plan).splitlines()
    moved = f"me/vol:{long_folder}/f1.bam"
    assert sum(moved in line for line in lines) == 1
    assert sum(f"me/vol:{long_folder}/{{name}}" in line for line in lines) == 3  # rows, blocked


def test_several_parts_count_their_own_items() -> None:
    rules = [
        rule(fid(1), line=3),
        rule(fid(2), project="me/other", mode=Mode.COPY, line=6, manifest="manifests/b.yaml"),
    ]
    plan = build_plan(
        manifests(*rules),
        live([file(1), file(2, project="me/other")]),
        context=PlanContext("1", endpoint="https://api.example/v2"),
    )
    text = render_text(plan)
    assert "== aws-us, project me/proj: 1 to move (100 B)\n   at https://api.example/v2\n" in text
    assert "== aws-us, project me/other: 1 to copy (100 B)\n   at https://api.example/v2\n" in text
    parts = text[text.index("\n== ") :]
    assert parts.index("project me/proj") < parts.index("manifests/a.yaml:3:5")
    assert parts.index("manifests/a.yaml:3:5") < parts.index("project me/other")
    assert parts.index("project me/other") < parts.index("manifests/b.yaml:6:5")
    # A plan made without endpoints (in tests) still has its parts.
    assert "== aws-us, project me/other: 1 to copy" in render_text(
        dataclasses.replace(plan, platforms=())
    )
