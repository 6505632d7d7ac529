"""The rate limit: a fixed window of `rate_limit` requests per `rate_window` seconds per token.

Every authenticated call counts, including the ones answered with 429; calls refused with 401
never reach here.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset: int  # Unix seconds when the window ends
    exceeded: bool

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # token -> (window start, count)

    def hit(self, token: str, now: float, limit: int, window: float) -> Quota:
        """Count one call for `token` and say whether it is within the limit."""
        with self._lock:
            start, count = self._windows.get(token, (now, 0))
            if now >= start + window:
                start, count = now, 0
            count += 1
            self._windows[token] = (start, count)
        return Quota(
            limit=limit,
            remaining=max(limit - count, 0),
            reset=math.ceil(start + window),
            exceeded=count > limit,
        )

    def peek(self, token: str | None, now: float, limit: int, window: float) -> Quota:
        """The quota as it stands, without counting (for answers that do not count)."""
        with self._lock:
            start, count = self._windows.get(token or "", (now, 0))
        if now >= start + window:
            start, count = now, 0
        return Quota(limit, max(limit - count, 0), math.ceil(start + window), False)
