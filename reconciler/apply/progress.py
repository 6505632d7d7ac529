"""Progress of an apply on stderr: a live bar on a terminal, a line every few seconds in CI;
both show the elapsed time and the engine's estimate of the time left. The final state is
shown once; on Ctrl-C the bar's line is ended and the jobs left running are counted.

Time and the stream are passed in, so tests see exactly what a user would, deterministically.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

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
    ) -> None:
        self.total = total
        self._stream = stream
        self._clock = clock
        self._interactive = interactive
        self._started = clock()
        self._last_shown: float | None = None
        self._last: Counts | None = None
        self._on_line = False  # a bar is drawn and its line not ended
        self._finished = False

    def update(self, counts: Counts, *, force: bool = False) -> None:
        if self._finished:
            return
        now = self._clock()
        every = TTY_REFRESH_SECONDS if self._interactive else CI_LINE_SECONDS
        if counts == self._last and not force:
            return
        if not force and self._last_shown is not None and now - self._last_shown < every:
            return
        self._last_shown = now
        self._last = counts
        if self._interactive:
            self._stream.write("\r\x1b[2K" + self._bar(counts, now))
            self._on_line = True
        else:
            self._stream.write(self._line(counts, now) + "\n")
        self._stream.flush()

    def finish(self, counts: Counts) -> None:
        """The final state, once: drawn (unless what was just drawn already says it all),
        and on a terminal the bar's line ended."""
        if self._finished:
            return
        if counts != self._last:
            self.update(counts, force=True)
        self._end_line()
        self._finished = True

    def interrupted(self, *, running: int, unanswered: int) -> None:
        """Ctrl-C: leave the bar's line, and say what goes on without us."""
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

    def _eta(self, counts: Counts) -> str:
        if counts.done >= self.total:
            return "0:00"
        if counts.eta is None:
            return "--:--"
        return _clock_time(counts.eta)

    def _bar(self, counts: Counts, now: float) -> str:
        filled = BAR_WIDTH * counts.done // self.total if self.total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return (
            f"[{bar}] {counts.done:,}/{self.total:,} done, {counts.in_flight:,} in flight, "
            f"{counts.failed:,} failed, {_clock_time(now - self._started)} elapsed, "
            f"ETA {self._eta(counts)}"
        )

    def _line(self, counts: Counts, now: float) -> str:
        elapsed = round(now - self._started)
        return (
            f"apply: {counts.done:,}/{self.total:,} done, {counts.in_flight:,} in flight, "
            f"{counts.failed:,} failed, {elapsed}s elapsed, ETA {self._eta(counts)}"
        )


def _clock_time(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour)."""
    minutes, secs = divmod(max(0, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
