"""Guards (sizes, smallest limit) and the progress display, with an injected clock."""

from __future__ import annotations

import io
import re
import threading
import time
from typing import Any

import pytest

from reconciler.apply.guards import parse_size, smallest
from reconciler.apply.progress import Counts, Progress
from reconciler.apply.tally import Tally
from reconciler.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "size"),
    [("500GB", 500 * 10**9), ("1.5TiB", int(1.5 * 2**40)), ("1024", 1024), (" 2KB ", 2000)],
)
def test_sizes_parse_like_the_manifest_guards(text: str, size: int) -> None:
    assert parse_size(text) == size


def test_a_bad_size_names_the_value() -> None:
    with pytest.raises(ConfigError, match="--max-bytes 'lots': not a size"):
        parse_size("lots")


def test_the_smallest_limit_wins() -> None:
    assert smallest(None, 5, 3) == 3 and smallest(None, None) is None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ci_progress_is_a_line_every_few_seconds() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(10, stream=stream, clock=clock, interactive=False)

    progress.update(Counts(done=1, in_flight=9, failed=0))
    clock.now += 1
    progress.update(Counts(done=2, in_flight=8, failed=0, eta=30))  # too soon: not shown
    clock.now += 5
    progress.update(Counts(done=5, in_flight=4, failed=1, eta=20.4))
    progress.finish(Counts(done=10, in_flight=0, failed=1))
    progress.finish(Counts(done=10, in_flight=0, failed=1))  # the final line comes once

    lines = stream.getvalue().splitlines()
    assert lines == [
        "apply: 1/10 done, 9 in flight, 0 failed, 0s elapsed, ETA --:--; waiting for 9 export jobs",
        "apply: 5/10 done, 4 in flight, 1 failed, 6s elapsed, ETA 0:20; waiting for 4 export jobs",
        "apply: 10/10 done, 0 in flight, 1 failed, 6s elapsed, ETA 0:00",
    ]


def test_side_by_side_each_platform_s_lines_say_which_it_is() -> None:
    stream = io.StringIO()
    progress = Progress(3, stream=stream, clock=Clock(), interactive=False, label="cgc")
    progress.finish(Counts(done=3, in_flight=0, failed=0))
    assert stream.getvalue().startswith("cgc: apply: 3/3 done")


def test_a_terminal_gets_one_redrawn_bar_with_elapsed_time_and_eta() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(4, stream=stream, clock=clock, interactive=True)

    clock.now += 2
    progress.update(Counts(done=1, in_flight=3, failed=0, eta=75))
    clock.now += 70
    progress.finish(Counts(done=4, in_flight=0, failed=0))
    progress.finish(Counts(done=4, in_flight=0, failed=0))

    text = stream.getvalue()
    assert text.count("\r\x1b[2K") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert (
        "[######..................] 1/4 done, 3 in flight, 0 failed, 0:02 elapsed, ETA 1:15" in text
    )
    assert text.endswith("4/4 done, 0 in flight, 0 failed, 1:12 elapsed, ETA 0:00\n")


def test_ctrl_c_ends_the_bar_line_and_counts_the_jobs_left_running() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(300, stream=stream, clock=clock, interactive=True)
    progress.update(Counts(done=100, in_flight=200, failed=0, eta=20))

    progress.interrupted(running=200, unanswered=0)
    progress.finish(Counts(done=100, in_flight=200, failed=0))  # nothing after that

    bar, message = stream.getvalue().split("\n")[:2]
    assert bar.startswith("\r\x1b[2K| [########") and "ETA 0:20" in bar
    assert message == (
        "interrupted: 200 export jobs still running on the platform; they go on without "
        "reconciler, and the next apply picks them up"
    )
    assert stream.getvalue().endswith(message + "\n")


def test_on_a_terminal_every_tick_moves_the_elapsed_time_the_spinner_and_the_eta() -> None:
    """Nothing changes for a minute while a job runs: the bar still moves every tick."""
    stream, clock = io.StringIO(), Clock()
    progress = Progress(1, stream=stream, clock=clock, interactive=True)
    progress.update(Counts(done=0, in_flight=1, failed=0, eta=60))
    for _ in range(60):
        clock.now += 1
        progress.tick()

    frames = stream.getvalue().split("\r\x1b[2K")[1:]
    assert len(frames) == 61
    elapsed = [re.search(r"(\d+:\d\d) elapsed, ETA (\d+:\d\d)", f).groups() for f in frames]  # type: ignore[union-attr]
    assert [e for e, _ in elapsed] == [f"{s // 60}:{s % 60:02d}" for s in range(61)]
    assert elapsed[30][1] == "0:30" and elapsed[-1][1] == "0:00"  # the ETA counts down
    assert len({f[0] for f in frames}) == 4  # the spinner turns


def test_in_ci_a_tick_writes_a_line_when_none_was_written_for_a_while() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(2, stream=stream, clock=clock, interactive=False)
    progress.tick()  # before the engine's first counts: nothing to say
    progress.update(Counts(done=0, in_flight=2, failed=0))
    for _ in range(20):
        clock.now += 1
        progress.tick()

    lines = stream.getvalue().splitlines()
    assert [re.search(r"(\d+)s elapsed", line).group(1) for line in lines] == [  # type: ignore[union-attr]
        "0",
        "5",
        "10",
        "15",
        "20",
    ]
    assert all(line.endswith("; waiting for 2 export jobs") for line in lines)


def test_a_wait_for_the_rate_limit_is_said_at_once_then_counted_down() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(3, stream=stream, clock=clock, interactive=False)
    progress.update(Counts(done=1, in_flight=0, failed=0))
    clock.now += 1
    progress.waiting(30.0, "rate limit budget spent: waiting 30s for the reset")
    clock.now += 10
    progress.tick()
    clock.now += 25
    progress.tick()

    lines = stream.getvalue().splitlines()
    assert lines[1] == "rate limit budget spent: waiting 30s for the reset"
    assert lines[2].endswith("; waiting for the rate limit (30s left)")
    assert lines[3].endswith("; waiting for the rate limit (20s left)")
    assert "waiting" not in lines[4]  # the wait is over


def test_the_engine_never_waits_for_the_ticker() -> None:
    """While the ticker's thread draws (here: holds the drawing lock), an update returns at
    once and its counts are drawn at the next tick."""
    stream, clock = io.StringIO(), Clock()
    progress = Progress(2, stream=stream, clock=clock, interactive=False)
    with progress._drawing:
        progress.update(Counts(done=1, in_flight=1, failed=0))
    assert stream.getvalue() == ""
    progress.tick()
    assert stream.getvalue().startswith("apply: 1/2 done")


def test_once_every_item_is_done_the_ticker_leaves_the_final_state_to_finish() -> None:
    """The final state is drawn once (a redrawn "2/2 done" would repeat in a log)."""
    stream, clock = io.StringIO(), Clock()
    progress = Progress(2, stream=stream, clock=clock, interactive=False)
    progress.update(Counts(done=2, in_flight=0, failed=0))
    clock.now += 30
    progress.tick()
    progress.finish(Counts(done=2, in_flight=0, failed=0))
    assert stream.getvalue().count("2/2 done") == 1


def test_a_wait_told_while_the_ticker_draws_is_said_at_its_next_tick() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = Progress(2, stream=stream, clock=clock, interactive=True)
    progress.update(Counts(done=0, in_flight=2, failed=0))
    with progress._drawing:
        progress.waiting(12.0, "rate limit budget spent: waiting 12s for the reset")
    assert "rate limit" not in stream.getvalue()
    clock.now += 2
    progress.tick()
    text = stream.getvalue()
    assert "\r\x1b[2Krate limit budget spent: waiting 12s for the reset\n" in text
    assert text.endswith("waiting for the rate limit (10s left)")


def test_ticking_draws_from_a_thread_and_stops_when_the_block_ends() -> None:
    stream = io.StringIO()
    progress = Progress(2, stream=stream, clock=time.monotonic, interactive=True)
    progress.update(Counts(done=0, in_flight=2, failed=0))
    with progress.ticking(every=0.01):
        deadline = time.monotonic() + 10
        while stream.getvalue().count("\r") < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    drawn = stream.getvalue().count("\r")
    assert drawn >= 4
    time.sleep(0.05)
    assert stream.getvalue().count("\r") == drawn
    assert not any(t.name == "reconciler-apply-progress" for t in threading.enumerate())


class _Jobs:
    """The poller as the tally sees it: jobs in flight, their typical duration, the last."""

    def __init__(self, clock: Clock, in_flight: int) -> None:
        self._clock, self._in_flight = clock, in_flight

    def __len__(self) -> int:
        return self._in_flight

    def typical_age(self) -> float:
        return 1.0

    def youngest_since(self) -> float:
        return self._clock.now


class _Results:
    def __init__(self, total: int, done: int) -> None:
        self.total, self.done, self.failed = total, done, 0


@pytest.mark.parametrize(
    ("total", "done", "in_flight", "least", "most"),
    [
        # A million items, 50,000 done in 75 s: about 24 minutes left, not one job's time.
        (1_000_000, 50_000, 1_000, 1_400.0, 1_450.0),
        # Every item out in one round: the jobs' own time (the last one just sent).
        (10, 5, 5, 1.0, 1.0),
    ],
)
def test_the_eta_follows_the_pace_of_the_run_when_many_rounds_remain(
    total: int, done: int, in_flight: int, least: float, most: float
) -> None:
    clock = Clock()
    jobs: Any = _Jobs(clock, in_flight)
    results: Any = _Results(total, done)
    tally = Tally(None, results, jobs, clock=clock)
    clock.now += 75
    eta = tally._eta()
    assert eta is not None and least <= eta <= most
