"""The run's ledger: the one place where results are recorded (by the engine, from the verdicts
its parts return), how many items have one and of which kind, and the queues of items to send.

Every result goes through `record`, so the counts stay true and a copy's end releases or holds
the moves of its file (the verdicts of held moves are recorded in the same step).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from reconciler.apply.outcome import ItemOutcome, Result, Verdict
from reconciler.apply.queues import SendQueues

PROBLEMS = (Result.FAILED, Result.UNKNOWN, Result.HELD)


class Ledger:
    def __init__(self, outcomes: Sequence[ItemOutcome]) -> None:
        self.total = len(outcomes)
        self.finished: Counter[Result] = Counter(o.result for o in outcomes if o.result is not None)
        self.queues = SendQueues()

    @property
    def done(self) -> int:
        return sum(self.finished.values())

    @property
    def failed(self) -> int:
        return sum(self.finished[r] for r in PROBLEMS)

    def record(self, verdicts: Iterable[Verdict]) -> None:
        for verdict in verdicts:
            verdict.apply()
            self.finished[verdict.result] += 1
            ok = verdict.result in (Result.COMPLETED, Result.IN_SYNC)
            self.record(self.queues.copy_ended(verdict.outcome, ok=ok))

    def copy_done(self, o: ItemOutcome) -> None:
        """A copy whose job completed, its result still to be checked: its moves may go."""
        self.record(self.queues.copy_ended(o, ok=True))

    def queue(self, outcomes: Iterable[ItemOutcome]) -> None:
        self.record(self.queues.queue(outcomes))

    def hold_waiting_moves(self) -> None:
        self.record(self.queues.give_up())
