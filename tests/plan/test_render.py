"""Renderers: the summary line, markers, blocked items always shown, collapsing at scale, the
Markdown size cap; and `reconciler show`."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from reconciler.cli import main
from reconciler.errors import ConfigError
from reconciler.manifest.models import Mode
from reconciler.plan.io import dump_plan, load_plan
from reconciler.plan.model import Plan, UnmanagedAlias
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.render import FORMATS, render
from reconciler.plan.render_common import human_bytes
from reconciler.plan.render_markdown import render_markdown
from reconciler.plan.render_text import render_text

from .helpers import VOLUME, fid, file, job, live, manifests, rule


def mixed_plan() -> Plan:
    rules = [
        rule(fid(1), location="m/{name}"),
        rule(fid(2), mode=Mode.COPY, location="c/{name}"),
        rule(fid(3), overwrite=True, location="r/{name}"),
        rule(fid(4), location="s/{name}"),
        rule(fid(5), location="f/{name}"),
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


def test_text_starts_with_the_summary_line() -> None:
    first = render_text(mixed_plan()).splitlines()[0]
    assert first == (
        "Plan: 1 to move (1.2 TB), 1 to copy (15 GB), 1 to replace (100 B), 1 in sync, "
        "1 in flight, 1 blocked"
    )


def test_text_marks_destructive_items_and_lists_blocked_with_reason() -> None:
    text = render_text(mixed_plan())
    assert re.search(r"^ +! data/f1\.bam -> me/vol:m/f1\.bam", text, re.M)
    assert re.search(r"^ +-/\+ data/f3\.bam -> me/vol:r/f3\.bam", text, re.M)
    assert re.search(r"^ +\+ data/f2\.bam", text, re.M)
    # The blocked item, wrapped onto two lines: source, reason and where it is declared.
    blocked = r"^    x 0{23}6 -> me/vol:b/\{name\} \(size unknown\): [^\n]*\n {6}\S[^\n]*"
    assert re.search(blocked + r"\[not-found\] at manifests/a\.yaml:42:5$", text, re.M)
    assert "2 destructive item(s)" in text
    assert text.rstrip().splitlines()[-2].startswith("Apply: about")


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


def test_text_collapses_large_groups_per_folder() -> None:
    plan = big_plan(2000)
    text = render_text(plan)
    assert len(text.splitlines()) < 60
    assert "2000 files (2.0 MB) to me/vol" in text
    assert re.search(r"^ +50 files +50 kB  me/vol:archive/runs/r0/$", text, re.M)
    full = render_text(plan, show_all=True)
    assert len(full.splitlines()) > 2000


def test_text_collapse_caps_the_number_of_folder_lines() -> None:
    rules = [rule("**/*.bam", kind="glob", location="{path}")]
    files = [file(i, f"d{i}/s.bam") for i in range(1, 301)]
    text = render_text(build_plan(manifests(*rules), live(files), context=PlanContext("1")))
    assert "in 250 more folders" in text
    assert len(text.splitlines()) < 70


def test_blocked_items_are_never_collapsed() -> None:
    rules = [rule(fid(i), location=f"x/{i}") for i in range(1, 60)]
    text = render_text(build_plan(manifests(*rules), live(), context=PlanContext("1")))
    assert sum("[not-found]" in line for line in text.splitlines()) == 59


def test_markdown_puts_destructive_items_before_copies() -> None:
    md = render_markdown(mixed_plan())
    assert md.startswith("### reconciler plan")
    assert md.index("Blocked") < md.index("To replace") < md.index("To move") < md.index("To copy")
    assert "| `!` | `data/f1.bam` | `me/vol:m/f1.bam` | 1.2 TB |" in md
    assert "**not-found**" in md


def test_markdown_folds_long_lists_and_stays_under_the_cap() -> None:
    plan = big_plan(3000)
    md = render_markdown(plan, max_chars=50_000)
    assert len(md) <= 50_000
    assert "<details><summary>To move" in md  # many moves: folded, with a folder table first
    assert "| `me/vol:archive/runs/r0/` | 75 | 75 kB |" in md
    match = re.search(r"\*\*(\d+) more items: see the JSON artifact\*\*", md)
    assert match is not None
    shown = md.count("| `!` |")
    assert shown + int(match.group(1)) == 3000
    assert md.count("<details") == md.count("</details>")


def test_markdown_default_cap_fits_a_gitlab_note() -> None:
    md = render_markdown(big_plan(20_000))
    assert len(md) <= 900_000
    assert "more items: see the JSON artifact" in md


def test_markdown_escapes_table_cells() -> None:
    plan = build_plan(
        manifests(rule("a|b.bam", kind="path", location="x")),
        live([file(1, "a|b.bam")]),
        context=PlanContext("1"),
    )
    assert "`a\\|b.bam`" in render_markdown(plan)


def test_markdown_keeps_an_unmanaged_aliass_name_inside_its_code_span() -> None:
    plan = dataclasses.replace(
        mixed_plan(),
        unmanaged_aliases=(
            UnmanagedAlias(
                file_id=fid(9),
                project="lab/p",
                path="x`<img src=y>`.bam",
                volume=VOLUME,
                location="old/x`.bam",
                size=None,
                platform="aws-us",
            ),
        ),
    )
    note = render_markdown(plan)
    assert "`lab/p:x'<img src=y>'.bam` → " in note
    assert f"`{VOLUME}:old/x'.bam`" in note


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
        f"--format {fmt}: not a plan format; use one of text, json, markdown"
    )


def test_render_gives_each_known_format() -> None:
    plan = mixed_plan()
    assert render(plan, "text") == render_text(plan)
    assert render(plan, "markdown", show_all=True) == render_markdown(plan, show_all=True)
    assert load_plan(render(plan, "json")) == plan
    assert set(FORMATS) == {"text", "json", "markdown"}


# ---- reconciler show


def test_show_renders_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(dump_plan(mixed_plan()), encoding="utf-8")
    assert main(["show", str(saved)]) == 0
    assert capsys.readouterr().out.startswith("Plan: 1 to move")
    assert main(["show", str(saved), "--format", "markdown"]) == 0
    assert capsys.readouterr().out.startswith("### reconciler plan")
    assert main(["show", str(saved), "--format", "json"]) == 0
    assert load_plan(capsys.readouterr().out) == mixed_plan()
    assert main(["show", str(saved), "--show-all"]) == 0
    assert "data/f4.bam" in capsys.readouterr().out


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
        rule(fid(1), location=long_folder + "/{name}"),
        rule(fid(2), mode=Mode.COPY, location=longer + "/{name}"),
        rule(fid(3), location=long_folder + "/{name}", line=9),  # not found: blocked
    ]
    plan = build_plan(manifests(*rules), live([file(1), file(2)]), context=PlanContext("1"))
    lines = render_text(plan).splitlines()
    too_long = [line for line in lines if len(line) > 100]
    # Only a destination longer than the width overflows, alone on its line and whole.
    assert [line.strip() for line in too_long] == [f"-> me/vol:{longer}/f2.bam"]
    for destination in (f"me/vol:{long_folder}/f1.bam", f"me/vol:{long_folder}/{{name}}"):
        assert sum(destination in line for line in lines) == 1
    assert any(line.startswith("Legend: + copy,") for line in lines)
