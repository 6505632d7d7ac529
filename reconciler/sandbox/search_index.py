"""The search's index: the files and folders a parsed query selects, counted, and paged by id.

A location becomes a scope, the rows it covers: a folder's direct children (`parent = ?`), or
with RECURSIVE everything below it (the project's rows, or those whose `path` lies in the range
of the folder's path followed by `/`). Overlapping scopes are merged first (a recursive location
inside another adds nothing; the same folder twice is once), so the scopes are disjoint: the
count is their sum and a page merges theirs.

A page is the first `want` matching rows after an id, in id order, read one of two ways:
- sorted: the scope's rows through the index that holds them as a range (parent, or project and
  path), sorted by id. The cost grows with the scope: right for a small one, and for rare
  matches, where it is about what counting them cost;
- walked: the project's ids in order from the last one returned, through an index that also
  holds the path, keeping the rows in scope. The cost is about `want` divided by the share of
  the project's rows that match: a few hundred index entries for a page of a folder holding
  most of a million-file project.
A scope is walked when it holds at least WALK_ABOVE rows (an index-only count that stops there)
and the query matches at least RARE_BELOW (its count, from the first page); else sorted. Either
way a page of a recursive search with a million files below the folder takes milliseconds, where
sorting that subtree by id per page (or walking it with a recursive CTE) takes hundreds.

Rows added within `search_lag` seconds (`added_at` later than `visible_before`) are left out of
the count and the pages, as by an index that has not seen them yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import lookups
from .errors import bad_request
from .search_query import Condition, SearchQuery
from .store import Row, Store

WALK_ABOVE = 10_000  # rows in a scope from which walking the ids beats sorting the scope
RARE_BELOW = 1_000  # matches under which the scope is sorted, whatever its size
_WALK_INDEX = "files_by_project"  # (project, id, path)
_RESULT_COLUMNS = "id, name, type, metadata, tags"


@dataclass(frozen=True)
class Scope:
    project: str
    folder: str  # the location's folder id; the project's root folder for its root
    path: str  # the folder's path in the project; "" for the root
    recursive: bool

    def listed(self) -> tuple[str, str, list[Any]]:
        """Its rows through the index that holds them as one range: (index, where, params)."""
        if self.recursive:
            return ("files_by_path", *self._below())
        return "files_by_parent", "parent = ?", [self.folder]

    def walked(self) -> tuple[str, list[Any]]:
        """Its rows as the walk of the project's ids tests them: the path range first, which
        the walk's index holds, so that rows out of scope cost no read of the table."""
        where, params = self._below()
        if self.recursive:
            return where, params
        return f"{where} AND parent = ?", [*params, self.folder]

    def _below(self) -> tuple[str, list[Any]]:
        if not self.path:
            return "project = ?", [self.project]
        # Every path that starts with `path/`: '0' is the character after '/'.
        return "project = ? AND path > ? AND path < ?", [
            self.project, f"{self.path}/", f"{self.path}0"
        ]  # fmt: skip

    def contains(self, other: Scope) -> bool:
        if self.project != other.project or not self.recursive:
            return self == other
        return not self.path or other.path == self.path or other.path.startswith(f"{self.path}/")


@dataclass(frozen=True)
class Filters:
    conditions: tuple[Condition, ...]
    visible_before: float | None  # rows added later are not indexed yet; None: no lag

    def where(self) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        for condition in self.conditions:
            if condition.field == "file_extension":
                # `a.vcf.gz` ends with `.gz` and with `.vcf.gz`; `.bashrc` has no extension.
                likes = " OR ".join(["name LIKE ? ESCAPE '\\'"] * len(condition.values))
                where.append(f"(type = 'file' AND ({likes}))")
                params += [f"_%.{_like_literal(value)}" for value in condition.values]
            else:
                where.append(f"{condition.field} = ?")
                params.append(condition.values[0])
        if self.visible_before is not None:
            where.append("added_at <= ?")
            params.append(self.visible_before)
        return where, params


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def scopes(store: Store, username: str, query: SearchQuery) -> list[Scope]:
    """The query's locations as disjoint scopes; 404 for a project out of reach (3002) or a
    folder that does not exist (5002), 400 for a location that is a file."""
    found = []
    for location in query.locations:
        project = lookups.PROJECT.get(store, username, location.project)
        folder = str(project["root_folder"])
        if location.path:
            row = store.read_one(  # a folder before a file of the same path ('folder' > 'file')
                "SELECT id, type FROM files WHERE project = ? AND path = ? ORDER BY type DESC",
                (location.project, location.path),
            )
            if row is None:
                raise lookups.FOLDER.missing(f"{location.project}/{location.path}")
            if row["type"] != "folder":
                raise bad_request(f'location "{location.text}" is a file, not a folder')
            folder = str(row["id"])
        found.append(Scope(location.project, folder, location.path, query.recursive))
    disjoint: list[Scope] = []
    for scope in sorted(set(found), key=lambda s: (s.project, s.path)):
        if not any(kept.contains(scope) for kept in disjoint):
            disjoint.append(scope)
    return disjoint


def count(store: Store, scopes: list[Scope], filters: Filters) -> int:
    total = 0
    conditions, values = filters.where()
    for scope in scopes:
        _, where, params = scope.listed()
        clauses = " AND ".join([where, *conditions])
        total += int(store.scalar(f"SELECT COUNT(*) FROM files WHERE {clauses}", params + values))
    return total


def page(
    store: Store,
    scopes: list[Scope],
    filters: Filters,
    after: str | None,
    descending: bool,
    want: int,
    matches: int,
) -> list[Row]:
    """The first `want` matching rows after the id `after` (before it, descending), where the
    query is known to match about `matches` rows (its count, which picks the way to read)."""
    conditions, values = filters.where()
    if after is not None:
        conditions.append("id < ?" if descending else "id > ?")
        values.append(after)
    order = "DESC" if descending else "ASC"
    rows: list[Row] = []
    for scope in scopes:
        index, where, params = _reading(store, scope, matches)
        rows += store.read(
            f"SELECT {_RESULT_COLUMNS} FROM files INDEXED BY {index}"
            f" WHERE {' AND '.join([where, *conditions])} ORDER BY id {order} LIMIT ?",
            [*params, *values, want],
        )
    rows.sort(key=lambda row: str(row["id"]), reverse=descending)
    return rows[:want]


def _reading(store: Store, scope: Scope, matches: int) -> tuple[str, str, list[Any]]:
    """The index to read the scope through, and its where clause: sorted through its own
    index, or walked by id when it is large and the matches are not rare."""
    index, where, params = scope.listed()
    if matches >= RARE_BELOW and _holds_more(store, index, where, params, WALK_ABOVE):
        return (_WALK_INDEX, *scope.walked())
    return index, where, params


def _holds_more(store: Store, index: str, where: str, params: list[Any], rows: int) -> bool:
    """Whether the scope has at least `rows` rows, counting no further (index only)."""
    counted = store.scalar(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM files INDEXED BY {index} WHERE {where} LIMIT ?)",
        [*params, rows],
    )
    return int(counted) >= rows
