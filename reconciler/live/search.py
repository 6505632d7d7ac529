"""Finding a glob's files with the platform's recursive file search instead of listing folder
by folder, and counting folders and files for the reading's estimate.

For a glob declared with `discovery: search`, the walk (`files.py`) finds its static prefix
folder by name; then one search, `IN "/Projects/<owner>/<project>/<prefix>" WHERE type = "FILE"
RECURSIVE`, paged 100 at a time, gives candidates. A candidate is not a fact: the index may lag
or be partial, and the answer comes from a query that a merge request author's prefix is part
of. So each is read again by bulk get (100 per call), and its path is built from its parent
folders, read by bulk get level by level up to the prefix folder (`by_id.Paths`); a candidate
that is gone, is a folder, is in another project, or whose folders do not lead to the prefix
folder is dropped. Of the rest, only the files a listing of the glob would have met
(`files.reachable`) are kept, so the resolver and the planner see what listing gives. A stale
index can make a plan miss a file uploaded moments ago; it cannot make it export a wrong one.

A search the platform refuses (400, 403, 404) or answers in another shape than the contract's
falls back to listing, with one warning that says why. A refusal that concerns the account or
the platform (403: no advance access; 404 for a folder the walk has just found: no search
there; an answer of another shape) stops every later search of this reading; a 400 concerns
one query only. Refusals are told apart by HTTP status alone: the codes are informational.
Failures that may pass (5xx, 429) are retried by the transport like any read and, when they
persist, fail the reading like any.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Literal

from reconciler.api.client import ApiClient
from reconciler.api.resources import ItemError, Project
from reconciler.core.live import LiveFile
from reconciler.errors import ApiError, TransportError, UnreadableAnswer
from reconciler.limits import PAGE_LIMIT
from reconciler.live.by_id import Link, Paths
from reconciler.live.convert import live_file
from reconciler.live.files import Found, Searcher, reachable, rests
from reconciler.live.progress import ReadWatch
from reconciler.manifest.models import ExportRule

_REFUSING_STATUSES = (400, 403, 404)
CONFIRM_TOLD = 100  # the progress hears of confirmed candidates in steps of a bulk get

Kind = Literal["FILE", "FOLDER"]


def quoted(text: str) -> str:
    """`text` as a string of the query language: in double quotes, `\\` and `"` escaped, so a
    prefix cannot end the string and add a location or a condition of its own."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def location(project_id: str, path: str) -> str | None:
    """The search location of a folder (`/Projects/<owner>/<project>/<path>`), or None when a
    segment could name another place once the platform reads it (`.`, `..`, empty, a control
    character): such a folder is listed, never searched."""
    segments = [*project_id.split("/"), *(path.split("/") if path else ())]
    if len(segments) < 2 or any(
        s in ("", ".", "..") or any(ord(c) < 0x20 or ord(c) == 0x7F for c in s) for s in segments
    ):
        return None
    return "/Projects/" + "/".join(segments)


def query(place: str, kind: Kind, *, recursive: bool = True) -> str:
    return f'IN {quoted(place)} WHERE type = "{kind}"' + (" RECURSIVE" if recursive else "")


class FileSearch:
    """The file search of one reading (one client, one platform): the files below a folder,
    the counts for the estimate, and whether the search is still worth asking."""

    def __init__(
        self,
        client: ApiClient,
        project: Callable[[str], Project | None],
        *,
        watch: ReadWatch,
        globs: Sequence[ExportRule] = (),
    ) -> None:
        """`project` reads a project once (the caller caches it); `globs`: the reading's
        globs declared with search discovery, named when the search is found unusable."""
        self.client = client
        self.watch = watch
        self._paths = Paths(client, project)
        self._globs = list(globs)
        self._lock = threading.Lock()
        self._closed: str | None = None  # why the search is not asked any more

    @property
    def closed(self) -> str | None:
        with self._lock:
            return self._closed

    def searcher(self, project_id: str) -> Searcher:
        """`files_below` for the folders of one project (the walk's `Searcher`)."""

        def search(
            folder_id: str | None, path: str, rules: Sequence[ExportRule]
        ) -> list[Found] | None:
            return self.files_below(project_id, folder_id, path, rules)

        return search

    def files_below(
        self, project_id: str, folder_id: str | None, path: str, rules: Sequence[ExportRule]
    ) -> list[Found] | None:
        """The files below the folder `folder_id` (None: the project root) at `path` that a
        listing of `rules`' globs would meet, confirmed; None when the search cannot be used
        (said once): the caller lists instead."""
        if self.closed is not None:
            return None
        place = location(project_id, path)
        if place is None:
            self._refused(
                rules, f"the folder {project_id}:{path} cannot be named safely in a query", None
            )
            return None
        candidates: list[str] = []
        try:
            for page in self.client.search_files(query(place, "FILE"), limit=PAGE_LIMIT):
                candidates.extend(hit.id for hit in page.result_set)
                self.watch.searched(len(page.result_set))
        except ApiError as exc:
            why = unusable(exc)
            if why is None:
                raise
            self._refused(rules, why, exc)
            return None
        found = self._confirmed(project_id, folder_id, path, rules, candidates)
        self.watch.found(len(found))
        return found

    def _confirmed(
        self,
        project_id: str,
        folder_id: str | None,
        path: str,
        rules: Sequence[ExportRule],
        candidates: list[str],
    ) -> list[Found]:
        ids = list(dict.fromkeys(candidates))
        files: dict[str, LiveFile] = {}
        links: list[Link] = []
        for answered, (file_id, entry) in enumerate(
            zip(ids, self.client.iter_bulk_get_files(ids), strict=True), start=1
        ):
            if answered % CONFIRM_TOLD == 0:
                self.watch.confirming(CONFIRM_TOLD)
            if isinstance(entry, ItemError) or entry.is_folder or entry.project != project_id:
                continue  # gone since it was indexed, not a file, or not this project's
            files[file_id] = live_file(entry, entry.name)
            links.append(Link.of(entry))
        self.watch.confirming(len(ids) % CONFIRM_TOLD)
        known = {folder_id: path} if folder_id is not None else {}
        paths = self._paths.of(links, known)
        globs = rests(rules)
        start = path + "/" if path else ""
        found: list[Found] = []
        for file_id, file in files.items():
            file_path = paths[file_id]
            if not file_path.startswith(start):
                continue  # its folders do not lead to the searched folder (or are unreadable)
            folders = file_path[len(start) :].split("/")[:-1]
            if reachable(globs, folders):
                found.append((file_path, dataclasses.replace(file, path=file_path)))
        return sorted(found, key=lambda pair: pair[0])

    def count(self, project_id: str, path: str, kind: Kind, *, recursive: bool) -> int | None:
        """How many of `kind` the search finds below a folder (one request for one result);
        None when it cannot say (refused, closed, no count in the answer)."""
        if self.closed is not None:
            return None
        place = location(project_id, path)
        if place is None:
            return None
        try:
            page = next(
                iter(self.client.search_files(query(place, kind, recursive=recursive), limit=1))
            )
        except ApiError as exc:
            why = unusable(exc)
            if why is None:
                raise
            # The counted folder may not exist yet (a 404 then concerns this query only), and
            # errors are told apart by status alone (codes are informational): a count
            # refused so is unknown; the search of the walk, which starts from a folder found,
            # tells an absent search from an absent folder.
            if exc.status not in (400, 404):
                self._close(why)
            return None
        return page.count

    def _refused(self, rules: Sequence[ExportRule], why: str, exc: ApiError | None) -> None:
        if exc is not None and _closing(exc):
            self._close(why)
            return
        for rule in rules:
            self.watch.warn(
                f"{rule.declared_at}: glob {rule.selector!r}: the file search {why}; "
                "listing its folders instead"
            )

    def _close(self, why: str) -> None:
        with self._lock:
            if self._closed is not None:
                return
            self._closed = why
        if self._globs:
            named = ", ".join(f"{r.declared_at} {r.selector!r}" for r in self._globs[:3])
            more = f" and {len(self._globs) - 3} more" if len(self._globs) > 3 else ""
            self.watch.warn(
                f"the file search {why}: listing folder by folder instead for every glob with "
                f"discovery: search on this platform ({named}{more})"
            )


def _closing(exc: ApiError) -> bool:
    """Whether a refusal of a search from a folder the walk found concerns the account or the
    platform (403: no advance access; 404: no search there; another shape), so that every
    later search would be refused too, rather than one query (400)."""
    return exc.status != 400


def unusable(exc: ApiError) -> str | None:
    """Why a search's answer cannot be used, so that listing takes over; None when the
    failure is one like any read's (it persisted through the transport's retries)."""
    if isinstance(exc, UnreadableAnswer):
        return f"answered with something that is not JSON ({exc})"
    if isinstance(exc, TransportError):
        return None
    if exc.status in _REFUSING_STATUSES:
        return f"was refused ({exc})"
    if exc.status is None:
        return f"answered in another shape than documented ({exc})"
    return None
