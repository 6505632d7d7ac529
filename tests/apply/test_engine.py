"""The apply engine on its own, driven through its branches by a fake clock and an in-memory
platform (`fake_platform.py`): no server, no threads, no real sleep. Each test asserts what
the run did (results, messages, the calls made and when, on the fake clock), not how."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from reconciler.apply.engine import Engine
from reconciler.apply.journal import Journal, JournalHistory
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.apply.poll import Schedule
from reconciler.apply.progress import Progress
from reconciler.apply.settings import EngineSettings
from reconciler.apply.submit import target
from reconciler.manifest.models import Mode
from reconciler.plan.model import Action, BlockedReason, PlanItem, ReasonCode

from .fake_platform import JOB_SECONDS, Answers, FakeClock, Job, Platform, Synchronous, item

GRACE, MARGIN = 30.0, 5.0
SETTINGS = EngineSettings(
    wait_timeout=600.0,
    schedule=Schedule(first=2.0, backoff=1.5, maximum=30.0),
    uncertain_grace=GRACE,
    uncertain_margin=MARGIN,
    creates_in_flight=1,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def platform(clock: FakeClock) -> Platform:
    return Platform(clock)


class Runner:
    def __init__(self, tmp_path: Path, clock: FakeClock, platform: Platform) -> None:
        self.tmp_path, self.clock, self.platform = tmp_path, clock, platform
        self.started = clock()
        self.wall_clock: Callable[[], float] = clock

    def __call__(
        self,
        items: Sequence[PlanItem],
        *,
        settings: EngineSettings = SETTINGS,
        history: JournalHistory | None = None,
        progress: Progress | None = None,
    ) -> list[ItemOutcome]:
        outcomes = [ItemOutcome(i) for i in items]
        with Journal(self.tmp_path, "run") as journal:
            engine = Engine(
                self.platform,
                journal,
                clock=self.clock,
                sleep=self.clock.sleep,
                wall_clock=self.wall_clock,
                progress=progress,
                settings=settings,
                workers=lambda count: Synchronous(),
            )
            engine.run(outcomes, history)
        return outcomes


@pytest.fixture
def run(tmp_path: Path, clock: FakeClock, platform: Platform) -> Runner:
    return Runner(tmp_path, clock, platform)


def results(outcomes: Sequence[ItemOutcome]) -> dict[str, str]:
    return {o.item.source.file_id or "": str(o.result) for o in outcomes}


def error_of(outcomes: Sequence[ItemOutcome], file: str) -> str:
    return next(o.error or "" for o in outcomes if o.item.source.file_id == file)


def moves(count: int, prefix: str = "m") -> list[PlanItem]:
    return [item(f"{prefix}{n}", f"{prefix}/{n}") for n in range(count)]


def copies(count: int, prefix: str = "c") -> list[PlanItem]:
    return [item(f"{prefix}{n}", f"{prefix}/{n}", Mode.COPY) for n in range(count)]


# ---- the plain run -------------------------------------------------------------------------


@pytest.mark.parametrize("in_flight", [1, 4], ids=["calls-one-by-one", "calls-via-workers"])
def test_every_item_converges_in_calls_of_one_hundred_of_one_mode(
    run: Runner, platform: Platform, in_flight: int
) -> None:
    outcomes = run(copies(250) + moves(30), settings=replace(SETTINGS, creates_in_flight=in_flight))

    assert set(results(outcomes).values()) == {"completed"}
    assert [n for _, call, n in platform.log if call == "create"] == [100, 100, 50, 30]
    assert all(o.object_size == 10 for o in outcomes)


def test_items_that_need_no_job_are_settled_without_a_call(run: Runner, platform: Platform) -> None:
    blocked = replace(
        item("b", "b"), action=Action.BLOCKED, reason_code=BlockedReason.NOT_FOUND, reason="gone"
    )
    in_sync = replace(item("s", "s"), action=Action.IN_SYNC)
    waits = replace(
        item("w", "w"),
        action=Action.IN_FLIGHT,
        reason_code=ReasonCode.WAITING_FOR_OTHER_JOB,
        reason="waits for job j9",
    )
    outcomes = run([blocked, in_sync, waits])

    assert results(outcomes) == {"b": "blocked", "s": "in-sync", "w": "held"}
    assert error_of(outcomes, "w") == "waits for job j9; run apply again after it"
    assert platform.log == []


def test_a_job_already_running_is_watched_not_sent_again(
    run: Runner, platform: Platform, clock: FakeClock
) -> None:
    platform.jobs["j1"] = Job("j1", "a", "a", Mode.MOVE, clock(), clock() + 3, False, True)
    running = replace(
        item("a", "a"), action=Action.IN_FLIGHT, reason_code=ReasonCode.JOB_ACTIVE, job_id="j1"
    )
    outcomes = run([running])

    assert results(outcomes) == {"a": "completed"}
    assert platform.calls("create") == 0


# ---- moves wait for the copies of their file -----------------------------------------------


def test_a_move_is_sent_only_once_every_copy_of_its_file_completed(
    run: Runner, platform: Platform
) -> None:
    outcomes = run(
        [item("f", "moved"), item("f", "copy1", Mode.COPY), item("f", "copy2", Mode.COPY)]
    )

    assert [str(o.result) for o in outcomes] == ["completed"] * 3
    copy_call, move_call = platform.create_times()
    assert move_call - copy_call >= JOB_SECONDS
    assert [n for _, call, n in platform.log if call == "create"] == [2, 1]


def test_a_partial_call_of_moves_waits_while_other_moves_wait_for_their_copies(
    run: Runner, platform: Platform
) -> None:
    outcomes = run([item("f", "moved"), item("f", "copy", Mode.COPY), item("g", "g")])

    assert [str(o.result) for o in outcomes] == ["completed"] * 3
    # g could go at once, but alone: it waits to share the call of f's move.
    assert [n for _, call, n in platform.log if call == "create"] == [1, 2]


def test_a_copy_completed_without_a_result_lets_its_moves_go(
    run: Runner, platform: Platform
) -> None:
    platform.results_given = False
    outcomes = run([item("f", "moved"), item("f", "copy", Mode.COPY)])

    assert [str(o.result) for o in outcomes] == ["completed"] * 2
    assert platform.calls("create") == 2


def test_a_move_whose_copy_failed_is_held_and_never_sent(run: Runner, platform: Platform) -> None:
    platform.failing_files.add("f")
    outcomes = run([item("f", "moved"), item("f", "copy", Mode.COPY)])

    by_mode = {o.item.mode: o for o in outcomes}
    assert by_mode[Mode.COPY].result is Result.FAILED
    assert by_mode[Mode.COPY].error == "job FAILED: disk full (error)"
    assert by_mode[Mode.MOVE].result is Result.HELD
    assert by_mode[Mode.MOVE].error == "not moved: the copy to o/vol:copy did not complete"
    assert [n for _, call, n in platform.log if call == "create"] == [1]


def test_a_move_whose_copy_was_refused_is_held(run: Runner, platform: Platform) -> None:
    platform.creates.append("refuse")
    outcomes = run([item("f", "moved"), item("f", "copy", Mode.COPY)])

    by_mode = {o.item.mode: o for o in outcomes}
    assert by_mode[Mode.COPY].result is Result.FAILED
    assert by_mode[Mode.COPY].error == "refused: no (HTTP 400)"
    assert by_mode[Mode.MOVE].result is Result.HELD
    assert platform.calls("create") == 1


# ---- the deadline --------------------------------------------------------------------------


def test_at_the_deadline_jobs_still_running_are_reported_running_and_their_moves_held(
    run: Runner, platform: Platform, clock: FakeClock
) -> None:
    platform.job_seconds = 10_000
    outcomes = run(
        [item("f", "moved"), item("f", "copy", Mode.COPY), item("g", "g")],
        settings=replace(SETTINGS, wait_timeout=60),
    )

    by_location = {o.item.destination.location: o for o in outcomes}
    for location in ("copy", "g"):
        assert by_location[location].result is Result.RUNNING
        assert "still running after --wait-timeout 60s" in (by_location[location].error or "")
    assert by_location["moved"].result is Result.HELD
    assert by_location["moved"].error == "not moved: the copy to o/vol:copy did not complete"
    assert clock() - run.started == pytest.approx(60)
    assert platform.calls("create") == 2  # the copy and g; never the held move


# ---- answers that cannot be taken at their word --------------------------------------------


def test_a_call_that_failed_before_it_was_sent_fails_its_items_without_re_reading(
    run: Runner, platform: Platform
) -> None:
    platform.creates.append("unsent")
    outcomes = run(moves(2))

    assert results(outcomes) == {"m0": "failed", "m1": "failed"}
    assert error_of(outcomes, "m0") == (
        "not sent (connection refused); nothing was created: run again"
    )
    assert platform.calls("create") == 1
    assert platform.calls("list_exports") == platform.calls("get_files") == 0


def _same_job_twice(answers: Answers) -> Answers:
    return [answers[0], answers[0]]


def _swapped(answers: Answers) -> Answers:
    return [answers[1], answers[0]]


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (_same_job_twice, "the create answer gave job job-1 for 2 items"),
        (_swapped, "job job-2 (RUNNING) exports file m1 to o/vol:m/1"),
    ],
    ids=["one-job-for-two-items", "another-files-job"],
)
def test_an_ambiguous_answer_leaves_its_items_unknown(
    run: Runner, platform: Platform, tamper: Callable[[Answers], Answers], problem: str
) -> None:
    platform.creates.append(tamper)
    outcomes = run(moves(2))

    assert results(outcomes) == {"m0": "unknown", "m1": "unknown"}
    assert error_of(outcomes, "m0") == (
        f"ambiguous answer: {problem}; a re-run reads the platform before sending anything"
    )
    assert platform.calls("create") == 1


def test_an_answer_giving_a_job_another_item_has_is_ambiguous(
    run: Runner, platform: Platform, clock: FakeClock
) -> None:
    platform.jobs["job-0"] = Job("job-0", "f", "d", Mode.MOVE, clock(), clock() + 3, False, True)
    watched = replace(
        item("f", "d"), action=Action.IN_FLIGHT, reason_code=ReasonCode.JOB_ACTIVE, job_id="job-0"
    )
    again = item("f", "d")  # the same export a second time (a plan never holds it twice)
    platform.creates.append(lambda answers: [platform.export(platform.jobs["job-0"], clock())])
    outcomes = run([watched, again])

    assert [str(o.result) for o in outcomes] == ["completed", "unknown"]
    assert outcomes[1].error == (
        "ambiguous answer: the create answer gave job job-0, which is another item's; "
        "a re-run reads the platform before sending anything"
    )


def test_a_job_that_cannot_be_read_any_more_leaves_its_item_unknown(
    run: Runner, platform: Platform
) -> None:
    def forget_the_jobs(answers: Answers) -> Answers:
        platform.jobs.clear()
        return answers

    platform.creates.append(forget_the_jobs)
    outcomes = run(moves(1))

    assert results(outcomes) == {"m0": "unknown"}
    assert error_of(outcomes, "m0") == "job job-1 cannot be read: not found (HTTP 404)"


# ---- results that do not say enough --------------------------------------------------------


def test_completed_jobs_without_a_result_are_confirmed_from_files_and_objects(
    run: Runner, platform: Platform
) -> None:
    platform.results_given = False
    outcomes = run(moves(2) + copies(2))

    assert set(results(outcomes).values()) == {"completed"}
    assert platform.calls("get_files") == 1  # both moves in one bulk get
    assert platform.calls("get_object") == 2  # one per copy


def test_a_confirmation_that_cannot_read_leaves_the_items_unknown(
    run: Runner, platform: Platform
) -> None:
    platform.results_given = False
    platform.reads_fail = True
    outcomes = run(moves(1))

    assert results(outcomes) == {"m0": "unknown"}
    assert error_of(outcomes, "m0").startswith("job COMPLETED; confirming failed: ")


# ---- interruption --------------------------------------------------------------------------


def test_ctrl_c_says_what_goes_on_without_the_engine(run: Runner, clock: FakeClock) -> None:
    stream = io.StringIO()

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    clock.sleep = interrupted  # type: ignore[method-assign]
    progress = Progress(2, stream=stream, clock=clock, interactive=False)
    with pytest.raises(KeyboardInterrupt):
        run(moves(2), progress=progress)

    assert stream.getvalue().splitlines()[-1] == (
        "interrupted: 2 export jobs still running on the platform; they go on without "
        "reconciler, and the next apply picks them up"
    )


# ---- an earlier run's journal --------------------------------------------------------------


def test_jobs_the_journal_knows_are_looked_up_by_id_not_sent_again(
    run: Runner, platform: Platform, clock: FakeClock
) -> None:
    items = moves(2)
    platform.jobs["old-1"] = Job("old-1", "m0", "m/0", Mode.MOVE, clock(), clock() + 3, False, True)
    platform.jobs["old-2"] = Job("old-2", "m1", "m/1", Mode.MOVE, clock(), clock(), False, True)
    history = JournalHistory(open_jobs={"old-1": target(items[0]), "old-2": target(items[1])})
    outcomes = run(items, history=history)

    assert results(outcomes) == {"m0": "completed", "m1": "completed"}
    assert [o.job_id for o in outcomes] == ["old-1", "old-2"]
    assert platform.calls("create") == 0


def test_a_call_a_killed_run_left_unanswered_is_sent_again_only_once_it_is_too_old_to_land(
    run: Runner, platform: Platform, clock: FakeClock
) -> None:
    items = moves(1)
    wall_now = 5_000_000.0
    run.wall_clock = lambda: wall_now + (clock() - run.started)
    history = JournalHistory(uncertain={target(items[0]): wall_now - 10})  # sent 10 s ago
    outcomes = run(items, history=history)

    assert results(outcomes) == {"m0": "completed"}
    assert platform.create_times() == [run.started + GRACE + MARGIN - 10]
    assert platform.log[0] == (run.started, "list_exports", 0)  # re-read at once


# ---- lost answers --------------------------------------------------------------------------


def test_a_lost_answer_is_re_read_at_once_and_the_jobs_found_are_adopted(
    run: Runner, platform: Platform
) -> None:
    platform.creates.append("lost")
    outcomes = run(moves(3))

    assert results(outcomes) == {"m0": "completed", "m1": "completed", "m2": "completed"}
    assert [o.job_id for o in outcomes] == ["job-1", "job-2", "job-3"]
    assert platform.calls("create") == 1
    (sent,) = platform.create_times()
    assert platform.log[1] == (sent, "list_exports", 0)  # no wait before the re-read


def test_what_a_lost_answer_did_not_create_is_sent_again_only_after_read_timeout_and_margin(
    run: Runner, platform: Platform
) -> None:
    platform.creates.extend(["answer", "dropped"])  # the copy is answered, the moves not
    outcomes = run(copies(1) + moves(2))

    assert set(results(outcomes).values()) == {"completed"}
    copy_sent, lost_sent, sent_again = platform.create_times()
    assert sent_again - lost_sent == pytest.approx(GRACE + MARGIN)
    # The run went on meanwhile: the copy was polled to its end before the moves went again.
    copy_done = next(o for o in outcomes if o.item.mode is Mode.COPY)
    assert copy_done.result is Result.COMPLETED
    polls = [at for at, call, _ in platform.log if call == "get_exports"]
    assert any(copy_sent + JOB_SECONDS <= at < sent_again for at in polls)


def test_a_lost_call_that_lands_late_is_adopted_at_the_second_read_not_sent_again(
    run: Runner, platform: Platform
) -> None:
    platform.creates.append("lost-late")  # committed 2 s after the client gave up
    platform.job_seconds = 100
    outcomes = run(moves(1))

    assert results(outcomes) == {"m0": "completed"}
    assert outcomes[0].job_id == "job-1"
    assert platform.calls("create") == 1
    assert platform.calls("list_exports") == 4  # PENDING and RUNNING, at once and when due


@pytest.mark.parametrize("mode", [Mode.MOVE, Mode.COPY])
def test_a_lost_call_whose_jobs_already_finished_when_re_read_counts_as_done(
    run: Runner, platform: Platform, mode: Mode
) -> None:
    platform.creates.append("lost-late")
    platform.job_seconds = 1  # landed 2 s late, done 1 s later: long before the second read
    outcomes = run([item("f", "d", mode)])

    assert results(outcomes) == {"f": "completed"}
    assert outcomes[0].object_size == 10
    assert outcomes[0].job_id is None  # known by its effect: the alias, or the object
    assert platform.calls("create") == 1


def test_an_item_whose_creates_all_went_unanswered_is_given_up_after_three(
    run: Runner, platform: Platform
) -> None:
    platform.creates.extend(["dropped"] * 3)
    outcomes = run(moves(1))

    assert results(outcomes) == {"m0": "unknown"}
    assert error_of(outcomes, "m0") == "3 create calls went unanswered"
    first = platform.create_times()[0]
    assert platform.create_times() == pytest.approx(
        [first, first + GRACE + MARGIN, first + 2 * (GRACE + MARGIN)]
    )


def test_a_lost_answer_that_cannot_be_re_read_is_tried_again_when_due_then_unknown(
    run: Runner, platform: Platform
) -> None:
    platform.creates.append("dropped")
    platform.reads_fail = True
    outcomes = run(moves(1))

    assert results(outcomes) == {"m0": "unknown"}
    assert error_of(outcomes, "m0").startswith(
        "the create call's answer was lost and re-reading failed (service unavailable"
    )
    (sent,) = platform.create_times()
    reads = [at for at, call, _ in platform.log if call == "list_exports"]
    assert reads == [sent, sent + GRACE + MARGIN]


def test_a_lost_answer_not_resolved_by_the_deadline_is_unknown(
    run: Runner, platform: Platform, clock: FakeClock
) -> None:
    platform.creates.append("dropped")
    outcomes = run(moves(1), settings=replace(SETTINGS, wait_timeout=20))

    assert results(outcomes) == {"m0": "unknown"}
    assert error_of(outcomes, "m0") == (
        "the create call's answer was lost and the platform did not show the job before "
        "--wait-timeout 20s; a re-run reads the platform before sending anything"
    )
    assert platform.calls("create") == 1
    assert clock() - run.started == pytest.approx(20)


def test_lost_answers_with_calls_via_workers(run: Runner, platform: Platform) -> None:
    platform.creates.extend(["answer", "lost", "dropped"])
    outcomes = run(copies(150) + moves(100), settings=replace(SETTINGS, creates_in_flight=4))

    assert set(results(outcomes).values()) == {"completed"}
    # 100 copies, 50 copies (lost, adopted), 100 moves (dropped, sent again once)
    assert [n for _, call, n in platform.log if call == "create"] == [100, 50, 100, 100]
