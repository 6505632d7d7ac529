"""The engine's settings: how long a run waits, how often it polls, when a lost answer is sent
again, how many create calls are in flight. The defaults are the real ones; `--wait-timeout`
sets the wait, and a runtime (`commands/runtime.py`) may set the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reconciler.api.config import DEFAULT_READ_TIMEOUT
from reconciler.apply.poll import Schedule

DEFAULT_WAIT_TIMEOUT = 3600.0
# Create calls for one item whose answers were lost and after which the platform showed
# nothing: beyond this the item is reported as unknown and left for a re-run.
MAX_SUBMIT_ATTEMPTS = 3
# Create calls in flight at once: each waits mostly on the network, so a few overlap well;
# the rate pacer, shared by every thread, still keeps the whole run within the budget.
CREATES_IN_FLIGHT = 4
UNCERTAIN_MARGIN = 5.0


@dataclass(frozen=True, slots=True)
class EngineSettings:
    wait_timeout: float = DEFAULT_WAIT_TIMEOUT
    schedule: Schedule = field(default_factory=Schedule)
    # A create call whose answer was lost may still be executing on the server: what the
    # platform does not show is sent again only once the call is this old (the client's read
    # timeout) plus the margin. Nothing waits meanwhile.
    uncertain_grace: float = DEFAULT_READ_TIMEOUT
    # Beyond the read timeout: the platform may commit a little after the client gave up.
    uncertain_margin: float = UNCERTAIN_MARGIN
    creates_in_flight: int = CREATES_IN_FLIGHT

    def __post_init__(self) -> None:
        if self.creates_in_flight < 1:
            raise ValueError("creates_in_flight must be 1 or more")
