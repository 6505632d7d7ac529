"""Fingerprints: they change with the live state an item depends on, and only with it; apply
can recompute them from a fresh live state."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.core.live import LiveFile, LiveState
from reconciler.manifest.models import ExportRule, Mode
from reconciler.manifest.placeholders import render_location
from reconciler.plan.fingerprint import item_fingerprint
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.resolve import location_for

from .helpers import VOLUME, fid, file, job, live, manifests, rule

DEST = "out/f1.bam"


def fingerprint_in(state: LiveState) -> str:
    plan = build_plan(manifests(rule(fid(1))), state, context=PlanContext("t"))
    return plan.items[0].fingerprint


BASE = live([file(1)])


@pytest.mark.parametrize(
    ("name", "changed"),
    [
        ("size", live([file(1, size=101)])),
        ("modified_on", live([file(1, modified_on="2025-01-01T00:00:00Z")])),
        ("became an alias", live([file(1, alias=(VOLUME, DEST))])),
        ("object appeared", live([file(1)], objects={(VOLUME, DEST): 5})),
        ("a job for the file", live([file(1)], jobs=[job("j1", 1, "elsewhere")])),
        ("a job for the destination", live([file(1), file(2)], jobs=[job("j2", 2, DEST)])),
        ("file gone", live(missing_ids=[fid(1)])),
    ],
)
def test_fingerprint_changes_with_the_live_state(name: str, changed: LiveState) -> None:
    assert fingerprint_in(changed) != fingerprint_in(BASE), name


@pytest.mark.parametrize(
    ("name", "same"),
    [
        ("destination checked and empty", live([file(1)], objects={(VOLUME, DEST): None})),
        ("an unrelated object", live([file(1)], objects={(VOLUME, "other"): 5})),
        ("an unrelated job", live([file(1), file(2)], jobs=[job("j9", 2, "other")])),
        ("the file's metadata", live([file(1, tags=["new"])])),
    ],
)
def test_fingerprint_ignores_what_the_decision_does_not_depend_on(
    name: str, same: LiveState
) -> None:
    assert fingerprint_in(same) == fingerprint_in(BASE), name


def test_a_job_going_from_pending_to_running_keeps_the_fingerprint() -> None:
    pending = live([file(1)], jobs=[job("j1", 1, DEST, state="PENDING")])
    running = live([file(1)], jobs=[job("j1", 1, DEST, state="RUNNING")])
    assert fingerprint_in(pending) == fingerprint_in(running)


def test_apply_recomputes_the_same_fingerprint_from_a_fresh_state() -> None:
    rules = (rule("data/*.bam", kind="glob"), rule(fid(5), location="x"))
    planned = live([file(1), file(2), file(5)], jobs=[job("j", 2, "out/f2.bam")])
    plan = build_plan(manifests(*rules), planned, context=PlanContext("t"))
    # apply reads files by ID only, not by path
    fresh = live(by_id=[file(1), file(2), file(5)], jobs=[job("j", 2, "out/f2.bam")])
    for item in plan.items:
        again = item_fingerprint(
            fresh,
            file_id=item.source.file_id,
            project=item.source.project,
            path=item.source.path,
            volume=item.destination.volume,
            location=item.destination.location,
            mode=item.mode,
        )
        assert again == item.fingerprint
    changed = live(by_id=[file(1, size=1), file(2), file(5)])
    first = plan.items[0]
    assert first.fingerprint != item_fingerprint(
        changed,
        file_id=first.source.file_id,
        project=first.source.project,
        path=first.source.path,
        volume=first.destination.volume,
        location=first.destination.location,
        mode=first.mode,
    )


_SEGMENT = st.text(alphabet="ab.-_é", min_size=0, max_size=6)
_TEMPLATE_PART = st.sampled_from(
    ["{name}", "{stem}", "{ext}", "{path}", "{parent}", "{id}", "/", "x", "a.b", "", "//"]
)


@given(
    st.lists(_TEMPLATE_PART, min_size=1, max_size=6).map("".join),
    st.lists(_SEGMENT, min_size=1, max_size=4).map("/".join),
)
def test_compiled_location_renderer_matches_the_reference(template: str, path: str) -> None:
    assert location_for(template, file(1, path)) == render_location(
        template, path=path or file(1, path).name, file_id=fid(1)
    )


@pytest.mark.parametrize(
    ("name", "declared", "files"),
    [
        ("a folder", rule("data", kind="path", location="fixed"), [file(1, "data", folder=True)]),
        ("a move of an alias", rule(fid(1), location="fixed"), [file(1, alias=(VOLUME, "x"))]),
        ("no file resolved", rule("nope.bam", kind="path", location="fixed"), [file(1)]),
    ],
)
def test_an_object_the_decision_does_not_depend_on_is_not_fingerprinted(
    name: str, declared: ExportRule, files: list[LiveFile]
) -> None:
    """The live reader does not read such destinations: were they fingerprinted, an object
    read for another item, or a complete reading, would change the fingerprint."""
    plans = [
        build_plan(manifests(declared), live(files, objects=objects), context=PlanContext("t"))
        for objects in ({}, {(VOLUME, "fixed"): 5})
    ]
    assert plans[0].items[0].fingerprint == plans[1].items[0].fingerprint, name
    copy = dataclasses.replace(declared, mode=Mode.COPY)
    if declared.kind == "file":  # a copy of an alias is in sync when an object of its size is there
        copies = [
            build_plan(manifests(copy), live(files, objects=objects), context=PlanContext("t"))
            for objects in ({}, {(VOLUME, "fixed"): 100})
        ]
        assert copies[0].items[0].fingerprint != copies[1].items[0].fingerprint
