"""Closing an apply: the receipt, then each platform's journal run ends with the run's real
exit code.

The report has gone out before this (`usecases.apply`). When the receipt cannot be written (a
folder in its place, a full disk), every `end` record says exit 1 and why, and the error goes
on to the one top-level handler: the journal never claims a run ended well that did not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from reconciler.apply import receipt
from reconciler.apply.journal import Journal
from reconciler.apply.outcome import CONVERGED, ItemOutcome
from reconciler.errors import StateError

EXIT_CONVERGED = 0
EXIT_NOT_CONVERGED = 1
EXIT_ERROR = 1  # the receipt could not be written (as for any error: one line, exit 1)


class Finished(Protocol):
    @property
    def outcomes(self) -> Sequence[ItemOutcome]: ...

    @property
    def exit_code(self) -> int: ...


def close_run(
    applied: Finished, state_dir: Path, info: receipt.RunInfo, journals: Mapping[str, Journal]
) -> None:
    """Write the receipt, then each platform's `end` record (`journals` by platform): its own
    exit code, or exit 1 and the error when the receipt could not be written."""
    try:
        receipt.write(state_dir, applied.outcomes, info, exit_code=applied.exit_code)
    except StateError as exc:
        for journal in journals.values():
            journal.write("end", exit_code=EXIT_ERROR, error=str(exc))
        raise
    for platform, journal in journals.items():
        mine = [o for o in applied.outcomes if o.item.platform == platform]
        journal.write("end", exit_code=exit_code_of(mine))


def exit_code_of(outcomes: Sequence[ItemOutcome]) -> int:
    converged = all(o.result in CONVERGED for o in outcomes)
    return EXIT_CONVERGED if converged else EXIT_NOT_CONVERGED
