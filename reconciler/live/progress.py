"""What a reading tells the person waiting for it, on stderr: what it will cost (said once,
before the first listing), then how far it is (folders listed of those known, files seen,
requests made, the time elapsed, a wait for the rate limit while it lasts), and any fallback
from the file search to listing.

The reading's threads only count (under a lock) and queue what is to be said; one thread of
the watch's own writes, every `every` seconds (a line each time, in CI) or redraws one line
(on a terminal), also when nothing changed (the elapsed time moves), and at once when a wait
for the rate limit begins. A watch without a stream counts and says nothing; its warnings go
to the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from reconciler.api.client import ApiClient
from reconciler.ticker import SPINNER

logger = logging.getLogger(__name__)

LINE_SECONDS = 8.0  # a line this often in CI: logs stay short and show the job is alive; under
# 10 s apart even when a loaded machine wakes the writing thread late
REDRAW_SECONDS = 0.5  # on a terminal, the one line is redrawn this often: no second skipped
STOP_SECONDS = 5.0  # the writing thread is waited for at most this long at the end
_CLEAR = "\r\x1b[2K"


@dataclass(frozen=True, slots=True)
class Counts:
    """A moment of a reading, as its progress line shows it."""

    listed: int  # folders listed (every page)
    known: int  # folders known to list: the estimate, or more once the walk has found more
    files: int  # files seen, by listing or confirmed from a search
    searched: int  # files the search named (candidates, each to be confirmed by bulk get)
    confirmed: int  # of those, how many the bulk gets have answered for so far
    requests: int  # requests made since the reading began
    elapsed: float  # seconds
    waiting: float | None  # seconds left of a wait for the rate limit, if one is on


class ReadWatch:
    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        interactive: bool = False,
        label: str = "",
        every: float | None = None,
    ) -> None:
        """`stream`: where lines go (None: nowhere); `warn`: how a warning is said (default:
        the log); `label`: what the lines begin with (the platform, when several are read);
        `every`: seconds between lines (default: REDRAW_SECONDS on a terminal, LINE_SECONDS
        elsewhere)."""
        self._stream = stream
        self._warn = warn or logger.warning
        self._clock = clock
        self._interactive = interactive and stream is not None
        self._label = f"{label}: " if label else ""
        self._every = (
            every if every is not None else (REDRAW_SECONDS if self._interactive else LINE_SECONDS)
        )
        self._lock = threading.Lock()
        self._writing = threading.Lock()  # the writing thread and `flush` take turns
        self._listed = 0
        self._queued = 0
        self._expected = 0
        self._files = 0
        self._searched = 0
        self._confirmed = 0
        self._started = clock()
        self._wait_until: float | None = None
        self._client: ApiClient | None = None
        self._requests_before = 0
        self._said: deque[tuple[bool, str]] = deque()  # (is a warning, text), to be written
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._on_line = False  # a redrawn line is on the terminal, not ended
        self._lines = 0  # progress lines written

    # ---- counting: called from the reading's threads; never writes -----------------------

    def to_list(self, folders: int) -> None:
        """`folders` more folders were found that the walk will list."""
        with self._lock:
            self._queued += folders

    def listed(self, *, files: int) -> None:
        """One folder was listed, every page of it; `files` of its children are files."""
        with self._lock:
            self._listed += 1
            self._queued = max(0, self._queued - 1)
            self._files += files

    def searched(self, candidates: int) -> None:
        """A page of a search named `candidates` more files, to be confirmed."""
        with self._lock:
            self._searched += candidates

    def confirming(self, answered: int) -> None:
        """The bulk gets answered for `answered` more of the search's candidates."""
        with self._lock:
            self._confirmed += answered

    def found(self, files: int) -> None:
        """A search found `files` files, each confirmed by bulk get."""
        with self._lock:
            self._files += files

    def expect(self, folders: int) -> None:
        """The estimate: `folders` folders to list in all (more may be found)."""
        with self._lock:
            self._expected = max(self._expected, folders)

    @property
    def speaks(self) -> bool:
        """Whether anyone hears this watch (a silent one costs no estimate)."""
        return self._stream is not None

    def say(self, line: str) -> None:
        self._queue(False, self._label + line)

    def warn(self, message: str) -> None:
        self._queue(True, message)

    def flush(self) -> None:
        """Write what is queued now, from the calling thread: what must be read before the
        next step begins (the estimate, before the first listing), not when the writing
        thread next wakes."""
        self._write_queued()

    def waiting(self, seconds: float, sentence: str) -> None:
        """The transport's listener: calls wait `seconds` for the rate limit."""
        with self._lock:
            self._wait_until = self._clock() + seconds
        self.say(sentence)

    def _queue(self, warning: bool, text: str) -> None:
        if self._stream is None:
            if warning:
                self._warn(text)
            return
        with self._lock:
            self._said.append((warning, text))
        self._wake.set()

    # ---- the reading ---------------------------------------------------------------------

    @contextmanager
    def reading(self, client: ApiClient) -> Iterator[ReadWatch]:
        """Watch a reading through `client`: count its requests, carry its waits for the
        rate limit, and (with a stream) write its progress until it ends."""
        self._client = client
        self._requests_before = client.stats.total
        self._started = self._clock()
        if self._stream is None:  # nobody to tell: the transport logs its waits itself
            yield self
            return
        with client.transport.waits_told_to(self.waiting):
            self._thread = threading.Thread(
                target=self._run, name="reconciler-read-progress", daemon=True
            )
            self._thread.start()
            try:
                yield self
            finally:
                self._stop.set()
                self._wake.set()
                self._thread.join(timeout=STOP_SECONDS)
                self._finish()

    def counts(self) -> Counts:
        now = self._clock()
        requests = self._client.stats.total - self._requests_before if self._client else 0
        with self._lock:
            waiting = self._wait_until - now if self._wait_until is not None else None
            return Counts(
                listed=self._listed,
                known=max(self._expected, self._listed + self._queued),
                files=self._files,
                searched=self._searched,
                confirmed=self._confirmed,
                requests=requests,
                elapsed=now - self._started,
                waiting=waiting if waiting is not None and waiting > 0 else None,
            )

    def line(self) -> str:
        """The progress line of this moment."""
        counts = self.counts()
        parts = []
        # A reading by search alone lists no folder: "0 of 0 folders listed" would say
        # nothing moves while the bulk gets confirm a million candidates.
        if counts.known or counts.listed or not counts.searched:
            parts.append(f"{counts.listed:,} of {counts.known:,} folders listed")
        if counts.searched:
            parts.append(f"{counts.confirmed:,} of {counts.searched:,} search results confirmed")
        parts += [
            f"{counts.files:,} files seen",
            f"{counts.requests:,} requests",
            f"{span(counts.elapsed)} elapsed",
        ]
        text = f"{self._label}reading: " + ", ".join(parts)
        if counts.waiting is not None:
            text += f", waiting for the rate limit ({span(counts.waiting)} left)"
        return text

    def tick(self) -> None:
        """Write what is queued, then the progress line: what the writing thread does every
        `every` seconds (tests call it on a fake clock)."""
        self._write_queued()
        self._write_line()

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            self._wake.wait(self._every)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._write_queued()
            if time.monotonic() - last >= self._every:
                self._write_line()
                last = time.monotonic()

    def _finish(self) -> None:
        """What is left to say; the last line when progress was shown at all (a reading of
        a few seconds says nothing but its estimate)."""
        self._write_queued()
        if self._stream is None:
            return
        if self._lines:
            self._write_line()
        if self._on_line:
            self._stream.write("\n")
            self._on_line = False
        self._stream.flush()

    def _write_queued(self) -> None:
        if self._stream is None:
            return
        with self._writing:
            self._write_queued_now(self._stream)

    def _write_queued_now(self, stream: TextIO) -> None:
        with self._lock:
            said = list(self._said)
            self._said.clear()
        for warning, text in said:
            if self._on_line:
                stream.write(_CLEAR)
                self._on_line = False
            if warning:
                stream.flush()
                self._warn(text)
            else:
                stream.write(text + "\n")
        if said:
            stream.flush()

    def _write_line(self) -> None:
        if self._stream is None:
            return
        with self._writing:
            self._write_line_now(self._stream)

    def _write_line_now(self, stream: TextIO) -> None:
        line = self.line()
        if self._interactive:
            spinner = SPINNER[self._lines % len(SPINNER)]  # turns while nothing else moves
            stream.write(f"{_CLEAR}{spinner} {line}")
            self._on_line = True
        else:
            stream.write(line + "\n")
        stream.flush()
        self._lines += 1


def span(seconds: float) -> str:
    """A duration as people read it: `45s`, `4m59s`, `2h05m`."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
