"""`planner.combine`: one plan of several platforms' plans, sealed anew, that saves, loads and
renders as one (pure: hand-built manifests and live states)."""

from __future__ import annotations

import dataclasses

from reconciler.manifest.models import Guards
from reconciler.plan.io import dump_plan, load_plan
from reconciler.plan.model import Action, PlatformTarget
from reconciler.plan.planner import PlanContext, build_plan, combine
from reconciler.plan.render_text import render_text

from .helpers import fid, file, live, manifests, rule


def test_combined_plan_keeps_each_platform_and_adds_up() -> None:
    whole = manifests(
        rule(fid(1), manifest="m/cgc.yaml"),
        rule(fid(2), manifest="m/cav.yaml"),
        guards=Guards(max_moves=7),
    )
    state = live([file(1), file(2)])
    plans = [
        build_plan(
            dataclasses.replace(whole, manifests=(m,)),
            state,
            context=PlanContext("t", endpoint=f"https://{name}/v2", platform=name),
        )
        for name, m in zip(("cgc", "cavatica"), whole.manifests, strict=True)
    ]

    plan = combine(plans, whole)

    assert plan.platforms == (
        PlatformTarget("cgc", "https://cgc/v2"),
        PlatformTarget("cavatica", "https://cavatica/v2"),
    )
    assert [(i.platform, i.source.file_id) for i in plan.items] == [
        ("cgc", fid(1)),
        ("cavatica", fid(2)),
    ]
    assert plan.count(Action.MOVE) == 2 and plan.destructive_count == 2
    assert plan.manifests_digest == whole.digest and plan.guards.max_moves == 7
    assert plan.apply_estimate.create_calls == 2
    assert load_plan(dump_plan(plan)) == plan  # sealed: the digest covers both platforms
    text = render_text(plan)
    assert text.index("== cgc, project") < text.index("== cavatica, project")
    assert "   at https://cgc/v2\n" in text and "   at https://cavatica/v2\n" in text


def test_one_platform_is_its_own_plan() -> None:
    whole = manifests(rule(fid(1)))
    plan = build_plan(whole, live([file(1)]), context=PlanContext("t"))
    assert combine([plan], whole) is plan


def test_the_risk_lists_of_a_combined_plan_say_which_platform_each_item_is_on() -> None:
    whole = manifests(rule(fid(1), manifest="m/cgc.yaml"), rule(fid(2), manifest="m/cav.yaml"))
    state = live([file(1), file(2)])
    plans = [
        build_plan(
            dataclasses.replace(whole, manifests=(m,)),
            state,
            context=PlanContext("t", endpoint=f"https://{name}/v2", platform=name),
        )
        for name, m in zip(("cgc", "cavatica"), whole.manifests, strict=True)
    ]

    plan = combine(plans, whole)

    moves = next(risk for risk in plan.risks if risk.action is Action.MOVE)
    assert [(e.platform, e.project) for e in moves.shown] == [
        ("cgc", "me/proj"),
        ("cavatica", "me/proj"),
    ]
    text = render_text(plan)
    assert "! cgc me/proj: data/f1.bam -> me/vol:out/f1.bam" in text
    assert "! cavatica me/proj: data/f2.bam -> me/vol:out/f2.bam" in text
