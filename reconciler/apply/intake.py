"""Items that arrive while the engine runs: a saved plan's items, read a chunk at a time.

`apply --plan` and `apply --reviewed` read only the items they act on. With 1,000,000 of them
that read takes as many bulk gets as the creates that follow, so reading everything first would
hold the first export back for the whole read. Instead one worker reads the items a chunk at
a time, a few chunks ahead of the engine (`AHEAD`), and the engine takes each chunk's verdicts
as soon as they are ready: the items to act on join the run (to be sent, or watched), the
others get their result (stale, not reviewed, ...). The reads and the engine's calls share the
client, and so its rate budget.

A read that fails (after the client's own retries) stops the intake: the items of that chunk
and of every chunk not read yet are reported not sent, with the reason, and the run goes on
with what it has. Nothing here records anything: `read` returns the arrivals; the engine
records their verdicts.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass

from reconciler.apply.outcome import AnyReason, ItemOutcome, Reason, Result, Verdict
from reconciler.errors import ReconcilerError
from reconciler.plan.model import PlanItem

# Items per read: ten bulk gets, which the client sends side by side.
CHUNK = 1000
# The first read: one bulk create's worth, so the first export goes out after a few requests
# (1,000 items of 250 sample folders would list 250 destination folders before it).
FIRST_CHUNK = 100
# Chunks read ahead of what the engine has taken.
AHEAD = 2


@dataclass(frozen=True, slots=True)
class Arrival:
    """What a read says of one pending item: the item to act on now (`item`), or the result it
    gets without a job (`result` and `reason`, with `error` saying why)."""

    outcome: ItemOutcome
    item: PlanItem | None = None
    result: Result | None = None
    reason: AnyReason | None = None
    error: str | None = None

    def verdict(self) -> Verdict:
        """The verdict of an item that gets its result without a job."""
        if self.result is None or self.reason is None:
            why = "the engine lost track of this item"
            return Verdict(self.outcome, Result.UNKNOWN, Reason.LOST_TRACK, self.error or why)
        return Verdict(self.outcome, self.result, self.reason, self.error)


# Reads one chunk of pending outcomes and returns an arrival for each, in order.
ReadChunk = Callable[[Sequence[ItemOutcome]], list[Arrival]]


class Intake:
    def __init__(
        self,
        pending: Sequence[ItemOutcome],
        read: ReadChunk,
        *,
        chunk: int = CHUNK,
        first: int = FIRST_CHUNK,
        ahead: int = AHEAD,
    ) -> None:
        self.pending = pending
        self._read = read
        self._chunk = max(1, chunk)
        self._first = max(1, min(first, self._chunk))
        self._ahead = max(1, ahead)
        self._next = 0  # the first pending outcome not handed to a read yet
        self._reads: deque[tuple[Sequence[ItemOutcome], futures.Future[list[Arrival]]]] = deque()
        self._workers: futures.Executor | None = None
        self._failed: str | None = None

    def start(self, workers: futures.Executor) -> None:
        """Start reading ahead on `workers` (one worker: chunks are read in order)."""
        self._workers = workers
        self._fill()

    def __bool__(self) -> bool:
        """True while some pending item has not been handed to the engine."""
        return bool(self._reads) or self._next < len(self.pending)

    def reading(self) -> list[futures.Future[list[Arrival]]]:
        """The reads in progress, for the engine to wait on with its other calls."""
        return [future for _, future in self._reads]

    def take(self) -> list[Arrival]:
        """The verdicts of the chunks read so far, in order, without waiting; reads more."""
        taken: list[Arrival] = []
        while self._reads and self._reads[0][1].done():
            chunk, future = self._reads.popleft()
            try:
                taken += future.result()
            except ReconcilerError as exc:
                taken += self._give_up(chunk, exc)
        self._fill()
        return taken

    def _fill(self) -> None:
        if self._workers is None or self._failed is not None:
            return
        while len(self._reads) < self._ahead and self._next < len(self.pending):
            size = self._first if self._next == 0 else self._chunk
            chunk = self.pending[self._next : self._next + size]
            self._next += len(chunk)
            self._reads.append((chunk, self._workers.submit(self._read, chunk)))

    def abandon(self) -> list[Arrival]:
        """At the end of the run (the deadline came first): every item not delivered yet is
        reported not sent."""
        error = "not sent: apply stopped (--wait-timeout) before it read this item; run again"
        return [_failed(o, Reason.NOT_READ_IN_TIME, error) for o in self._rest()]

    def _give_up(self, failed: Sequence[ItemOutcome], exc: ReconcilerError) -> list[Arrival]:
        """Every item not read yet is reported not sent: the failed chunk, the chunks read
        after it (dropped: a re-run reads them) and those never started."""
        self._failed = str(exc)
        error = f"not sent: reading its live state failed ({exc}); run apply again"
        return [_failed(o, Reason.READ_FAILED, error) for o in [*failed, *self._rest()]]

    def _rest(self) -> list[ItemOutcome]:
        """The items not delivered yet, taken back from reads in progress and never started."""
        left: list[ItemOutcome] = []
        for chunk, future in self._reads:
            future.cancel()
            left += chunk
        self._reads.clear()
        left += self.pending[self._next :]
        self._next = len(self.pending)
        return left


def _failed(o: ItemOutcome, reason: Reason, error: str) -> Arrival:
    return Arrival(o, result=Result.FAILED, reason=reason, error=error)
