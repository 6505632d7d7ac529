"""The Markdown note: the same review as the text (summary, a row per declaration, the capped
risk lists), the declarations the moves come from, where the full list is; and text from
manifests or the platform is text, never markup, checked by rendering the note to HTML with a
CommonMark parser, as GitLab does."""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reconciler.manifest.models import ExportRule, Mode
from reconciler.plan.markdown_note import code
from reconciler.plan.model import Plan, UnmanagedAlias
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.render_common import printable, summary_line
from reconciler.plan.render_markdown import MAX_NOTE_CHARS, Artifacts, render_markdown
from reconciler.plan.render_review import risk_title, row_counts, row_how
from reconciler.plan.render_text import render_text

from .helpers import VOLUME, fid, file, live, manifests, rule
from .test_render import big_plan, flat, mixed_plan

SAVED = Artifacts("plan.json", "plan.csv")
# What a note may contain once rendered: ours, and nothing a file name could add.
OUR_TAGS = {"h3", "h4", "p", "strong", "code", "ul", "li", "details", "summary", "hr", "sub"}


class Rendered(HTMLParser):
    """A note rendered to HTML: its tags, and its text inside and outside code elements."""

    def __init__(self, note: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.inside: list[str] = []
        self.outside: list[str] = []
        self._code = 0
        self.feed(MarkdownIt("commonmark", {"html": True}).render(note))
        self.close()

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.tags.append(tag)
        self._code += tag == "code"

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")
        self._code -= tag == "code"

    def handle_data(self, data: str) -> None:
        (self.inside if self._code else self.outside).append(data)


def test_note_leads_with_the_summary_then_rows_then_the_risky_items() -> None:
    note = render_markdown(mixed_plan(), artifacts=SAVED)
    assert note.startswith("### reconciler plan\n\n**Plan: 1 to move (1.2 TB), 1 to copy (15 GB)")
    order = [
        "#### Declarations (6)",
        "#### :warning: Replaces (1, 100 B): destructive, an object is overwritten\n",
        "#### :warning: Moves (1, 1.2 TB): destructive, the platform copy is deleted\n",
        "#### :no_entry: Blocked items (1): cannot converge until the manifest or the platform",
    ]
    assert [note.index(title) for title in order] == sorted(note.index(t) for t in order)
    assert "- `manifests/a.yaml:10:5` `file 000000000000000000000002` → `me/vol:c/{name}` " in note
    assert "(`copy`): **1 to copy (15 GB)**" in note
    assert "- `!` `data/f1.bam` → `me/vol:m/f1.bam` (1.2 TB)\n" in note
    assert "**not-found** `file 000000000000000000000006 not found" in note
    assert "at `manifests/a.yaml:42:5`" in note
    # Copies, items in sync and in flight are counted, not listed.
    assert "data/f2.bam" not in note and "data/f4.bam" not in note
    assert Rendered(note).tags.count("details") == 0


def test_note_for_10000_moves_names_their_glob_and_the_full_list() -> None:
    plan = big_plan(10_000)
    note = render_markdown(plan, artifacts=SAVED)
    assert len(note) < MAX_NOTE_CHARS
    assert (
        ":warning: **Moves (10,000, 10 MB) come from** `manifests/a.yaml:5:5` "
        "`glob runs/**/*.bam` → `me/vol:archive/{path}`: 10,000 (10 MB)\n"
    ) in note
    assert "\n… and 9,975 more: `plan.csv` lists every item.\n" in note
    assert "in `plan.csv` (it opens in a spreadsheet), beside the plan that apply runs, " in note
    assert f"plan digest `{plan.digest}`" in note
    assert note.count("\n- `!` ") == 25


def test_note_without_a_saved_plan_says_how_to_get_the_full_list() -> None:
    note = render_markdown(big_plan(100))
    assert "`reconciler plan --out plan.json` also lists every item in `plan.csv`" in note


def test_show_all_lists_every_item_that_fits_and_counts_the_rest() -> None:
    plan = big_plan(3000)
    note = render_markdown(plan, show_all=True, artifacts=SAVED)
    assert len(note) < MAX_NOTE_CHARS
    listed = note[note.index("<summary>Every item (3,000)</summary>") :]
    shown = listed.count("\n- `!` ")
    assert f"\n… and {3000 - shown:,} more items: `plan.csv` lists every item.\n" in listed
    assert shown > 200
    assert Rendered(note).tags.count("details") == Rendered(note).tags.count("/details") == 1


HOSTILE = [
    "h/</details><script>alert(1)</script>.bam",
    "h/a`b``c```.bam",
    "h/x|y||z.bam",
    "h/line\nbreak.bam",
    "h/cr\rhere\u2028sep.bam",
    "h/@all #1 !2 ~bug :warning: [x](javascript:alert(1)) <img src=x onerror=alert(1)> "
    "**b** _i_ $`a`$ {+ins+} &amp; &lt;.bam",
    "h/`` ` ends with backticks ` ``",
    "h/ spaced .bam ",
    "h/back\\|slash\\`.bam",
    "h/\u202egnp.exe",
]
# What only a hostile name holds: none of it may be read outside a code element.
MARKERS = ["alert(1)", "@all", "javascript", "onerror", "{+ins+}", "~bug", "&amp;", "<script"]


def hostile_plan() -> Plan:
    rules = [
        rule("h/**", kind="glob", location="{path}", line=3),
        rule("h/**", kind="glob", location="copy/{path}", mode=Mode.COPY, line=9),
        rule("nope/<b>`x`|</details>\n.bam", kind="path", location="p/{name}", line=15),
    ]
    files = [file(n, name) for n, name in enumerate(HOSTILE, start=1)]
    files.append(file(99, "h/</details>folder", folder=True))
    plan = build_plan(manifests(*rules), live(files), context=PlanContext("1"))
    alias = UnmanagedAlias(fid(7), "lab/p", HOSTILE[0], VOLUME, HOSTILE[5], None, "aws-us")
    return dataclasses.replace(plan, unmanaged_aliases=(alias,))


def test_text_from_manifests_and_the_platform_is_never_markup() -> None:
    plan = hostile_plan()
    for note in (
        render_markdown(plan, artifacts=Artifacts("pl`an</details>.json", "x\n<b>.csv")),
        render_markdown(plan, show_all=True),
    ):
        html = Rendered(note)
        assert set(html.tags) - {f"/{tag}" for tag in OUR_TAGS} <= OUR_TAGS, html.tags
        assert html.tags.count("details") == html.tags.count("/details")
        for marker in MARKERS:
            assert not any(marker in text for text in html.outside), marker
        for name in HOSTILE:
            assert any(printable(name.strip()) in text for text in html.inside), name
        # Only our own lines start with a tag: none of a file name's.
        starts = {line.split(">")[0] for line in note.splitlines() if line.startswith("<")}
        assert starts <= {"<details", "</details", "<sub"}, starts


def test_a_code_span_holds_any_text() -> None:
    for text in ["`", "``a", "a`", " a", "a ", "|", "a\\", "```x````", "<b>", ""]:
        [inside] = Rendered(f"- {code(text)}\n").inside or [""]
        assert inside == (printable(text) or " ")


def test_long_text_is_cut_in_the_note_and_says_how_much() -> None:
    span = code("x" * 5000, limit=100)
    assert span == f"`{'x' * 100}…` (+4900 characters)"


def test_the_closing_lines_fit_whatever_the_plan_says_of_itself() -> None:
    plan = dataclasses.replace(
        big_plan(10), tool_version="v" * 100_000, manifests_commit="c" * 100_000
    )
    note = render_markdown(plan, artifacts=Artifacts("p" * 100_000, "q" * 100_000))
    assert len(note) < MAX_NOTE_CHARS
    assert note.rstrip().endswith("</sub>")


# ---- the note agrees with the text and with the plan's review data


def assert_agree(plan: Plan) -> None:
    text, note = flat(render_text(plan)), render_markdown(plan, artifacts=SAVED)
    assert text.startswith(summary_line(plan))
    assert f"**{summary_line(plan)}**" in note
    for row in plan.declarations:
        selector = f"{row.declared_at} {row.selector} -> {row.volume}:{row.location}"
        assert f"{selector} [{row_how(row)}] {row_counts(row)}" in text
        assert (
            f"- {code(row.declared_at)} {code(row.selector)} → "
            f"{code(f'{row.volume}:{row.location}')} ({code(row_how(row))}): "
            f"**{row_counts(row)}**"
        ) in note
    rows = [line for line in note.splitlines() if line.startswith("- `manifests/")]
    assert len(rows) == len(plan.declarations)
    for risk in plan.risks:
        if risk.count:
            assert risk_title(risk) in text and risk_title(risk) in note
    shown = sum(len(risk.shown) for risk in plan.risks)
    assert sum(line.startswith("- `") for line in note.splitlines()) == len(rows) + shown


def test_mixed_plan_agrees() -> None:
    assert_agree(mixed_plan())


KINDS = st.sampled_from(["glob", "file", "path"])


@st.composite
def small_plans(draw: st.DrawFn) -> Plan:
    count = draw(st.integers(1, 8))
    files = [
        file(n, f"d{n % 3}/f{n}.bam", size=draw(st.sampled_from([None, 1, 10**9])))
        for n in range(1, count + 1)
        if draw(st.booleans())
    ]
    rules: list[ExportRule] = []
    for index in range(draw(st.integers(1, 7))):
        kind = draw(KINDS)
        n = draw(st.integers(1, count))
        selector = {"glob": f"d{n % 3}/*", "file": fid(n), "path": f"d{n % 3}/f{n}.bam"}[kind]
        rules.append(
            rule(
                selector,
                kind=kind,
                location=draw(st.sampled_from(["{path}", "same", f"k{index}/{{name}}"])),
                mode=draw(st.sampled_from(Mode)),
                overwrite=draw(st.booleans()),
                allow_empty=kind == "glob" and draw(st.booleans()),
                line=3 * index + 2,
            )
        )
    objects = {(VOLUME, f"d{n % 3}/f{n}.bam"): draw(st.sampled_from([1, 5])) for n in (1, 2)}
    return build_plan(manifests(*rules), live(files, objects=objects), context=PlanContext("1"))


@settings(max_examples=60, deadline=None)
@given(small_plans())
def test_text_and_note_show_the_plans_own_review(plan: Plan) -> None:
    assert_agree(plan)
