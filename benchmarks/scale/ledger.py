"""Requests as the sandbox saw them (its request log is the ground truth), grouped by kind."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LOG_NAME = "requests.jsonl"

_KINDS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), kind)
    for method, pattern, kind in (
        ("POST", r"^/v2/bulk/files/get$", "bulk file get"),
        ("POST", r"^/v2/bulk/storage/exports/create$", "bulk export create"),
        ("POST", r"^/v2/bulk/storage/exports/get$", "bulk export get"),
        ("POST", r"^/v2/storage/exports$", "export create"),
        ("GET", r"^/v2/storage/exports/[^/]+$", "export get"),
        ("GET", r"^/v2/storage/exports$", "export list"),
        ("GET", r"^/v2/files/[^/]+$", "file get"),
        ("GET", r"^/v2/files$", "file list"),
        ("POST", r"^/v2/files/search$", "file search"),
        ("GET", r"^/v2/storage/volumes/[^/]+/[^/]+/list$", "volume list"),
        ("GET", r"^/v2/storage/volumes/[^/]+/[^/]+/object$", "object info"),
        ("GET", r"^/v2/storage/volumes/[^/]+/[^/]+$", "volume get"),
        ("GET", r"^/v2/projects/[^/]+/[^/]+$", "project get"),
        ("GET", r"^/v2/user$", "user get"),
        ("GET", r"^/v2/rate_limit$", "rate limit get"),
    )
)
# The kinds that make up the floor: one bulk read, one bulk create, one bulk poll per 100.
FLOOR_KINDS = ("bulk file get", "bulk export create", "bulk export get")


def kind_of(method: str, path: str) -> str:
    bare = path.split("?", 1)[0]
    for wanted, pattern, kind in _KINDS:
        if method == wanted and pattern.match(bare):
            return kind
    return f"other {method} {bare}"


@dataclass(frozen=True)
class Tally:
    by_kind: dict[str, int]
    server_seconds: float  # time the sandbox spent on them, its added latency included
    rate_limited: int  # answered 429
    errors: int  # other answers >= 400, and lost answers
    first: float | None
    last: float | None
    first_by_kind: dict[str, float]  # when the first request of each kind arrived

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_kind": self.by_kind,
            "server_seconds": round(self.server_seconds, 2),
            "rate_limited": self.rate_limited,
            "errors": self.errors,
        }


def tally(data_dir: Path) -> Tally:
    kinds: Counter[str] = Counter()
    first_by_kind: dict[str, float] = {}
    limited = errors = 0
    server = 0.0
    first: float | None = None
    last: float | None = None
    path = data_dir / LOG_NAME
    if path.exists():
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    continue
                entry = json.loads(line)
                kind = kind_of(entry["method"], entry["path"])
                kinds[kind] += 1
                duration = float(entry.get("duration") or 0.0)
                server += duration
                # Logged when answered: the request arrived `duration` earlier.
                arrived = entry["time"] - duration
                first_by_kind[kind] = min(first_by_kind.get(kind, arrived), arrived)
                status = entry.get("status")
                if status == 429:
                    limited += 1
                elif status is None or status >= 400:
                    errors += 1
                first = entry["time"] if first is None else min(first, entry["time"])
                last = entry["time"] if last is None else max(last, entry["time"])
    return Tally(dict(sorted(kinds.items())), server, limited, errors, first, last, first_by_kind)
