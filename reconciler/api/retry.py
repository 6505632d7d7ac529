"""When and how long to wait before trying a read again.

Jittered exponential backoff ("full jitter": a random wait between zero and the capped
exponential step, so many clients that failed together do not come back together), bounded by
a total time after which the last error is raised. Writes never come here: a create whose
answer was lost may have taken effect, and only re-reading the state can tell.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.api.config import DEFAULT_MAINTENANCE_WAIT


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 0.5  # seconds, the first step
    cap: float = 30.0  # no single wait is longer
    deadline: float = 300.0  # total seconds spent retrying one call (5xx, timeouts)
    max_attempts: int = 12
    # A read whose answer does not come within the read timeout is tried this many times in
    # all: a server that accepts and never answers (or trickles) ends the call after about
    # this many read timeouts, instead of the whole deadline.
    timeout_attempts: int = 4
    # Nothing listening, a name that does not resolve, an answer that is not the API's JSON:
    # most likely a wrong endpoint or a server that is not running, so the user hears of it
    # within seconds rather than minutes.
    unreachable_deadline: float = 12.0
    # Maintenance (503 code 0) is retried this long (the default policy takes the config's).
    maintenance_deadline: float = DEFAULT_MAINTENANCE_WAIT
    # 429s wait for the later of Retry-After and X-RateLimit-Reset, at most this long (a
    # window is 5 minutes; a time further away than `ratelimit.BELIEVED_AHEAD` is not
    # believed at all), and this many in a row.
    max_rate_limited: int = 6
    max_rate_limit_wait: float = 300.0
    # A 429 whose headers say nothing usable (absent, not a number, in the past).
    rate_limit_fallback_wait: float = 1.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1-based)."""
        step = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return step * float(self.random())

    def waits(self, attempt: int, tries: int, seconds_left: float) -> list[float]:
        """The waits before each retry still to come after attempt number `attempt` failed,
        drawn now: at most `tries` attempts in all, and no retry that would start more than
        `seconds_left` from now. Drawn ahead, they tell the true time until a call that keeps
        failing gives up."""
        waits: list[float] = []
        for number in range(attempt, tries):
            wait = self.backoff(number)
            if sum(waits) + wait > seconds_left:
                break
            waits.append(wait)
        return waits


NO_RETRY = RetryPolicy(max_attempts=1, deadline=0.0, max_rate_limited=0)
