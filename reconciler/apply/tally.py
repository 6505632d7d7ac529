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
        """Seconds until the last item is done, from how long this run's jobs took: the job
        submitted last finishes about that long after it was submitted, and items not sent
        yet take about as long again once they are."""
        poller = self._poller
        typical = poller.typical_age()
        if typical is None:
            return None
        youngest = poller.youngest_since()
        eta = max(0.0, youngest + typical - self._clock()) if youngest is not None else 0.0
        waiting = self._ledger.total - self._ledger.done - len(poller)
        return eta + typical if waiting > 0 else eta
