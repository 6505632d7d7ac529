"""The ticker and the heartbeat of a step without counts (`reconciler/ticker.py`)."""

from __future__ import annotations

import io
import threading
import time

from reconciler.ticker import Ticker, _Heartbeat, clock_time, working


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_in_ci_a_long_step_is_named_once_then_a_line_every_few_seconds() -> None:
    stream, clock = io.StringIO(), Clock()
    beat = _Heartbeat(
        "writing plan.json...", stream, interactive=False, clock=clock, quiet=1.0, every=8.0
    )
    for _ in range(80):  # 40 s in ticks of half a second
        clock.now += 0.5
        beat.tick()
    beat.end()
    assert stream.getvalue().splitlines() == [
        "writing plan.json...",
        "writing plan.json... (9s)",
        "writing plan.json... (17s)",
        "writing plan.json... (25s)",
        "writing plan.json... (33s)",
    ]


def test_on_a_terminal_the_spinner_and_the_seconds_move_then_the_line_is_cleared() -> None:
    stream, clock = io.StringIO(), Clock()
    beat = _Heartbeat(
        "writing plan.json...", stream, interactive=True, clock=clock, quiet=1.0, every=8.0
    )
    for _ in range(8):
        clock.now += 0.5
        beat.tick()
    beat.end()
    frames = stream.getvalue().split("\r\x1b[2K")[1:]
    assert frames[:3] == [
        "| writing plan.json... 0:01",
        "/ writing plan.json... 0:01",
        "- writing plan.json... 0:02",
    ]
    assert frames[-1] == ""  # cleared: what follows starts on a clean line


def test_a_short_step_says_nothing() -> None:
    stream = io.StringIO()
    with working("writing plan.json...", stream=stream, interactive=False, quiet=60.0):
        pass
    assert stream.getvalue() == ""


def test_working_ticks_from_its_own_thread_and_stops_with_the_block() -> None:
    stream = io.StringIO()
    with working("writing x...", stream=stream, interactive=True, quiet=0.0):
        deadline = time.monotonic() + 10
        while stream.getvalue().count("\r") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert stream.getvalue().startswith("\r\x1b[2K| writing x... 0:00")
    assert not any(t.name == "reconciler-working" for t in threading.enumerate())


def test_a_closed_stream_ends_the_ticker_quietly() -> None:
    calls: list[int] = []

    def tick() -> None:
        calls.append(1)
        raise ValueError("I/O operation on closed file")

    ticker = Ticker(tick, every=0.01, name="t").start()
    ticker._thread.join(timeout=10)
    assert calls == [1] and not ticker._thread.is_alive()
    ticker.stop()


def test_clock_time_counts_whole_seconds() -> None:
    assert [clock_time(s) for s in (0, 59.9, 61, 3600)] == ["0:00", "0:59", "1:01", "1:00:00"]
