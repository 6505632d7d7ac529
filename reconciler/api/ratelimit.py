"""The rate-limit headers, read here only: the pacing they drive, shared by every worker thread
of one client, and the wait a 429 asks for (`rate_limit_wait`, used by the transport).

The platform allows a budget of calls per window (1,000 per 5 minutes) and says on every answer
how many are left (`X-RateLimit-Remaining`) and when the window resets (`X-RateLimit-Reset`,
Unix seconds). The pacer keeps its own count of what is left, lowered by one for each call it
lets through before the answer arrives, so that parallel workers never overspend on a stale
header. Calls go at full speed while anything is left and wait for the reset once nothing is.
With a full budget at the start, a run that fits in the budget sees no delay and no 429, and a
longer one spends every window whole: 3,000 calls take three windows, not four.

(Spreading the last calls of each window over the time left in it, as this once did, spends
no fewer calls and only delays them: a 100,000-file apply of 2,994 calls then finished in its
fourth window, at 921 s. Calls made by another client on the same token show in the headers,
and the lower of the two counts is kept.)
"""

from __future__ import annotations

import email.utils
import math
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

# A little slack after the announced reset: clocks and rounding of whole seconds differ.
RESET_MARGIN = 1.0
# A window lasts 5 minutes: the pacer waits at most this long for a reset.
MAX_RESET_AHEAD = 300.0
WINDOW_SECONDS = 300.0
# A reset or Retry-After further ahead than two windows is not a skewed clock but nonsense
# (10^20, milliseconds read as seconds, a date in another century): it is not believed at all,
# as a time in the past is not, instead of being waited for at the longest.
BELIEVED_AHEAD = 2 * WINDOW_SECONDS
# A Unix time above this is in milliseconds (10^11 seconds is the year 5138).
MILLISECONDS_FROM = 1e11


class RatePacer:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._remaining: int | None = None  # our estimate; None: unknown (assume plenty)
        self._reset_at: float | None = None
        self._held_until: float | None = None  # the latest moment a 429 asked us to wait for

    def delay(self) -> float:
        """Reserve one call; return how long to sleep before sending it."""
        with self._lock:
            now = self._clock()
            if self._held_until is not None and now < self._held_until:
                return self._held_until - now
            if self._reset_at is not None and now >= self._reset_at + RESET_MARGIN:
                # The window rolled over: until an answer says otherwise, the budget is full.
                self._remaining, self._reset_at = None, None
            if self._remaining is None or self._reset_at is None:
                return 0.0
            if self._remaining <= 0:
                return max(0.0, self._reset_at + RESET_MARGIN - now)
            self._remaining -= 1
            return 0.0

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn from an answer's headers (any status, 429 included)."""
        remaining = _int(headers.get("X-RateLimit-Remaining"))
        reset = _reset(headers)
        now = self._clock()
        if remaining is None or reset is None or reset - now > BELIEVED_AHEAD:
            return
        reset = min(reset, now + MAX_RESET_AHEAD)
        with self._lock:
            if self._reset_at is None or reset > self._reset_at + 0.5:
                # A new window (or the first answer): the header is the truth.
                self._reset_at, self._remaining = reset, remaining
            else:
                # Same window: answers arrive out of order; our count already holds back the
                # calls in flight, so keep the lower of the two.
                current = remaining if self._remaining is None else self._remaining
                self._remaining = min(current, remaining)

    def hold_until(self, moment: float) -> None:
        """A 429 arrived: nothing is sent before `moment` (on this pacer's clock)."""
        with self._lock:
            self._reset_at = moment - RESET_MARGIN
            self._remaining = 0
            # Another worker's 429 may have asked for longer: a shorter wait must not release
            # the calls early into more 429s.
            self._held_until = max(moment, self._held_until or moment)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rate_limit_wait(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a 429 asks to wait: until the later of `Retry-After` (seconds, or an HTTP
    date) and `X-RateLimit-Reset` (Unix seconds). None when neither holds a usable time in the
    future: a value that is not a number, infinite, in the past (a negative Retry-After), or
    further ahead than BELIEVED_AHEAD."""
    waits: list[float] = []
    retry_after = headers.get("Retry-After")
    if retry_after is not None:
        seconds = _finite(retry_after)
        if seconds is None:
            seconds = _http_date(retry_after)
            seconds = None if seconds is None else seconds - now
        if seconds is not None:
            waits.append(seconds)
    reset = _reset(headers)
    if reset is not None:
        waits.append(reset - now)
    believed = [wait for wait in waits if 0 < wait <= BELIEVED_AHEAD]
    return max(believed, default=None)


def _reset(headers: Mapping[str, str]) -> float | None:
    """When the window resets, in Unix seconds, or None when the header holds no finite number."""
    return epoch_seconds(headers.get("X-RateLimit-Reset"))


def epoch_seconds(value: object) -> float | None:
    """A moment as the platforms write it, in Unix seconds: seconds, or milliseconds when
    above 10^11 (CAVATICA's published `GET /v2/rate_limit` example), as a number or as text,
    or an ISO 8601 date (what sevenbridges-python reads, and the sandbox answers); None when
    it is none of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number: float | None = float(value) if math.isfinite(value) else None
    elif isinstance(value, str):
        number = _finite(value)
        if number is None:
            return _iso_date(value)
    else:
        return None
    if number is None:
        return None
    return number / 1000.0 if number > MILLISECONDS_FROM else number


def _finite(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _iso_date(value: str) -> float | None:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:  # the platform's times are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
