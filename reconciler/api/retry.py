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


@dataclass(frozen=True)
class RetryPolicy:
    base: float = 0.5  # seconds, the first step
    cap: float = 30.0  # no single wait is longer
    deadline: float = 300.0  # total seconds spent retrying one call (maintenance included)
    max_attempts: int = 12
    # 429s wait for the announced reset; how many in a row before giving up, and the longest
    # single wait believed (a window is 5 minutes; a reset further away is not plausible).
    max_rate_limited: int = 6
    max_rate_limit_wait: float = 330.0
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait before retry number `attempt` (1-based)."""
        step = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return step * float(self.random())


NO_RETRY = RetryPolicy(max_attempts=1, deadline=0.0, max_rate_limited=0)
