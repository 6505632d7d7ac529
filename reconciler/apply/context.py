"""What the parts of one engine run share, built once by the engine (`Engine._assemble`).

The lost answers and the create calls both read the platform through the API, journal what
they learn, take items from the queues to send, hand the jobs they find to the one watch and
read the engine's clock. They take these together, as a `RunContext`, so that every part of a
run sees the same ones. What they decide goes to `record`, the engine's: no part records a
result itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.apply.journal import Journal
from reconciler.apply.outcome import Decisions
from reconciler.apply.ports import ExportsApi
from reconciler.apply.queues import SendQueues
from reconciler.apply.watch import JobWatch


@dataclass(frozen=True, slots=True)
class RunContext:
    api: ExportsApi
    journal: Journal
    queues: SendQueues
    watch: JobWatch
    clock: Callable[[], float]  # the engine's clock
    record: Callable[[Decisions], None]  # the engine records what a part decided
