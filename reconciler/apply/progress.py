"""Progress of an apply on stderr: a live bar on a terminal, a line every few seconds in CI;
both show the elapsed time and the engine's estimate of the time left, and what the run waits
for when nothing moves (its export jobs, or the rate limit's reset, with the seconds left). The
final state is shown once; on Ctrl-C the bar's line is ended and the jobs left running are
counted.

The engine calls `update` when its counts change; `ticking()` adds a thread (`ticker.Ticker`)
that redraws on time, so the elapsed time and the spinner move every second on a terminal and a
CI log gets a line at least every `CI_LINE_SECONDS` while jobs run. The engine never waits for
that thread: its `update` draws only when the drawing lock is free, else leaves its counts for
the next tick. Time and the stream are passed in, so tests see exactly what a user would,
deterministically (`tick()` is what the thread calls).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from reconciler.ticker import SPINNER, Ticker

BAR_WIDTH = 24
TTY_REFRESH_SECONDS = 0.1  # redraw at most ten times a second
CI_LINE_SECONDS = 5.0  # logs stay short and still show that the job is alive


@dataclass(frozen=True, slots=True)
class Counts:
    done: int  # converged or finally failed: nothing more will happen to it in this run
    in_flight: int
    failed: int
    # Seconds left, as the engine estimates them from how long this run's jobs have taken;
    # None while no job has finished (shown as --:--, never a guess).
    eta: float | None = None


def is_interactive(stream: TextIO) -> bool:
    return stream.isatty() and not os.environ.get("CI")


class Progress:
    def __init__(
        self,
        total: int,
        *,
        stream: TextIO,
        clock: Callable[[], float],
        interactive: bool,
        label: str = "",
    ) -> None:
        """`label`: what the lines begin with (the platform, when several apply side by
        side and their lines interleave in one log)."""
        self.total = total
        self._stream = stream
        self._clock = clock
        self._interactive = interactive
        self._label = f"{label}: " if label else ""
        self._started = clock()
        self._last_shown: float | None = None
        self._last: Counts | None = None
        self._latest: Counts | None = None  # the engine's last counts, drawn or not
        self._eta_at: float | None = None  # when the latest counts' ETA was estimated
        self._wait_until: float | None = None  # a wait for the rate limit, while it lasts
        self._said: deque[str] = deque()  # sentences of `waiting` not written yet
        self._frame = 0  # the spinner's
        self._drawing = threading.Lock()
        self._on_line = False  # a bar is drawn and its line not ended
        self._finished = False

    def update(self, counts: Counts, *, force: bool = False) -> None:
        """The engine's counts; drawn now if due and nobody is drawing (never waited for)."""
        self._latest, self._eta_at = counts, self._clock()
        if not self._drawing.acquire(blocking=force):
            return  # the ticker's thread draws; it shows these counts at its next tick
        try:
            self._update(counts, force=force)
        finally:
            self._drawing.release()

    def _update(self, counts: Counts, *, force: bool) -> None:
        if self._finished:
            return
        now = self._clock()
        every = TTY_REFRESH_SECONDS if self._interactive else CI_LINE_SECONDS
        if counts == self._last and not force:
            return
        if not force and self._last_shown is not None and now - self._last_shown < every:
            return
        self._draw(counts, now)

    def _draw(self, counts: Counts, now: float) -> None:
        self._last_shown = now
        self._last = counts
        if self._interactive:
            self._stream.write("\r\x1b[2K" + self._bar(counts, now))
            self._on_line = True
        else:
            self._stream.write(self._line(counts, now) + "\n")
        self._stream.flush()

    def tick(self) -> None:
        """Redraw on time: on a terminal every call (the elapsed time and the spinner move),
        in CI a line when none was written for `CI_LINE_SECONDS`; what the ticker's thread
        calls."""
        with self._drawing:
            self._say_queued()
            counts = self._latest
            # Every item done: the final state is drawn once, by `finish`, which comes next.
            if self._finished or counts is None or counts.done >= self.total:
                return
            now = self._clock()
            self._frame += 1
            if self._interactive or (
                self._last_shown is None or now - self._last_shown >= CI_LINE_SECONDS
            ):
                self._draw(counts, now)

    @contextmanager
    def ticking(self, every: float | None = None) -> Iterator[Progress]:
        """Tick from a thread of its own while inside: twice a second on a terminal, once a
        second in CI (a line goes out only every `CI_LINE_SECONDS`)."""
        period = every if every is not None else (0.5 if self._interactive else 1.0)
        with Ticker(self.tick, every=period, name="reconciler-apply-progress"):
            yield self

    def waiting(self, seconds: float, sentence: str) -> None:
        """The transport's listener: calls wait `seconds` for the rate limit. Said on a line
        of its own, at once unless the ticker's thread is drawing (then at its next tick: the
        caller, a worker, never waits for it); the progress counts it down while it lasts."""
        self._wait_until = self._clock() + seconds
        self._said.append(sentence)
        if self._drawing.acquire(blocking=False):
            try:
                self._say_queued()
                if self._latest is not None and not self._finished:
                    self._draw(self._latest, self._clock())
            finally:
                self._drawing.release()

    def _say_queued(self) -> None:
        """Write the sentences queued by `waiting` (with the drawing lock held)."""
        while self._said:
            sentence = self._said.popleft()
            if self._finished:
                continue
            if self._on_line:
                self._stream.write("\r\x1b[2K")
                self._on_line = False
            self._stream.write(sentence + "\n")
            self._stream.flush()

    def finish(self, counts: Counts) -> None:
        """The final state, once: drawn (unless what was just drawn already says it all),
        and on a terminal the bar's line ended."""
        with self._drawing:
            if self._finished:
                return
            self._latest = counts
            self._wait_until = None
            if counts != self._last:
                self._update(counts, force=True)
            self._end_line()
            self._finished = True

    def interrupted(self, *, running: int, unanswered: int) -> None:
        """Ctrl-C: leave the bar's line, and say what goes on without us."""
        with self._drawing:
            self._end_line()
            self._finished = True
            jobs = f"{running} export job{'s' if running != 1 else ''}"
            message = f"interrupted: {jobs} still running on the platform"
            if unanswered:
                message += f" (and {unanswered} items of create calls still unanswered)"
            message += "; they go on without reconciler, and the next apply picks them up"
            self._stream.write(message + "\n")
            self._stream.flush()

    def _end_line(self) -> None:
        if self._on_line:
            self._stream.write("\n")
            self._stream.flush()
            self._on_line = False

    def _eta(self, counts: Counts, now: float) -> str:
        if counts.done >= self.total:
            return "0:00"
        if counts.eta is None:
            return "--:--"
        # Counted down between the engine's estimates, which come only when a count moves.
        since = now - self._eta_at if self._eta_at is not None and counts is self._latest else 0
        return _clock_time(max(0.0, counts.eta - since))

    def _waiting_for(self, counts: Counts, now: float) -> str:
        """What the run waits for now, when it is worth saying (a wait for the rate limit;
        in CI, the jobs in flight too); empty otherwise."""
        if self._wait_until is not None and self._wait_until > now:
            return f"waiting for the rate limit ({round(self._wait_until - now)}s left)"
        if not self._interactive and counts.in_flight and counts.done < self.total:
            jobs = counts.in_flight
            return f"waiting for {jobs:,} export job{'s' if jobs != 1 else ''}"
        return ""

    def _bar(self, counts: Counts, now: float) -> str:
        filled = BAR_WIDTH * counts.done // self.total if self.total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        spinner = SPINNER[self._frame % len(SPINNER)] if counts.done < self.total else " "
        waiting = self._waiting_for(counts, now)
        return (
            f"{spinner} [{bar}] {counts.done:,}/{self.total:,} done, "
            f"{counts.in_flight:,} in flight, {counts.failed:,} failed, "
            f"{_clock_time(now - self._started)} elapsed, ETA {self._eta(counts, now)}"
            + (f", {waiting}" if waiting else "")
        )

    def _line(self, counts: Counts, now: float) -> str:
        elapsed = round(now - self._started)
        waiting = self._waiting_for(counts, now)
        return (
            f"{self._label}apply: {counts.done:,}/{self.total:,} done, "
            f"{counts.in_flight:,} in flight, {counts.failed:,} failed, {elapsed}s elapsed, "
            f"ETA {self._eta(counts, now)}" + (f"; {waiting}" if waiting else "")
        )


def _clock_time(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour)."""
    minutes, secs = divmod(max(0, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
