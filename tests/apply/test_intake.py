"""The engine with an intake: a saved plan's items arriving a chunk at a time while the run goes
on (fake clock, in-memory platform, reads made as they are handed over). What it must keep:
calls of 100 items across chunks, a move never before a copy of its file that arrives later,
every item with a result when a read fails or the deadline comes first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.apply.engine import Engine
from reconciler.apply.intake import Arrival, Intake
from reconciler.apply.journal import Journal
from reconciler.apply.outcome import ItemOutcome, Reason, Result
from reconciler.errors import ApiError
from reconciler.manifest.models import Mode
from reconciler.plan.model import PlanItem

from .fake_platform import FakeClock, Platform, Synchronous, item
from .test_engine import SETTINGS, copies, moves


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def platform(clock: FakeClock) -> Platform:
    return Platform(clock)


def run_with_intake(
    tmp_path: Path,
    clock: FakeClock,
    platform: Platform,
    items: Sequence[PlanItem],
    *,
    chunk: int,
    decide: dict[str, Arrival] | None = None,
    fail_from_chunk: int | None = None,
    wait_timeout: float = SETTINGS.wait_timeout,
) -> tuple[list[ItemOutcome], list[int]]:
    """Run `items` all through an intake of `chunk` items a read; `decide` overrides the
    verdict for an item (by its location); reads from chunk number `fail_from_chunk` on raise.
    Returns the outcomes and, per read, how many create calls had been made before it."""
    pending = [ItemOutcome(i) for i in items]
    creates_before_read: list[int] = []

    def read(part: Sequence[ItemOutcome]) -> list[Arrival]:
        number = len(creates_before_read)
        creates_before_read.append(platform.calls("create"))
        if fail_from_chunk is not None and number >= fail_from_chunk:
            raise ApiError("service unavailable", status=503)
        chosen = decide or {}
        return [
            replace(chosen[o.item.location], outcome=o)
            if o.item.location in chosen
            else Arrival(o, item=o.item)
            for o in part
        ]

    intake = Intake(pending, read, chunk=chunk, ahead=1)
    with Journal(tmp_path, "run") as journal:
        engine = Engine(
            platform,
            journal,
            clock=clock,
            sleep=clock.sleep,
            wall_clock=clock,
            settings=replace(SETTINGS, wait_timeout=wait_timeout),
            workers=lambda count: Synchronous(),
            reader=Synchronous,
        )
        engine.run([], None, intake=intake)
    return pending, creates_before_read


def test_calls_stay_full_across_chunks_and_start_before_the_last_read(
    tmp_path: Path, clock: FakeClock, platform: Platform
) -> None:
    outcomes, creates_before = run_with_intake(tmp_path, clock, platform, moves(350), chunk=70)

    assert {str(o.result) for o in outcomes} == {"completed"}
    # 350 moves in five reads of 70: four full calls and one of 50, never a call of 70.
    assert [n for _, call, n in platform.log if call == "create"] == [100, 100, 100, 50]
    assert len(creates_before) == 5 and creates_before[-1] > 0  # sending began mid-read


def test_a_move_waits_for_a_copy_of_its_file_that_arrives_later(
    tmp_path: Path, clock: FakeClock, platform: Platform
) -> None:
    move = item("f", "m/f")
    copy = item("f", "c/f", Mode.COPY)
    outcomes, _ = run_with_intake(tmp_path, clock, platform, [move, *moves(5, "x"), copy], chunk=3)

    assert {str(o.result) for o in outcomes} == {"completed"}
    job_of = {job.location: job for job in platform.jobs.values()}
    assert job_of["m/f"].visible_from >= job_of["c/f"].ends_at  # moved only once copied


def test_a_move_is_held_when_its_later_copy_turns_out_stale(
    tmp_path: Path, clock: FakeClock, platform: Platform
) -> None:
    move = item("f", "m/f")
    copy = item("f", "c/f", Mode.COPY)
    stale = Arrival(
        ItemOutcome(copy), result=Result.STALE, reason=Reason.CHANGED_SINCE_PLAN, error="changed"
    )
    outcomes, _ = run_with_intake(
        tmp_path, clock, platform, [move, copy], chunk=1, decide={"c/f": stale}
    )

    by_location = {o.item.location: o for o in outcomes}
    assert by_location["c/f"].result is Result.STALE
    assert by_location["m/f"].result is Result.HELD
    assert "the copy to o/vol:c/f did not complete" in (by_location["m/f"].error or "")
    assert platform.calls("create") == 0


def test_a_failed_read_reports_the_rest_not_sent_and_the_run_goes_on(
    tmp_path: Path, clock: FakeClock, platform: Platform
) -> None:
    outcomes, _ = run_with_intake(
        tmp_path, clock, platform, moves(250), chunk=100, fail_from_chunk=1
    )

    results = [o.result for o in outcomes]
    assert results[:100] == [Result.COMPLETED] * 100
    assert results[100:] == [Result.FAILED] * 150
    assert "not sent: reading its live state failed" in (outcomes[-1].error or "")
    assert [n for _, call, n in platform.log if call == "create"] == [100]


def test_every_item_has_a_result_when_the_deadline_comes_first(
    tmp_path: Path, clock: FakeClock, platform: Platform
) -> None:
    outcomes, _ = run_with_intake(tmp_path, clock, platform, copies(30), chunk=10, wait_timeout=0.0)

    assert all(o.result is not None for o in outcomes)


def test_the_first_read_is_one_create_call_worth_then_whole_chunks() -> None:
    """The first export goes out after a read of 100 items (one bulk create), not 1,000:
    at 1,000,000 items the first chunk's destinations alone took 250 folder listings."""
    pending = [ItemOutcome(i) for i in moves(2_350)]
    sizes: list[int] = []

    def read(part: Sequence[ItemOutcome]) -> list[Arrival]:
        sizes.append(len(part))
        return [Arrival(o, item=o.item) for o in part]

    intake = Intake(pending, read, ahead=1)
    intake.start(Synchronous())
    while intake:
        intake.take()
    assert sizes == [100, 1_000, 1_000, 250]
