"""Finding the plan's read estimate in its stderr: the one place to adapt when the wording of
the estimate line is settled.

The estimate is the number of requests the plan expects to make to read the live state,
printed before the first listing. Any stderr line that names a number of requests or calls
and says it is an estimate (`estimate`, `expect`, `about`, `~`, `≈`, `up to`) counts; the first
such line wins. Examples that parse:

    reading the live state: about 10,130 requests (~34 min at 1,000 per 5 min)
    read estimate: 2,520 calls
    plan: expecting ~3500 requests to read lab/cohort
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_HEDGE = re.compile(r"estimat|expect|about|approx|up to|~|≈", re.IGNORECASE)
_COUNT = re.compile(r"(\d[\d,_ ]*\d|\d)\s*(?:API\s+)?(?:requests?|calls?)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Estimate:
    at: float  # when the line arrived (time.time())
    requests: int
    line: str


def find(lines: Sequence[tuple[float, str]]) -> Estimate | None:
    """The first estimate line among `(arrival time, line)` pairs, or None."""
    for at, line in lines:
        if not _HEDGE.search(line):
            continue
        count = _COUNT.search(line)
        if count:
            digits = re.sub(r"[,_ ]", "", count.group(1))
            return Estimate(at, int(digits), line)
    return None
