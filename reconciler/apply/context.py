"""What the parts of one engine run share, built once by the engine (`Engine._assemble`).

The lost answers and the create calls both read the platform through the API, journal what
they learn, record results in the run's one ledger, hand the jobs they find to the one watch,
read the engine's clock and update the progress. They take these together, as a `RunContext`,
so that every part of a run sees the same ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reconciler.apply.journal import Journal
from reconciler.apply.ledger import Ledger
from reconciler.apply.ports import ExportsApi
from reconciler.apply.watch import JobWatch


@dataclass(frozen=True, slots=True)
class RunContext:
    api: ExportsApi
    journal: Journal
    ledger: Ledger
    watch: JobWatch
    clock: Callable[[], float]  # the engine's clock
    show: Callable[[], None]  # updates the progress (`Tally.show`)
