"""The pure planner, table-driven: (rules, live state) -> (action, reason code) per item."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from reconciler.apply.submit import export_body
from reconciler.core.live import LiveState
from reconciler.errors import PlanFileError
from reconciler.manifest.models import ExportRule, Guards, Mode, export_properties
from reconciler.plan import decide as decide_module
from reconciler.plan.exit_codes import plan_exit_code
from reconciler.plan.io import dump_plan, load_plan
from reconciler.plan.model import (
    FORMAT_VERSION,
    Action,
    BlockedReason,
    Plan,
    PlanItem,
    PlatformTarget,
    ReasonCode,
)
from reconciler.plan.planner import PlanContext, build_plan
from reconciler.plan.render_markdown import render_markdown
from reconciler.plan.render_text import render_text

from .helpers import PROJECT, VOLUME, fid, file, job, live, manifests, rule, volume

CONTEXT = PlanContext(tool_version="0.0-test", endpoint="https://api.example/v2")
DEST = "out/f1.bam"  # where rule(fid(1)) with the default location puts file 1


def plan_for(rules: Sequence[ExportRule], state: LiveState) -> Plan:
    return build_plan(manifests(*rules), state, context=CONTEXT)


def only_item(rules: Sequence[ExportRule], state: LiveState) -> PlanItem:
    plan = plan_for(rules, state)
    assert len(plan.items) == 1, plan.items
    return plan.items[0]


@dataclass(frozen=True)
class Case:
    name: str
    rules: tuple[ExportRule, ...]
    state: LiveState
    action: Action
    code: ReasonCode | BlockedReason
    reason_has: str = ""


MOVE1 = (rule(fid(1)),)
COPY1 = (rule(fid(1), mode=Mode.COPY),)
F1 = file(1)

CASES = [
    # ---- exports
    Case(
        "move to an empty destination", MOVE1, live([F1]), Action.MOVE, ReasonCode.DESTINATION_EMPTY
    ),
    Case(
        "copy to an empty destination", COPY1, live([F1]), Action.COPY, ReasonCode.DESTINATION_EMPTY
    ),
    Case(
        "destination checked and empty",
        MOVE1,
        live([F1], objects={(VOLUME, DEST): None}),
        Action.MOVE,
        ReasonCode.DESTINATION_EMPTY,
    ),
    Case(
        "replace an object with overwrite",
        (rule(fid(1), overwrite=True),),
        live([F1], objects={(VOLUME, DEST): 7}),
        Action.REPLACE,
        ReasonCode.OVERWRITE_OBJECT,
    ),
    Case(
        "copy replaces an object of another size",
        (rule(fid(1), mode=Mode.COPY, overwrite=True),),
        live([F1], objects={(VOLUME, DEST): 7}),
        Action.REPLACE,
        ReasonCode.OVERWRITE_OBJECT,
    ),
    Case(
        "failed job is planned again with its failure",
        MOVE1,
        live([F1], failed=[job("j9", 1, DEST, state="FAILED", error="S3 said no")]),
        Action.MOVE,
        ReasonCode.RETRY_AFTER_FAILURE,
        "S3 said no",
    ),
    Case(
        "failed job elsewhere is not this item's failure",
        MOVE1,
        live([F1], failed=[job("j9", 1, "elsewhere.bam", state="FAILED", error="x")]),
        Action.MOVE,
        ReasonCode.DESTINATION_EMPTY,
    ),
    Case(
        "copy does not wait for a job elsewhere",
        COPY1,
        live([F1], jobs=[job("j1", 1, "other/place.bam")]),
        Action.COPY,
        ReasonCode.DESTINATION_EMPTY,
    ),
    # ---- in sync
    Case(
        "move: already an alias here",
        MOVE1,
        live([file(1, alias=(VOLUME, DEST))]),
        Action.IN_SYNC,
        ReasonCode.ALIAS_AT_DESTINATION,
    ),
    Case(
        "move with overwrite: an alias here stays in sync",
        (rule(fid(1), overwrite=True),),
        live([file(1, alias=(VOLUME, DEST))], objects={(VOLUME, DEST): 100}),
        Action.IN_SYNC,
        ReasonCode.ALIAS_AT_DESTINATION,
    ),
    Case(
        "copy: an object of the file's size",
        COPY1,
        live([F1], objects={(VOLUME, DEST): 100}),
        Action.IN_SYNC,
        ReasonCode.OBJECT_SAME_SIZE,
    ),
    Case(
        "copy with overwrite: an object of the file's size stays in sync",
        (rule(fid(1), mode=Mode.COPY, overwrite=True),),
        live([F1], objects={(VOLUME, DEST): 100}),
        Action.IN_SYNC,
        ReasonCode.OBJECT_SAME_SIZE,
    ),
    Case(
        "copy of a file since moved elsewhere, object in place",
        COPY1,
        live([file(1, alias=(VOLUME, "moved/f1.bam"))], objects={(VOLUME, DEST): 100}),
        Action.IN_SYNC,
        ReasonCode.OBJECT_SAME_SIZE,
    ),
    Case(
        "in sync even on a volume that is now read-only",
        MOVE1,
        live([file(1, alias=(VOLUME, DEST))], volumes=[volume(access_mode="RO")]),
        Action.IN_SYNC,
        ReasonCode.ALIAS_AT_DESTINATION,
    ),
    # ---- in flight
    Case(
        "a running job for this file and destination",
        MOVE1,
        live([F1], jobs=[job("j1", 1, DEST)]),
        Action.IN_FLIGHT,
        ReasonCode.JOB_ACTIVE,
        "job j1 is RUNNING",
    ),
    Case(
        "a pending job, destination already occupied by it",
        MOVE1,
        live([F1], jobs=[job("j1", 1, DEST, state="PENDING")], objects={(VOLUME, DEST): 1}),
        Action.IN_FLIGHT,
        ReasonCode.JOB_ACTIVE,
    ),
    Case(
        "a move waits for the file's copy job to another place",
        MOVE1,
        live([F1], jobs=[job("j2", 1, "copies/f1.bam")]),
        Action.IN_FLIGHT,
        ReasonCode.WAITING_FOR_OTHER_JOB,
        "me/vol:copies/f1.bam",
    ),
    Case(
        "another file's job is writing to this destination",
        MOVE1,
        live([F1, file(2)], jobs=[job("j3", 2, DEST)]),
        Action.IN_FLIGHT,
        ReasonCode.WAITING_FOR_OTHER_JOB,
        f"of file {fid(2)}",
    ),
    # ---- blocked
    Case(
        "already an alias elsewhere",
        MOVE1,
        live([file(1, alias=("rfranklin/archive", "old/x.bam"))]),
        Action.BLOCKED,
        BlockedReason.ALIAS_ELSEWHERE,
        "already an alias at rfranklin/archive:old/x.bam",
    ),
    Case(
        "copy of an alias elsewhere, nothing at the destination",
        COPY1,
        live([file(1, alias=(VOLUME, "moved/f1.bam"))]),
        Action.BLOCKED,
        BlockedReason.ALIAS_ELSEWHERE,
    ),
    Case(
        "public file",
        MOVE1,
        live([file(1, metadata={"sbg_public_files_category": "reference"})]),
        Action.BLOCKED,
        BlockedReason.PUBLIC_FILE,
    ),
    Case(
        "folder by path",
        (rule("data/sub", kind="path"),),
        live([file(1, "data/sub", folder=True)]),
        Action.BLOCKED,
        BlockedReason.FOLDER,
    ),
    Case(
        "folder by id",
        MOVE1,
        live([file(1, "data/sub", folder=True)]),
        Action.BLOCKED,
        BlockedReason.FOLDER,
    ),
    Case(
        "file id not found",
        MOVE1,
        live(missing_ids=[fid(1)]),
        Action.BLOCKED,
        BlockedReason.NOT_FOUND,
    ),
    Case(
        "file id never read counts as not found",
        MOVE1,
        live(),
        Action.BLOCKED,
        BlockedReason.NOT_FOUND,
    ),
    Case(
        "path not found",
        (rule("data/nope.bam", kind="path"),),
        live([F1]),
        Action.BLOCKED,
        BlockedReason.NOT_FOUND,
        "me/proj:data/nope.bam",
    ),
    Case(
        "file of another project",
        MOVE1,
        live([file(1, project="someone/else")]),
        Action.BLOCKED,
        BlockedReason.NOT_IN_PROJECT,
        "not in the manifest's project me/proj",
    ),
    Case(
        "project not found (by path)",
        (rule("a.bam", kind="path", project="ghost/proj"),),
        live(missing_projects=["ghost/proj"]),
        Action.BLOCKED,
        BlockedReason.PROJECT_NOT_FOUND,
    ),
    Case(
        "project not found (by id)",
        (rule(fid(1), project="ghost/proj"),),
        live(missing_projects=["ghost/proj"]),
        Action.BLOCKED,
        BlockedReason.PROJECT_NOT_FOUND,
    ),
    Case(
        "project never read (glob)",
        (rule("*.bam", kind="glob", project="unread/proj"),),
        live(),
        Action.BLOCKED,
        BlockedReason.PROJECT_NOT_FOUND,
    ),
    Case(
        "volume missing",
        MOVE1,
        live([F1], volumes=[], missing_volumes=[VOLUME]),
        Action.BLOCKED,
        BlockedReason.VOLUME_MISSING,
    ),
    Case(
        "volume never read counts as missing",
        MOVE1,
        live([F1], volumes=[]),
        Action.BLOCKED,
        BlockedReason.VOLUME_MISSING,
    ),
    Case(
        "volume read-only",
        MOVE1,
        live([F1], volumes=[volume(access_mode="RO")]),
        Action.BLOCKED,
        BlockedReason.VOLUME_READ_ONLY,
    ),
    Case(
        "volume inactive",
        MOVE1,
        live([F1], volumes=[volume(active=False)]),
        Action.BLOCKED,
        BlockedReason.VOLUME_INACTIVE,
    ),
    Case(
        "volume on GCS",
        MOVE1,
        live([F1], volumes=[volume(service_type="gcs")]),
        Action.BLOCKED,
        BlockedReason.VOLUME_GCS,
    ),
    Case(
        "destination exists, overwrite false",
        MOVE1,
        live([F1], objects={(VOLUME, DEST): 7}),
        Action.BLOCKED,
        BlockedReason.DESTINATION_EXISTS,
        "overwrite is false",
    ),
    Case(
        "copy: an object of another size, overwrite false",
        COPY1,
        live([F1], objects={(VOLUME, DEST): 7}),
        Action.BLOCKED,
        BlockedReason.DESTINATION_EXISTS,
    ),
    Case(
        "file only in another cloud than the volume",
        MOVE1,
        live([file(1, hosted=("gcp:us-central1",))]),
        Action.BLOCKED,
        BlockedReason.CLOUD_MISMATCH,
        "gcp:us-central1",
    ),
    Case(
        "glob matching nothing",
        (rule("results/**/*.vcf", kind="glob"),),
        live([F1]),
        Action.BLOCKED,
        BlockedReason.GLOB_EMPTY,
        "allow_empty",
    ),
    Case(
        "glob matching only a folder",
        (rule("data/*", kind="glob"),),
        live([file(1, "data/sub", folder=True)]),
        Action.BLOCKED,
        BlockedReason.GLOB_EMPTY,
    ),
    Case(
        "object key longer than 1024 bytes with the prefix",
        (rule(fid(1), location="x" * 1000),),
        live([F1], volumes=[volume(prefix="p" * 30)]),
        Action.BLOCKED,
        BlockedReason.LOCATION_TOO_LONG,
        "1031 bytes",
    ),
    Case(
        "multibyte characters count as bytes",
        (rule(fid(1), location="é" * 600),),
        live([F1]),
        Action.BLOCKED,
        BlockedReason.LOCATION_TOO_LONG,
        "1200 bytes",
    ),
    Case(
        "object key of exactly 1024 bytes is fine",
        (rule(fid(1), location="x" * 1000),),
        live([F1], volumes=[volume(prefix="p" * 23)]),
        Action.MOVE,
        ReasonCode.DESTINATION_EMPTY,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_single_item_table(case: Case) -> None:
    item = only_item(case.rules, case.state)
    assert (item.action, item.reason_code) == (case.action, case.code), item.reason
    assert case.reason_has in item.reason
    assert item.reason  # every item says why


def test_every_action_and_every_reason_is_covered_by_a_table() -> None:
    # The multi-item tables below cover the reasons that need two declarations.
    multi = {
        BlockedReason.DUPLICATE_DESTINATION,
        BlockedReason.MOVED_TWICE,
        BlockedReason.COPY_BLOCKED,
    }
    covered = {c.code for c in CASES} | multi
    assert set(ReasonCode) | set(BlockedReason) <= covered
    assert {c.action for c in CASES} == set(Action)


@dataclass(frozen=True)
class MultiCase:
    name: str
    rules: tuple[ExportRule, ...]
    state: LiveState
    expected: tuple[tuple[str, Action, ReasonCode | BlockedReason], ...]  # (location, ...)


MULTI = [
    MultiCase(
        "two entries, two files, one destination",
        (
            rule(fid(1), location="same.bam", line=5),
            rule(fid(2), location="same.bam", manifest="manifests/b.yaml", line=9),
        ),
        live([file(1), file(2)]),
        (
            ("same.bam", Action.BLOCKED, BlockedReason.DUPLICATE_DESTINATION),
            ("same.bam", Action.BLOCKED, BlockedReason.DUPLICATE_DESTINATION),
        ),
    ),
    MultiCase(
        "one file declared twice with different settings",
        (rule(fid(1)), rule("data/f1.bam", kind="path", overwrite=True, line=9)),
        live([F1]),
        ((DEST, Action.BLOCKED, BlockedReason.DUPLICATE_DESTINATION),),
    ),
    MultiCase(
        "one file moved by a glob and by an id to different places",
        (rule("data/*.bam", kind="glob", location="a/{name}"), rule(fid(1), location="b/x")),
        live([F1]),
        (
            ("a/f1.bam", Action.BLOCKED, BlockedReason.MOVED_TWICE),
            ("b/x", Action.BLOCKED, BlockedReason.MOVED_TWICE),
        ),
    ),
    MultiCase(
        "a blocked copy blocks the move of the same file",
        (rule(fid(1), location="moved.bam"), rule(fid(1), mode=Mode.COPY, location="copy.bam")),
        live([F1], objects={(VOLUME, "copy.bam"): 5}),
        (
            ("copy.bam", Action.BLOCKED, BlockedReason.DESTINATION_EXISTS),
            ("moved.bam", Action.BLOCKED, BlockedReason.COPY_BLOCKED),
        ),
    ),
    MultiCase(
        "copies of a file come before its move, whatever the declaration order",
        (
            rule(fid(1), location="moved.bam"),
            rule(fid(2), location="other.bam"),
            rule(fid(1), mode=Mode.COPY, location="copy1.bam"),
            rule(fid(1), mode=Mode.COPY, location="copy2.bam"),
        ),
        live([F1, file(2)]),
        (
            ("other.bam", Action.MOVE, ReasonCode.DESTINATION_EMPTY),
            ("copy1.bam", Action.COPY, ReasonCode.DESTINATION_EMPTY),
            ("copy2.bam", Action.COPY, ReasonCode.DESTINATION_EMPTY),
            ("moved.bam", Action.MOVE, ReasonCode.DESTINATION_EMPTY),
        ),
    ),
    MultiCase(
        "after a full apply, copy and move of one file are both in sync",
        (rule(fid(1), location="moved.bam"), rule(fid(1), mode=Mode.COPY, location="copy.bam")),
        live([file(1, alias=(VOLUME, "moved.bam"))], objects={(VOLUME, "copy.bam"): 100}),
        (
            ("copy.bam", Action.IN_SYNC, ReasonCode.OBJECT_SAME_SIZE),
            ("moved.bam", Action.IN_SYNC, ReasonCode.ALIAS_AT_DESTINATION),
        ),
    ),
    MultiCase(
        "glob: files only, exclude, metadata and tags",
        (
            rule(
                "data/**/*.bam",
                kind="glob",
                exclude=["data/skip/*"],
                where_metadata={"sample": "s1"},
                where_tags=["final"],
            ),
        ),
        live(
            [
                file(1, "data/a/keep.bam", metadata={"sample": "s1"}, tags=["final", "x"]),
                file(2, "data/a/wrongsample.bam", metadata={"sample": "s2"}, tags=["final"]),
                file(3, "data/a/notag.bam", metadata={"sample": "s1"}),
                file(4, "data/skip/excluded.bam", metadata={"sample": "s1"}, tags=["final"]),
                file(5, "data/dir.bam", folder=True),
                file(6, "other/x.bam", metadata={"sample": "s1"}, tags=["final"]),
            ]
        ),
        (("out/keep.bam", Action.MOVE, ReasonCode.DESTINATION_EMPTY),),
    ),
    MultiCase(
        "a glob with allow_empty that matches nothing plans nothing",
        (rule("nothing/*", kind="glob", allow_empty=True),),
        live([F1]),
        (),
    ),
]


@pytest.mark.parametrize("case", MULTI, ids=lambda c: c.name)
def test_multi_item_table(case: MultiCase) -> None:
    plan = plan_for(case.rules, case.state)
    got = tuple((i.destination.location, i.action, i.reason_code) for i in plan.items)
    assert got == case.expected, [i.reason for i in plan.items]


def test_identical_declarations_merge_and_list_both_places() -> None:
    rules = (rule(fid(1), line=5), rule("data/f1.bam", kind="path", line=12))
    item = only_item(rules, live([F1]))
    assert item.action is Action.MOVE
    assert item.declared_at == ("manifests/a.yaml:5:5", "manifests/a.yaml:12:5")


def test_duplicate_destination_names_the_other_declaration() -> None:
    rules = (rule(fid(1), location="same.bam"), rule(fid(2), location="same.bam", line=30))
    plan = plan_for(rules, live([file(1), file(2)]))
    assert "data/f2.bam (manifests/a.yaml:30:5)" in plan.items[0].reason
    assert "data/f1.bam (manifests/a.yaml:5:5)" in plan.items[1].reason


def test_item_carries_everything_apply_needs() -> None:
    props = export_properties("aws:kms", "arn:key", "bucket-owner-full-control")
    rules = (rule(fid(1), location="{parent}/{stem}.{ext}", overwrite=True, properties=props),)
    state = live([file(1, "runs/r1/s1.vcf.gz", size=42)], volumes=[volume(prefix="pre")])
    item = only_item(rules, state)
    assert item.source.file_id == fid(1)
    assert (item.source.project, item.source.path, item.source.size) == (
        PROJECT,
        "runs/r1/s1.vcf.gz",
        42,
    )
    assert (item.destination.volume, item.destination.location) == (VOLUME, "runs/r1/s1.vcf.gz")
    assert item.object_uri == "s3://bucket/pre/runs/r1/s1.vcf.gz"
    assert item.mode is Mode.MOVE and item.overwrite is True
    assert item.properties.as_dict() == props.as_dict()
    assert item.destructive
    assert len(item.fingerprint) == 16


def test_destructive_flags() -> None:
    rules = (
        rule(fid(1), location="m.bam"),
        rule(fid(2), mode=Mode.COPY, location="c.bam"),
        rule(fid(3), mode=Mode.COPY, location="r.bam", overwrite=True),
    )
    state = live([file(1), file(2), file(3)], objects={(VOLUME, "r.bam"): 1})
    flags = {i.destination.location: i.destructive for i in plan_for(rules, state).items}
    assert flags == {"m.bam": True, "c.bam": False, "r.bam": True}


def test_in_flight_job_that_differs_lists_the_fields() -> None:
    running = job(
        "j1",
        1,
        DEST,
        overwrite=True,
        properties={"sse_algorithm": "aws:kms", "sse_aws_kms_key_id": "k", "aws_canned_acl": None},
    )
    item = only_item(MOVE1, live([F1], jobs=[running]))
    assert item.action is Action.IN_FLIGHT and item.job_id == "j1"
    assert item.job_differences == (
        "overwrite: job true, manifest false",
        "properties.sse_algorithm: job 'aws:kms', manifest 'AES256'",
        "properties.sse_aws_kms_key_id: job 'k', manifest null",
    )
    assert "differs from the manifest" in item.reason


def test_deepdiff_runs_only_where_a_plain_comparison_found_a_difference(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("deepdiff called for an identical job")

    monkeypatch.setattr(decide_module, "job_differences", refuse)  # where deepdiff runs
    item = only_item(MOVE1, live([F1], jobs=[job("j1", 1, DEST)]))
    assert item.action is Action.IN_FLIGHT and item.job_differences == ()


def test_failure_is_quoted_on_the_item() -> None:
    failed = job("j9", 1, DEST, state="FAILED", error="AccessDenied on bucket")
    item = only_item(MOVE1, live([F1], failed=[failed]))
    assert item.last_failure == "AccessDenied on bucket"


def test_summary_counts_and_bytes() -> None:
    rules = (
        rule(fid(1), location="a"),
        rule(fid(2), location="b"),
        rule(fid(3), mode=Mode.COPY, location="c"),
        rule(fid(4), location="d"),
    )
    state = live([file(1, size=10), file(2, size=20), file(3, size=5)], missing_ids=[fid(4)])
    plan = plan_for(rules, state)
    totals = {t.action: (t.count, t.bytes) for t in plan.summary}
    assert totals[Action.MOVE] == (2, 30)
    assert totals[Action.COPY] == (1, 5)
    assert totals[Action.BLOCKED] == (1, 0)
    assert totals[Action.IN_SYNC] == (0, 0)
    assert plan.destructive_count == 2


def test_apply_estimate() -> None:
    rules = [rule(fid(n), location=f"m/{n}") for n in range(1, 251)]
    rules += [rule(fid(n), mode=Mode.COPY, location=f"c/{n}") for n in range(300, 330)]
    state = live([file(n) for n in [*range(1, 251), *range(300, 330)]])
    estimate = plan_for(rules, state).apply_estimate
    # apply --plan reads: 2 job listings, the volume and its destinations, 280 files in bulk.
    assert estimate.read_calls == 2 + 2 + 3
    assert estimate.create_calls == 3 + 1
    assert estimate.poll_calls == 3 + 1
    assert estimate.total_calls == 7 + 4 + 4
    assert estimate.rate_limit_seconds == 0
    assert "ceil" in estimate.formula


def test_apply_estimate_under_the_rate_limit() -> None:
    from reconciler.plan.planner import estimate_apply

    items = (
        plan_for([rule(fid(1))], live([F1])).items * 100_000
    )  # the same item repeated: only counts matter here
    estimate = estimate_apply(items)
    assert estimate.read_calls == 2 + 2 + 1000
    assert estimate.create_calls == 1000
    assert estimate.poll_calls == 1000
    assert estimate.rate_limit_seconds == 300 * 3  # 3,004 calls: three windows to wait


def test_guards_take_the_smallest_limit() -> None:
    from reconciler.plan.planner import build_plan as build

    ms = manifests(rule(fid(1)), guards=Guards(max_moves=5, max_bytes=1000))
    plan = build(ms, live([F1]), context=CONTEXT)
    assert (plan.guards.max_moves, plan.guards.max_bytes) == (5, 1000)


def test_context_and_manifests_are_recorded() -> None:
    context = PlanContext(
        "9.9", endpoint="https://x/v2", manifests_commit="abc123", planned_at="t", platform="cgc"
    )
    plan = build_plan(manifests(rule(fid(1))), live([F1]), context=context)
    assert {item.platform for item in plan.items} == {"cgc"}
    assert (plan.tool_version, plan.platforms, plan.manifests_commit, plan.planned_at) == (
        "9.9",
        (PlatformTarget("cgc", "https://x/v2"),),
        "abc123",
        "t",
    )
    assert plan.manifests_digest == "d" * 64 and plan.format_version == FORMAT_VERSION
    assert len(plan.digest) == 64


def test_unmanaged_aliases_are_listed_never_acted_on() -> None:
    stray = file(7, "old/stray.bam", alias=(VOLUME, "stray.bam"))
    plan = plan_for(MOVE1, live([F1], unmanaged=[stray]))
    assert [a.file_id for a in plan.unmanaged_aliases] == [fid(7)]
    assert all(i.source.file_id != fid(7) for i in plan.items)


def test_planning_is_deterministic() -> None:
    rules = [rule("data/*.bam", kind="glob"), rule(fid(9), mode=Mode.COPY, location="c")]
    state = live([file(n) for n in range(1, 10)])
    assert plan_for(rules, state) == plan_for(rules, state)


@pytest.mark.parametrize(
    ("rules", "state", "detailed", "code"),
    [
        (MOVE1, live([file(1, alias=(VOLUME, DEST))]), True, 0),
        (MOVE1, live([F1]), False, 0),
        (MOVE1, live([F1]), True, 2),
        (MOVE1, live([F1], jobs=[job("j1", 1, DEST)]), True, 2),
        (MOVE1, live([F1], jobs=[job("j1", 1, DEST)]), False, 0),
        ((*MOVE1, rule(fid(2), location="b")), live([F1], missing_ids=[fid(2)]), True, 1),
        ((rule(fid(2)),), live(missing_ids=[fid(2)]), False, 1),
    ],
)
def test_exit_codes(
    rules: tuple[ExportRule, ...], state: LiveState, detailed: bool, code: int
) -> None:
    assert plan_exit_code(plan_for(rules, state), detailed) == code


def test_a_declared_storage_class_is_planned_shown_and_sent_and_an_undeclared_one_is_not() -> None:
    glacier = export_properties(aws_storage_class="GLACIER_IR")
    rules = (
        rule(fid(1), location="cold.bam", properties=glacier),
        rule(fid(2), location="w.bam", line=9),
    )
    plan = plan_for(rules, live([file(1), file(2)]))
    cold, warm = sorted(plan.items, key=lambda i: i.destination.location)
    assert cold.properties.aws_storage_class == "GLACIER_IR"
    assert export_body(cold)["properties"]["aws_storage_class"] == "GLACIER_IR"
    assert "aws_storage_class" not in export_body(warm)["properties"]
    assert set(export_body(warm)["properties"]) == {
        "sse_algorithm", "sse_aws_kms_key_id", "aws_canned_acl"
    }  # fmt: skip
    # The review's rows and risk lists name the class; every item's own line names it too.
    text = render_text(plan)
    assert "[move, storage class GLACIER_IR] 1 to move (100 B)" in text
    assert "-> me/vol:cold.bam (100 B) [storage class GLACIER_IR]" in text
    assert "-> me/vol:w.bam (100 B)\n" in text
    every = render_text(plan, show_all=True)
    assert "-> me/vol:cold.bam (storage class GLACIER_IR) (100 B)" in every
    assert "-> me/vol:w.bam (100 B)" in every
    assert "`me/vol:cold.bam` (`move, storage class GLACIER_IR`)" in render_markdown(plan)
    assert "`me/vol:cold.bam` (100 B) storage class `GLACIER_IR`" in render_markdown(
        plan, show_all=True
    )


def test_a_storage_class_is_part_of_the_saved_plans_digest() -> None:
    glacier = export_properties(aws_storage_class="GLACIER_IR")
    plan = plan_for((rule(fid(1), location="cold.bam", properties=glacier),), live([file(1)]))
    data = json.loads(dump_plan(plan))
    settings = data["settings"][data["items"][0]["settings"]]
    assert settings["properties"]["aws_storage_class"] == "GLACIER_IR"
    assert load_plan(json.dumps(data)) == plan
    settings["properties"]["aws_storage_class"] = "DEEP_ARCHIVE"
    with pytest.raises(PlanFileError, match="digest does not match"):
        load_plan(json.dumps(data))


def test_a_jobs_storage_class_matters_only_when_the_manifest_declares_one() -> None:
    props = {"sse_algorithm": "AES256", "sse_aws_kms_key_id": None, "aws_canned_acl": None}
    running = job("j1", 1, DEST, properties={**props, "aws_storage_class": "STANDARD"})
    assert only_item(MOVE1, live([F1], jobs=[running])).job_differences == ()
    glacier = export_properties(aws_storage_class="GLACIER_IR")
    declared = (rule(fid(1), properties=glacier),)
    item = only_item(declared, live([F1], jobs=[running]))
    assert item.job_differences == (
        "properties.aws_storage_class: job 'STANDARD', manifest 'GLACIER_IR'",
    )
