"""What a reading will cost, said before its first listing: the folders it will list, the
requests, and the time the account's rate limit makes that take; and, for a glob whose
folder-by-folder walk costs more than `PROPOSE_ABOVE` requests, how much the file search
would cost instead.

How many folders a walk lists is not known before walking; one search with `limit=1` counts
them (`... WHERE type = "FOLDER" RECURSIVE` gives `count`), one per distinct folder a walk
starts from, at most `MAX_COUNTS` per reading. Where the search is refused the count is "at
least so far", and the progress line refines it as the walk finds folders. The destinations'
checks come after the files are resolved and are not counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from reconciler.api.client import ApiClient
from reconciler.api.ratelimit import WINDOW_SECONDS
from reconciler.api.resources import Rate
from reconciler.errors import ApiError
from reconciler.limits import BULK_LIMIT, PAGE_LIMIT
from reconciler.live.files import Need, Rest, rests
from reconciler.live.progress import span
from reconciler.live.search import FileSearch, Kind
from reconciler.manifest.models import ExportRule

PROPOSE_ABOVE = 200  # requests of a glob's listing walk above which search is proposed
MAX_COUNTS = 20  # count searches one reading may spend on its estimate
DOCUMENTED_LIMIT = 1000  # requests per window, when the account's own cannot be read


@dataclass
class Cost:
    """The requests a reading will make, as far as they can be known before it."""

    folders: int = 0  # whole folders to list
    listings: int = 0  # their requests: one a folder, more past 100 children
    other: int = 0  # name-filtered listings, bulk gets, searches and what confirms them
    exact: bool = True  # False: at least this much (a count could not be had)
    proposals: list[str] = field(default_factory=list)  # one line per glob to search instead

    @property
    def requests(self) -> int:
        return self.listings + self.other


class _Counter:
    """Counts by search, each query once, at most `MAX_COUNTS`."""

    def __init__(self, search: FileSearch | None) -> None:
        self.search = search
        self.asked: dict[tuple[str, str, Kind, bool], int | None] = {}

    def __call__(self, project_id: str, path: str, kind: Kind, *, recursive: bool) -> int | None:
        key = (project_id, path, kind, recursive)
        if key not in self.asked:
            if self.search is None or len(self.asked) >= MAX_COUNTS:
                return None
            self.asked[key] = self.search.count(project_id, path, kind, recursive=recursive)
        return self.asked[key]


def cost(
    needs: Mapping[str, Need], search: FileSearch | None, *, by_id: int, path_ids: int
) -> Cost:
    """The requests of reading the folders `needs` reaches (by project), plus `by_id` files
    named by ID of which `path_ids` need their path."""
    total = Cost(other=math.ceil(by_id / BULK_LIMIT) + (1 if path_ids else 0))
    count = _Counter(search)
    for project_id, root in needs.items():
        for path, need in _nodes(root):
            _node_cost(total, count, project_id, path, need)
    return total


def _nodes(root: Need) -> Iterator[tuple[str, Need]]:
    stack = [("", root)]
    while stack:
        path, need = stack.pop()
        yield path, need
        for name, child in need.children.items():
            stack.append((f"{path}/{name}" if path else name, child))


def _depth(patterns: list[Rest]) -> int | None:
    """How many levels below the folder `patterns` list (None: no bound, a `**`)."""
    deepest = 0
    for rest in patterns:
        if any("**" in part for part in rest):
            return None
        deepest = max(deepest, len(rest) - 1)
    return deepest


def _listing(
    count: _Counter, project_id: str, path: str, patterns: list[Rest]
) -> tuple[int, int] | None:
    """The folders a listing walk of `patterns` from the folder at `path` lists (the folder
    and every folder below it the patterns reach: all of them for a `**`, an upper bound when
    the patterns stop above the bottom), and its requests (a page more for each 100 files and
    folders below, as a folder of more than 100 children takes several); None when they cannot
    be counted."""
    depth = _depth(patterns)
    if depth == 0:
        return 1, 1
    folders = count(project_id, path, "FOLDER", recursive=depth != 1)
    if folders is None:
        return None
    if depth is not None:
        return 1 + folders, 1 + folders
    files = count(project_id, path, "FILE", recursive=True)
    if files is None:
        return None
    return 1 + folders, 1 + folders + (files + folders) // PAGE_LIMIT


def _node_cost(total: Cost, count: _Counter, project_id: str, path: str, need: Need) -> None:
    if need.full:
        listing = _listing(count, project_id, path, need.patterns)
        folders, requests = listing or (1, 1)
        total.folders += folders
        total.listings += requests
        total.exact = total.exact and listing is not None
        for rule in need.listed:
            total.proposals.extend(_proposal(count, project_id, path, rule))
    elif need.names:
        total.other += 1
    if need.searches:
        searched = _search_cost(count, project_id, path)
        total.other += searched or 1
        total.exact = total.exact and searched is not None


def _search_cost(count: _Counter, project_id: str, path: str) -> int | None:
    """Search pages, the bulk gets that confirm the files, and those that read their
    folders (about one per 100, plus one a level)."""
    files = count(project_id, path, "FILE", recursive=True)
    folders = count(project_id, path, "FOLDER", recursive=True)
    if files is None or folders is None:
        return None
    return 2 * max(1, math.ceil(files / PAGE_LIMIT)) + math.ceil(folders / BULK_LIMIT) + 1


def _proposal(count: _Counter, project_id: str, path: str, rule: ExportRule) -> list[str]:
    counted = _listing(count, project_id, path, rests([rule]))
    if counted is None or counted[1] <= PROPOSE_ABOVE:
        return []
    listing = counted[1]
    searching = _search_cost(count, project_id, path)
    if searching is None or searching >= listing:
        return []
    return [
        f"{rule.declared_at}: glob {rule.selector!r} is read folder by folder: about "
        f"{listing:,} requests; with `discovery: search` (on the entry, in `defaults`, or "
        f"--discovery search) about {searching:,}"
    ]


def rate_of(client: ApiClient) -> Rate | None:
    """The account's rate budget now, or None when the platform does not say."""
    try:
        return client.get_rate_limit().rate
    except ApiError:
        return None


def lines(cost: Cost, rate: Rate | None, *, now: float) -> list[str]:
    """The two lines that say what the reading will cost, and the proposals."""
    about = "about" if cost.exact else "at least"
    folders = f"{cost.folders:,} folder{'s' if cost.folders != 1 else ''} to list"
    if not cost.exact:
        folders += " so far"
    first = (
        f"reading the files: {about} {cost.requests:,} requests ({folders}, "
        f"{cost.other:,} other reads), then the destinations"
    )
    return [first, _time(cost.requests, rate, now), *cost.proposals]


def _time(requests: int, rate: Rate | None, now: float) -> str:
    """How long the rate limit makes `requests` take: no wait while they fit in what is left,
    else until the reset and a window for each further `limit` requests."""
    limit = rate.limit if rate is not None and rate.limit else None
    remaining = rate.remaining if rate is not None else None
    reset = rate.reset if rate is not None else None
    if limit is None or remaining is None:
        limit, remaining, reset_in = DOCUMENTED_LIMIT, DOCUMENTED_LIMIT, WINDOW_SECONDS
        said = f"rate limit not readable; at the documented {limit:,} per {span(WINDOW_SECONDS)}"
    else:
        # No reset said: the whole window may be ahead.
        reset_in = WINDOW_SECONDS if reset is None else min(max(0.0, reset - now), WINDOW_SECONDS)
        said = f"rate limit: {remaining:,} of {limit:,} requests left, reset in {span(reset_in)}"
    if requests <= remaining:
        return f"{said}: no wait"
    windows = math.ceil((requests - remaining) / limit)
    waiting = reset_in + (windows - 1) * WINDOW_SECONDS
    more = f"{windows:,} more window{'s' if windows != 1 else ''}"
    return f"{said}: about {span(waiting)} of waiting for it ({more})"
