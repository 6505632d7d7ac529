"""`resolve_all`: the manifests resolved once against the files read, and `build_plan` deciding
on that resolution without resolving again."""

from __future__ import annotations

import pytest

from reconciler.plan import planner
from reconciler.plan.model import BlockedReason
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.resolve import Desired, Resolution, Unresolved, resolve_all
from tests.plan.helpers import fid, file, live, manifests, rule

CONTEXT = PlanContext(tool_version="test")


def test_items_in_declaration_order_with_their_rendered_locations() -> None:
    state = live([file(1, "a/x.bam"), file(2, "a/y.bam"), file(3, "b/z.bam")])
    rules = [
        rule("a/*.bam", kind="glob", location="g/{parent}/{name}"),
        rule(fid(3), location="id/{path}"),
        rule("b/z.bam", kind="path", location="p/{stem}"),
    ]
    resolution = resolve_all(rules, state)
    assert [(type(i).__name__, i.file and i.file.id, i.location) for i in resolution.items] == [
        ("Desired", fid(1), "g/a/x.bam"),
        ("Desired", fid(2), "g/a/y.bam"),
        ("Desired", fid(3), "id/b/z.bam"),
        ("Desired", fid(3), "p/z"),
    ]
    assert resolution.passed_over == frozenset()


def test_a_file_of_another_project_is_unresolved_with_its_location_rendered() -> None:
    other = file(4, "o/w.bam", project="me/other")
    resolution = resolve_all([rule(fid(4), location="x/{name}")], live([other]))
    (item,) = resolution.items
    assert isinstance(item, Unresolved) and item.reason is BlockedReason.NOT_IN_PROJECT
    assert item.file == other and item.location == "x/w.bam"
    plan = build_plan(manifests(rule(fid(4), location="x/{name}")), live([other]), context=CONTEXT)
    assert plan.items[0].destination.location == "x/w.bam"


def test_files_a_selector_names_but_no_item_holds_are_passed_over() -> None:
    kept = file(1, "a/x.bam", tags=["keep"])
    dropped = file(2, "a/y.bam")
    elsewhere = file(3, "o/z.bam", project="me/gone")
    state = live([kept, dropped], by_id=[elsewhere], missing_projects=["me/gone"])
    resolution = resolve_all(
        [
            rule("a/*.bam", kind="glob", where_tags=["keep"]),
            rule(fid(3), project="me/gone"),
        ],
        state,
    )
    assert [i.file.id for i in resolution.items if isinstance(i, Desired)] == [fid(1)]
    assert resolution.passed_over == {fid(2), fid(3)}
    assert resolution.declared() == {fid(1), fid(2), fid(3)}


def test_build_plan_decides_on_the_resolution_it_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = live([file(1, "a/x.bam"), file(2, "a/y.bam")])
    declared = manifests(rule("a/*.bam", kind="glob"))
    resolution = resolve_all(declared.rules, state)
    expected = build_plan(declared, state, context=CONTEXT)

    def resolve_again(*_args: object) -> Resolution:
        raise AssertionError("resolved a second time")

    monkeypatch.setattr(planner, "resolve_all", resolve_again)
    assert build_plan(declared, state, context=CONTEXT, resolution=resolution) == expected
    # Only the resolution says which files are desired: the live state is not read for it.
    only_first = Resolution(resolution.items[:1])
    plan = build_plan(declared, state, context=CONTEXT, resolution=only_first)
    assert [i.source.file_id for i in plan.items] == [fid(1)]


def test_resolving_reads_no_object() -> None:
    """The reader resolves before the destinations are read: objects must not matter."""
    files = [file(1, "a/x.bam")]
    before = live(files)
    after = live(files, objects={("me/vol", "out/x.bam"): 100})
    rules = [rule("a/*.bam", kind="glob"), rule(fid(1), location="{path}")]
    assert resolve_all(rules, before) == resolve_all(rules, after)
