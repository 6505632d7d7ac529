"""A few plans from the real loader and the committed example manifests (the tables build
their rules by hand; this checks the two halves fit)."""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.core.live import LiveFile
from reconciler.manifest.load import load_manifests
from reconciler.manifest.models import Mode
from reconciler.plan.exit_codes import plan_exit_code
from reconciler.plan.io import dump_plan, load_plan
from reconciler.plan.model import Action
from reconciler.plan.planner import PlanContext, build_plan

from .helpers import file, live, volume

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "rfranklin/rna-seq"
VOLUME = "rfranklin/output"


def results_files() -> list[LiveFile]:
    return [
        file(1, "results/sample1/s1.bam", project=PROJECT, size=5_000),
        file(2, "results/sample1/s1.bam.bai", project=PROJECT, size=50),
        file(3, "results/sample1/s1.vcf.gz", project=PROJECT, tags=["final"]),
        file(4, "results/sample1/draft.vcf.gz", project=PROJECT),
        file(5, "results/sample1/counts.tsv", project=PROJECT, metadata={"sample_type": "tumor"}),
        file(6, "results/tmp/counts.tsv", project=PROJECT, metadata={"sample_type": "tumor"}),
        file(7, "results/sample2/counts.tsv", project=PROJECT, metadata={"sample_type": "normal"}),
    ]


def test_results_manifest_plans_then_converges() -> None:
    manifests = load_manifests([ROOT / "manifests" / "results.yaml"], root=ROOT)
    state = live(results_files(), volumes=[volume(VOLUME)])
    plan = build_plan(manifests, state, context=PlanContext("t"))
    got = {
        (i.source.path, i.destination.location): (i.action, i.mode)
        for i in plan.items
        if i.source.project == PROJECT
    }
    assert got == {
        ("results/sample1/s1.bam", "bam/s1.bam"): (Action.MOVE, Mode.MOVE),
        ("results/sample1/s1.bam.bai", "bam/s1.bam.bai"): (Action.COPY, Mode.COPY),
        ("results/sample1/s1.vcf.gz", "vcf/s1/s1.vcf.gz"): (Action.COPY, Mode.COPY),
        ("results/sample1/counts.tsv", "counts/results/sample1/counts.tsv"): (
            Action.COPY,
            Mode.COPY,
        ),
    }
    assert all(
        re.search(r"manifests/results\.yaml:\d+:\d+$", at)
        for item in plan.items
        for at in item.declared_at
    )
    assert plan.guards.max_moves == 20
    assert plan.manifests_digest == manifests.digest
    assert plan_exit_code(plan, True) == 2
    assert load_plan(dump_plan(plan)) == plan

    # The world after a complete apply: the BAM is an alias, the copies are objects.
    moved = file(
        1, "results/sample1/s1.bam", project=PROJECT, size=5_000, alias=(VOLUME, "bam/s1.bam")
    )
    after = live(
        [moved, *results_files()[1:]],
        volumes=[volume(VOLUME)],
        objects={
            (VOLUME, "bam/s1.bam.bai"): 50,
            (VOLUME, "vcf/s1/s1.vcf.gz"): 100,
            (VOLUME, "counts/results/sample1/counts.tsv"): 100,
        },
    )
    again = build_plan(manifests, after, context=PlanContext("t"))
    assert {i.action for i in again.items} == {Action.IN_SYNC}
    assert plan_exit_code(again, True) == 0


def test_blocked_example_is_blocked() -> None:
    manifests = load_manifests([ROOT / "examples" / "blocked"], root=ROOT)
    plan = build_plan(manifests, live(), context=PlanContext("t"))
    assert plan.items and plan_exit_code(plan, False) == 1
