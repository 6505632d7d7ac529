"""The engine's side of progress: how many items are done, in flight and failed, and an
estimate of the time left from how long this run's jobs took, handed to `progress.Progress`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from reconciler.apply.poll import Poller
from reconciler.apply.progress import Counts, Progress


class Counted(Protocol):
    """How many items a run has, and how many have a result (the engine's ledger)."""

    @property
    def total(self) -> int: ...

    @property
    def done(self) -> int: ...

    @property
    def failed(self) -> int: ...


class Tally:
    def __init__(
        self,
        progress: Progress | None,
        ledger: Counted,
        poller: Poller,
        *,
        clock: Callable[[], float],
    ) -> None:
        self._progress = progress
        self._ledger = ledger
        self._poller = poller
        self._clock = clock
        self._started = clock()

    def show(self, *, final: bool = False) -> None:
        """Update the progress; `final`: the run's last update, once every item has its
        result (none is in flight any more)."""
        if self._progress is None:
            return
        done = self._ledger.done
        in_flight = 0 if final else len(self._poller)
        counts = Counts(done=done, in_flight=in_flight, failed=self._ledger.failed, eta=self._eta())
        if final:
            self._progress.finish(counts)
        else:
            self._progress.update(counts)

    def interrupted(self, *, unanswered: int) -> None:
        if self._progress is not None:
            self._progress.interrupted(running=len(self._poller), unanswered=unanswered)

    def _eta(self) -> float | None:
        """Seconds until the last item is done: at least as long as the job submitted last
        takes (how long this run's jobs took), plus as long again for items not sent yet;
        and, when more items wait than a round of jobs holds, at least the time the items
        left take at the pace items got done so far (a million items go out in thousands
        of rounds, not one)."""
        poller = self._poller
        typical = poller.typical_age()
        if typical is None:
            return None
        now = self._clock()
        youngest = poller.youngest_since()
        eta = max(0.0, youngest + typical - now) if youngest is not None else 0.0
        done, total = self._ledger.done, self._ledger.total
        waiting = total - done - len(poller)
        if waiting <= 0:
            return eta
        eta += typical
        if done:
            eta = max(eta, (total - done) * (now - self._started) / done)
        return eta
