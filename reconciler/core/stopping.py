"""Whether the run is stopping (Ctrl-C, SIGTERM, the run's time limit), for the threads that
are not the main one.

The main thread is interrupted by a signal; the threads reading or sending for it are not, and
the main thread waits for them before it can end. So that it waits for one call at most, not
for their retries and rate-limit waits (up to minutes each), the transport asks here before
every attempt and waits here instead of sleeping: once the run is stopping, a wait ends at
once and no call starts.
"""

from __future__ import annotations

import threading

_stopping = threading.Event()


def request() -> None:
    _stopping.set()


def clear() -> None:
    _stopping.clear()


def requested() -> bool:
    return _stopping.is_set()


def sleep(seconds: float) -> None:
    """`time.sleep`, ended early when the run stops."""
    _stopping.wait(max(0.0, seconds))
