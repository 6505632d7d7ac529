"""The items ready to be sent, one queue per mode, and the move gate in front of the moves.

Every item to be sent goes through `queue`, so a move passes the gate; every copy that ends is
told to the gate (`copy_ended`), which lets the moves of its file go or holds them. Holding a
move is a decision, so these return the verdicts of held moves for the engine to record.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from reconciler.apply.gate import MoveGate, Release
from reconciler.apply.outcome import ItemOutcome, Reason, Result, Verdict
from reconciler.manifest.models import Mode


def _file_of(o: ItemOutcome) -> str:
    return o.item.source.file_id or ""


def _key_of(o: ItemOutcome) -> str:
    return o.item.key


class SendQueues:
    def __init__(self) -> None:
        self.ready: dict[Mode, deque[ItemOutcome]] = {Mode.COPY: deque(), Mode.MOVE: deque()}
        self.gate: MoveGate[ItemOutcome] = MoveGate(file_of=_file_of, key_of=_key_of)

    def moves_waiting(self) -> bool:
        """Some move waits at the gate: a partial call of moves may still fill up."""
        return bool(self.gate)

    def expect_copy(self, o: ItemOutcome) -> None:
        self.gate.expect_copy(o)

    def queue(self, outcomes: Iterable[ItemOutcome]) -> list[Verdict]:
        """Items to be sent: copies to their queue, moves through the gate."""
        held: list[Verdict] = []
        for o in outcomes:
            if o.item.mode is Mode.MOVE:
                held += self._let_through(self.gate.offer(o))
            else:
                self.ready[o.item.mode].append(o)
        return held

    def copy_ended(self, o: ItemOutcome, *, ok: bool) -> list[Verdict]:
        """`o` ended (a copy the gate waits for, or anything else, which it ignores)."""
        return self._let_through(self.gate.copy_ended(o, ok=ok))

    def give_up(self) -> list[Verdict]:
        """At the deadline: moves still waiting for a copy are held."""
        return [
            Verdict(
                o, Result.HELD, Reason.COPY_STILL_RUNNING, "a copy of this file was still running"
            )
            for o in self.gate.give_up()
        ]

    def _let_through(self, release: Release[ItemOutcome]) -> list[Verdict]:
        self.ready[Mode.MOVE].extend(release.go)
        held = []
        for move, copy in release.held:
            dest = f"{copy.item.destination.volume}:{copy.item.destination.location}"
            error = f"not moved: the copy to {dest} did not complete"
            held.append(Verdict(move, Result.HELD, Reason.HELD_BEHIND_COPY, error))
        return held
