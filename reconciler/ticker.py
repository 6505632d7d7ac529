"""Output that never looks stuck: a thread that redraws on time, not only when a count moves.

`Ticker` calls a function every few tenths of a second from a daemon thread of its own until it
is stopped (waited for at most `STOP_SECONDS`, so a stream that blocks can never hold up the end
of a run). `working` is the heartbeat of a step that has no counts to show (writing a plan of a
million items): on a terminal a spinner and the elapsed time redrawn twice a second, in CI the
step named once it has lasted a second, then a line every `LINE_SECONDS` while it lasts.

Whoever draws from a ticker's thread must never make the worker wait for it: the worker's own
writes take the drawing lock only when it is free (`Progress.update`), and the ticker's thread
only writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

TICK_SECONDS = 0.5  # a terminal's line is redrawn this often: its seconds never skip one
LINE_SECONDS = 8.0  # a CI log gets a line at least this often (under 10 s apart, with margin)
STOP_SECONDS = 2.0  # a ticker's thread is waited for at most this long
QUIET_SECONDS = 1.0  # a step shorter than this says nothing
SPINNER = "|/-\\"
CLEAR = "\r\x1b[2K"


class Ticker:
    def __init__(self, tick: Callable[[], None], *, every: float = TICK_SECONDS, name: str) -> None:
        self._tick = tick
        self._every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Ticker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=STOP_SECONDS)

    def __enter__(self) -> Ticker:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._tick()
            except (OSError, ValueError):  # the stream was closed under us: nothing to say
                return


def clock_time(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour), whole seconds elapsed."""
    minutes, secs = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Heartbeat:
    """What `working` draws, from its ticker's thread."""

    def __init__(
        self,
        what: str,
        stream: TextIO,
        *,
        interactive: bool,
        clock: Callable[[], float],
        quiet: float,
        every: float,
    ) -> None:
        self.what, self.stream, self.interactive, self.clock = what, stream, interactive, clock
        self.quiet, self.every = quiet, every
        self.started = clock()
        self.frames = 0
        self.last: float | None = None  # when a line was last written (elapsed seconds)
        self.lock = threading.Lock()

    def tick(self) -> None:
        with self.lock:
            elapsed = self.clock() - self.started
            if elapsed < self.quiet:
                return
            if self.interactive:
                spinner = SPINNER[self.frames % len(SPINNER)]
                self.stream.write(f"{CLEAR}{spinner} {self.what} {clock_time(elapsed)}")
            elif self.last is None:
                self.stream.write(self.what + "\n")
            elif elapsed - self.last >= self.every:
                self.stream.write(f"{self.what} ({round(elapsed)}s)\n")
            else:
                return
            self.frames += 1
            self.last = elapsed
            self.stream.flush()

    def end(self) -> None:
        with self.lock:
            if self.interactive and self.last is not None:
                self.stream.write(CLEAR)
                self.stream.flush()


@contextmanager
def working(
    what: str,
    *,
    stream: TextIO,
    interactive: bool,
    clock: Callable[[], float] = time.monotonic,
    quiet: float = QUIET_SECONDS,
    every: float = LINE_SECONDS,
) -> Iterator[None]:
    """Say that `what` is under way while the block runs: nothing for a block shorter than
    `quiet` seconds; then on a terminal `| what 0:03` redrawn (and cleared at the end), in CI
    `what` once, and `what (16s)` every `every` seconds."""
    beat = _Heartbeat(what, stream, interactive=interactive, clock=clock, quiet=quiet, every=every)
    with Ticker(
        beat.tick, every=min(TICK_SECONDS, quiet or TICK_SECONDS), name="reconciler-working"
    ):
        yield
    beat.end()
