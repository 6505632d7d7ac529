"""Counts of requests by kind, shared by every thread of one client.

Benchmarks and the plan's call estimate read it; one attempt is one request, so a retried
call counts twice under its kind and once under `retries`.
"""

from __future__ import annotations

import threading
from collections import Counter

RATE_LIMITED = "rate_limited"  # answers with 429
RETRIES = "retries"  # attempts after a failed one (a 429 is counted as rate_limited)
_EXTRA = (RATE_LIMITED, RETRIES)


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def count(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self._counts[kind] += n

    def snapshot(self) -> dict[str, int]:
        """Counts by kind, plus `rate_limited` and `retries`, sorted by name."""
        with self._lock:
            return dict(sorted(self._counts.items()))

    @property
    def total(self) -> int:
        """Requests sent (every attempt), not counting the `rate_limited`/`retries` tallies."""
        with self._lock:
            return sum(n for kind, n in self._counts.items() if kind not in _EXTRA)

    def __repr__(self) -> str:
        return f"RequestStats({self.snapshot()})"
