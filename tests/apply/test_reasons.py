"""Every item's outcome says why, as a code: a run with completed, stale, not-reviewed, failed
and lost items writes a receipt with a reason code for each, and the reference
(docs/reference/reasons.md) lists every code an outcome can carry (apply's own and the plan's)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from reconciler.api.resources import ItemError
from reconciler.apply import receipt
from reconciler.apply.engine import Engine
from reconciler.apply.intake import Arrival, Intake
from reconciler.apply.journal import Journal
from reconciler.apply.outcome import ItemOutcome, Reason, Result
from reconciler.apply.report import render_json, render_text
from reconciler.manifest.models import Mode
from reconciler.plan.model import BlockedReason, ReasonCode

from .fake_platform import FakeClock, Platform, Synchronous, item
from .test_engine import GRACE, MARGIN, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
INFO = receipt.RunInfo(
    run_id="r",
    tool_version="0",
    endpoint="http://127.0.0.1/v2",
    manifests_commit=None,
    manifests_digest="sha256:m",
    plan_digest="sha256:p",
    saved_plan="plan.json",
    started_at="2026-01-01T00:00:00+00:00",
    finished_at="2026-01-01T00:01:00+00:00",
)


def test_the_receipt_gives_every_item_its_reason_code(tmp_path: Path) -> None:
    clock = FakeClock()
    platform = Platform(clock)
    platform.failing_files.add("failed")
    platform.creates.extend(["answer", "dropped"])  # the copies' call, then the move's: lost
    items = [
        item("done", "c/done", Mode.COPY),
        item("failed", "c/failed", Mode.COPY),
        item("stale", "c/stale", Mode.COPY),
        item("unreviewed", "c/unreviewed", Mode.COPY),
        item("lost", "m/lost"),
    ]
    pending = [ItemOutcome(i) for i in items]
    decided = {
        "c/stale": (Result.STALE, Reason.CHANGED_SINCE_PLAN),
        "c/unreviewed": (Result.NOT_REVIEWED, Reason.NOT_IN_REVIEWED_PLAN),
    }

    def read(chunk: Sequence[ItemOutcome]) -> list[Arrival]:
        return [
            Arrival(o, result=decided[o.item.location][0], reason=decided[o.item.location][1])
            if o.item.location in decided
            else Arrival(o, item=o.item)
            for o in chunk
        ]

    # The deadline comes before the lost call could be re-read and sent again.
    settings = replace(SETTINGS, wait_timeout=(GRACE + MARGIN) / 2)
    with Journal(tmp_path, "run") as journal:
        engine = Engine(
            platform,
            journal,
            clock=clock,
            sleep=clock.sleep,
            wall_clock=clock,
            settings=settings,
            workers=lambda count: Synchronous(),
            reader=Synchronous,
        )
        engine.run([], None, intake=Intake(pending, read))
    path = receipt.write(tmp_path, pending, INFO, exit_code=1)

    written = json.loads(path.read_text(encoding="utf-8"))["items"]
    assert {i["file"]: (i["result"], i["reason"]) for i in written} == {
        "done": ("completed", "result-checked"),
        "failed": ("failed", "job-failed"),
        "stale": ("stale", "changed-since-plan"),
        "unreviewed": ("not-reviewed", "not-in-reviewed-plan"),
        "lost": ("unknown", "lost-answer-unresolved"),
    }
    shown = json.loads(render_json(pending, receipt=path, exit_code=1))["items"]
    assert [i["reason"] for i in shown] == [i["reason"] for i in written]
    text = render_text(pending, receipt=path)
    problems = [i["reason"] for i in written if i["result"] != "completed"]
    assert len(problems) == 4 and all(f"[{reason}]" in text for reason in problems)
    assert "[result-checked]" not in text  # a completed line stays as it was


def test_a_refusal_carries_the_platforms_code(tmp_path: Path) -> None:
    clock = FakeClock()
    platform = Platform(clock)
    platform.creates.append(lambda answers: [ItemError(status=400, code=9107, message="no")])
    outcome = ItemOutcome(item("f", "c/f", Mode.COPY))
    with Journal(tmp_path, "run") as journal:
        Engine(platform, journal, clock=clock, sleep=clock.sleep, settings=SETTINGS).run([outcome])

    record = receipt.item_record(outcome)
    assert (record["result"], record["reason"]) == ("failed", "refused")
    assert record["platform_code"] == 9107


def test_the_reference_lists_every_reason_code() -> None:
    reference = (ROOT / "docs/reference/reasons.md").read_text(encoding="utf-8")
    codes = [*Reason, *ReasonCode, *BlockedReason]
    missing = [str(code) for code in codes if f"| `{code}` |" not in reference]
    assert not missing, f"not in docs/reference/reasons.md: {missing}"
    assert all(f"| `{result}` |" in reference for result in Result)
