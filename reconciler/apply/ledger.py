"""The run's ledger: which items have a result and how many of each, which are ready to be
sent (one queue per mode), and the move gate between them.

Every result goes through `finish`, so the counts stay true and a copy's end releases or holds
the moves of its file. Every item to be sent goes through `queue`, so a move passes the gate.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence

from reconciler.apply.gate import MoveGate, Release
from reconciler.apply.outcome import ItemOutcome, Result
from reconciler.manifest.models import Mode

PROBLEMS = (Result.FAILED, Result.UNKNOWN, Result.HELD)


def _file_of(o: ItemOutcome) -> str:
    return o.item.source.file_id or ""


def _key_of(o: ItemOutcome) -> str:
    return o.item.key


class Ledger:
    def __init__(self, outcomes: Sequence[ItemOutcome]) -> None:
        self.total = len(outcomes)
        self.finished: Counter[Result] = Counter(o.result for o in outcomes if o.result is not None)
        self.ready: dict[Mode, deque[ItemOutcome]] = {Mode.COPY: deque(), Mode.MOVE: deque()}
        self.gate: MoveGate[ItemOutcome] = MoveGate(file_of=_file_of, key_of=_key_of)

    @property
    def done(self) -> int:
        return sum(self.finished.values())

    @property
    def failed(self) -> int:
        return sum(self.finished[r] for r in PROBLEMS)

    def finish(self, o: ItemOutcome, result: Result, error: str | None = None) -> None:
        o.finish(result, error)
        self.finished[result] += 1
        self.copy_ended(o, ok=result in (Result.COMPLETED, Result.IN_SYNC))

    def copy_ended(self, o: ItemOutcome, *, ok: bool) -> None:
        """`o` ended (a copy the gate waits for, or anything else, which it ignores)."""
        self._let_through(self.gate.copy_ended(o, ok=ok))

    def queue(self, outcomes: Iterable[ItemOutcome]) -> None:
        """Items to be sent: copies to their queue, moves through the gate."""
        for o in outcomes:
            if o.item.mode is Mode.MOVE:
                self._let_through(self.gate.offer(o))
            else:
                self.ready[o.item.mode].append(o)

    def hold_waiting_moves(self) -> None:
        """At the deadline: moves still waiting for a copy are held."""
        for o in self.gate.give_up():
            self.finish(o, Result.HELD, "a copy of this file was still running")

    def _let_through(self, release: Release[ItemOutcome]) -> None:
        self.ready[Mode.MOVE].extend(release.go)
        for move, copy in release.held:
            dest = f"{copy.item.destination.volume}:{copy.item.destination.location}"
            self.finish(move, Result.HELD, f"not moved: the copy to {dest} did not complete")
