"""Progress of an apply on stderr: a live bar on a terminal, a line every few seconds in CI.

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

    def update(self, counts: Counts, *, force: bool = False) -> None:
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
        else:
            self._stream.write(self._line(counts, now) + "\n")
        self._stream.flush()

    def finish(self, counts: Counts) -> None:
        self.update(counts, force=True)
        if self._interactive:
            self._stream.write("\n")
            self._stream.flush()

    def _eta(self, counts: Counts, now: float) -> str:
        elapsed = now - self._started
        if counts.done == 0 or elapsed <= 0 or counts.done >= self.total:
            return "--:--" if counts.done < self.total else "0:00"
        remaining = elapsed / counts.done * (self.total - counts.done)
        minutes, seconds = divmod(round(remaining), 60)
        return f"{minutes}:{seconds:02d}"

    def _bar(self, counts: Counts, now: float) -> str:
        filled = BAR_WIDTH * counts.done // self.total if self.total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        return (
            f"[{bar}] {counts.done}/{self.total} done, {counts.in_flight} in flight, "
            f"{counts.failed} failed, ETA {self._eta(counts, now)}"
        )

    def _line(self, counts: Counts, now: float) -> str:
        elapsed = round(now - self._started)
        return (
            f"apply: {counts.done}/{self.total} done, {counts.in_flight} in flight, "
            f"{counts.failed} failed, {elapsed}s elapsed, ETA {self._eta(counts, now)}"
        )
