"""`plan.replan`: an item decided again on a fresh reading of just its file, destination and
jobs must come out exactly as the planner made it when nothing changed (plan and apply agree),
and differently, with a fingerprint that says so, when something did."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.apply.outcome import Result
from reconciler.apply.select import judge_reviewed, judge_saved
from reconciler.manifest.models import Mode
from reconciler.plan.fingerprint import JobIndex
from reconciler.plan.model import Action, BlockedReason, PlanItem, ReasonCode
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.replan import replan

from .helpers import VOLUME, fid, file, job, live, manifests, rule

CONTEXT = PlanContext("1.0")


def to_read(items: tuple[PlanItem, ...]) -> list[PlanItem]:
    """What apply --plan reads again: exports to send, and items whose own job runs."""
    return [
        i
        for i in items
        if i.submits or (i.action is Action.IN_FLIGHT and i.reason_code is ReasonCode.JOB_ACTIVE)
    ]


@st.composite
def worlds(draw: st.DrawFn) -> tuple[object, object]:
    count = draw(st.integers(1, 6))
    files, rules, objects, jobs = [], [], {}, []
    for n in range(1, count + 1):
        alias = draw(st.sampled_from([None, (VOLUME, f"out/f{n}.bam"), (VOLUME, "elsewhere")]))
        files.append(file(n, size=draw(st.sampled_from([100, 200])), alias=alias))
        mode = draw(st.sampled_from(list(Mode)))
        location = f"out/f{n}.bam" if mode is Mode.MOVE else f"copies/f{n}.bam"
        rules.append(
            rule(fid(n), location=location, mode=mode, overwrite=draw(st.booleans()), line=n)
        )
        held = draw(st.sampled_from([None, 100, 200]))
        if held is not None:
            objects[(VOLUME, location)] = held
        if draw(st.booleans()):
            jobs.append(
                job(f"j{n}", n, location, state=draw(st.sampled_from(["PENDING", "RUNNING"])))
            )
    return manifests(*rules), live(files, objects=objects, jobs=jobs)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(worlds())
@pytest.mark.slow
def test_nothing_changed_means_the_same_items(world: tuple[object, object]) -> None:
    declared, state = world
    plan = build_plan(declared, state, context=CONTEXT)  # type: ignore[arg-type]
    wanted = to_read(plan.items)
    fresh = replan([(i, i.settings) for i in wanted], state, JobIndex.of(state))  # type: ignore[arg-type]
    assert fresh == wanted
    assert all(judge_saved(w, f).result is None for w, f in zip(wanted, fresh, strict=True))


def test_a_file_gone_is_blocked_and_stale() -> None:
    state = live([file(1)])
    (item,) = build_plan(manifests(rule(fid(1))), state, context=CONTEXT).items
    gone = live([], missing_ids=[fid(1)])
    (fresh,) = replan([(item, item.settings)], gone, JobIndex.of(gone))
    assert (fresh.action, fresh.reason_code) == (Action.BLOCKED, BlockedReason.NOT_FOUND)
    assert judge_saved(item, fresh).result is Result.STALE


def test_a_renamed_or_moved_file_has_another_fingerprint() -> None:
    state = live([file(1)])
    (item,) = build_plan(manifests(rule(fid(1))), state, context=CONTEXT).items
    for changed in (
        dataclasses.replace(file(1), name="other.bam"),
        dataclasses.replace(file(1), parent="another-folder"),
    ):
        now = live([changed])
        (fresh,) = replan([(item, item.settings)], now, JobIndex.of(now))
        assert fresh.action is Action.MOVE and fresh.fingerprint != item.fingerprint
        verdict = judge_saved(item, fresh)
        assert verdict.result is Result.STALE
        assert "the live state changed since the plan" in (verdict.error or "")


def test_an_object_written_meanwhile_is_stale_not_overwritten() -> None:
    state = live([file(1)])
    (item,) = build_plan(manifests(rule(fid(1))), state, context=CONTEXT).items
    now = live([file(1)], objects={(VOLUME, item.location): 5})
    (fresh,) = replan([(item, item.settings)], now, JobIndex.of(now))
    assert fresh.action is Action.BLOCKED
    assert judge_saved(item, fresh).result is Result.STALE


def test_a_job_sent_meanwhile_is_watched_not_sent_again() -> None:
    state = live([file(1)])
    (item,) = build_plan(manifests(rule(fid(1))), state, context=CONTEXT).items
    now = live([file(1)], jobs=[job("j1", 1, item.location)])
    (fresh,) = replan([(item, item.settings)], now, JobIndex.of(now))
    assert (fresh.action, fresh.job_id) == (Action.IN_FLIGHT, "j1")
    assert judge_saved(item, fresh).result is None  # act on it: watch the job


def test_a_reviewed_export_is_sent_only_while_it_is_the_same_export() -> None:
    state = live([file(1)])
    (item,) = build_plan(manifests(rule(fid(1))), state, context=CONTEXT).items
    assert judge_reviewed(item, item).result is None
    assert judge_reviewed(item, None).result is Result.STALE
    assert judge_reviewed(item, None, declared_otherwise=True).result is Result.NOT_REVIEWED
    replace_now = dataclasses.replace(item, action=Action.REPLACE)
    assert judge_reviewed(item, replace_now).result is Result.NOT_REVIEWED
