"""The API as typed methods: one method per call the reconciler makes, each counted by kind.

`ApiClient` is safe to share between threads: every thread gets its own session from the
transport, and all share one rate-limit pacer and one `stats` counter. Bulk reads of more than
100 ids send their chunks from a few worker threads at once (`BULK_WORKERS`). Reads return typed
resources (`None` where "not there" is an answer the caller plans on); bulk calls return one
entry per requested id, in order, each a resource or an `ItemError` (`iter_bulk_get_files`: the
same entries as they arrive, so a caller that keeps less than the resources holds less).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel

from reconciler.api.config import ApiConfig
from reconciler.api.pagination import MAX_PAGES, walk_pages
from reconciler.api.resources import (
    BulkAnswer,
    Export,
    File,
    ItemError,
    ObjectPage,
    Page,
    Project,
    RateLimit,
    SearchPage,
    User,
    Volume,
    VolumeObject,
    parse,
)
from reconciler.api.stats import RequestStats
from reconciler.api.transport import Answer, Params, Transport
from reconciler.errors import ApiError, TransportError
from reconciler.limits import BULK_LIMIT, PAGE_LIMIT

# What the reconciler reads of a file; naming the fields keeps listings of big folders small.
FILE_FIELDS = "id,name,type,project,parent,size,modified_on,metadata,tags,storage"
# The platform answers advance-access calls (the file search) only when asked this way.
ADVANCE_ACCESS = {"X-Sbg-Advance-Access": "Advance"}
# Beyond this many names, one `name=` filter makes the URL too long: list the folder instead.
MAX_NAMES_PER_QUERY = 40
# A bulk read of many chunks sends this many calls at once, each worker thread on its own
# session, all paced by the one rate-limit pacer: with ~100 ms per call, the 1,000 bulk gets of
# 100,000 files take 100 s one after the other and about a third of that in parallel.
BULK_WORKERS = 8

_R = TypeVar("_R", bound=BaseModel)
_P = TypeVar("_P", bound=Page)


@dataclass(frozen=True)
class VolumeListing:
    """One level of a volume: the objects directly under a prefix and the deeper prefixes."""

    objects: tuple[VolumeObject, ...]
    prefixes: tuple[str, ...]  # as the API gives them, e.g. "dir/sub/"


class ApiClient:
    def __init__(
        self,
        config: ApiConfig,
        *,
        transport: Transport | None = None,
        bulk_workers: int = BULK_WORKERS,
    ) -> None:
        """`transport`: one set up otherwise (its retry policy, clock, statistics) than the
        default `Transport(config)`."""
        self.transport = transport or Transport(config)
        self._bulk_workers = max(1, bulk_workers)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ApiClient(endpoint={self.transport.config.endpoint!r})"

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        self.transport.close()

    @property
    def stats(self) -> RequestStats:
        return self.transport.stats

    # ---- plumbing ------------------------------------------------------------------------

    def _get(self, path: str, *, kind: str, params: Params | None = None) -> Answer:
        return self.transport.call("GET", path, kind=kind, params=params)

    def _one(self, model: type[_R], answer: Answer, what: str) -> _R:
        return parse(model, answer.data, what=what, request_id=answer.request_id)

    def _get_or_none(self, model: type[_R], path: str, *, kind: str, what: str) -> _R | None:
        try:
            answer = self._get(path, kind=kind)
        except ApiError as exc:
            # 403: exists but out of the caller's reach; for planning that is "not there".
            if exc.status in (403, 404):
                return None
            raise
        return self._one(model, answer, what)

    def _pages(
        self, path: str, *, kind: str, params: Params, model: type[_P]
    ) -> Iterator[tuple[_P, str | None]]:
        what = f"GET {path}"

        def fetch(url: str, query: Params | None = None) -> tuple[_P, str | None]:
            answer = self._get(url, kind=kind, params=query)
            return self._one(model, answer, what), answer.request_id

        return walk_pages(fetch(path, params), fetch, what=what)

    def _items(self, model: type[_R], path: str, *, kind: str, params: Params) -> Iterator[_R]:
        for page, request_id in self._pages(path, kind=kind, params=params, model=Page):
            for index, item in enumerate(page.items):
                yield parse(model, item, what=f"GET {path} item {index}", request_id=request_id)

    def _bulk(
        self, model: type[_R], path: str, key: str, ids: Sequence[str], *, kind: str
    ) -> list[_R | ItemError]:
        """A bulk get in calls of at most 100 ids, several at once; reads, so retried like any
        GET. Answers come back in request order; the first failed chunk raises."""
        return [
            entry for part in self._bulk_parts(model, path, key, ids, kind=kind) for entry in part
        ]

    def _bulk_parts(
        self, model: type[_R], path: str, key: str, ids: Sequence[str], *, kind: str
    ) -> Generator[list[_R | ItemError], None, None]:
        """`_bulk`, one chunk's entries at a time, in request order. At most two chunks per
        worker are sent ahead of the one the caller is reading, so a slow caller holds a few
        answers, not all of them."""
        chunks = [list(ids[start : start + BULK_LIMIT]) for start in range(0, len(ids), BULK_LIMIT)]

        def one(chunk: list[str]) -> list[_R | ItemError]:
            answer = self.transport.call("POST", path, kind=kind, body={key: chunk})
            entries = _bulk_entries(model, answer, len(chunk), what=f"POST {path}")
            # Entries are matched to requests by position; one that names another id would
            # put the wrong file (or job) in the plan, so it is refused, never trusted.
            for requested, entry in zip(chunk, entries, strict=True):
                got = getattr(entry, "id", requested)
                if got != requested:
                    raise ApiError(
                        f"POST {path}: the answer for {requested} describes {got}: "
                        "entries must come in request order",
                        request_id=answer.request_id,
                    )
            return entries

        if len(chunks) <= 1 or self._bulk_workers <= 1:
            yield from map(one, chunks)
            return
        pool = self._workers()
        waiting = iter(chunks)
        ahead: deque[Future[list[_R | ItemError]]] = deque()
        try:
            for chunk in waiting:
                ahead.append(pool.submit(one, chunk))
                if len(ahead) >= 2 * self._bulk_workers:
                    break
            while ahead:
                part = ahead.popleft().result()
                following = next(waiting, None)
                if following is not None:
                    ahead.append(pool.submit(one, following))
                yield part
        finally:
            # A failed chunk (or a caller that stops reading) sends nothing more.
            for future in ahead:
                future.cancel()

    def _workers(self) -> ThreadPoolExecutor:
        """The client's worker threads, started on first use and kept until `close()`, so each
        keeps its session (and its kept-alive connection) from one bulk read to the next."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self._bulk_workers, thread_name_prefix="reconciler-bulk"
                )
            return self._pool

    # ---- user, projects ------------------------------------------------------------------

    def get_user(self) -> User:
        return self._one(User, self._get("/user", kind="get_user"), "GET /user")

    def get_rate_limit(self) -> RateLimit:
        """The caller's rate budget now (`GET /rate_limit` does not count against it)."""
        answer = self._get("/rate_limit", kind="get_rate_limit")
        return self._one(RateLimit, answer, "GET /rate_limit")

    def get_project(self, project_id: str) -> Project | None:
        return self._get_or_none(
            Project, f"/projects/{_ids(project_id)}", kind="get_project", what="project"
        )

    # ---- files ---------------------------------------------------------------------------

    def get_file(self, file_id: str) -> File | None:
        return self._get_or_none(File, f"/files/{_ids(file_id)}", kind="get_file", what="file")

    def bulk_get_files(self, file_ids: Sequence[str]) -> list[File | ItemError]:
        return self._bulk(File, "/bulk/files/get", "file_ids", file_ids, kind="bulk_get_files")

    def iter_bulk_get_files(self, file_ids: Sequence[str]) -> Iterator[File | ItemError]:
        """`bulk_get_files` as the chunks arrive: one entry per id, in order. A reader that
        stops early (or closes the iterator) stops the chunks not yet sent."""
        parts = self._bulk_parts(
            File, "/bulk/files/get", "file_ids", file_ids, kind="bulk_get_files"
        )
        try:
            for part in parts:
                yield from part
        finally:
            parts.close()

    def search_files(
        self, query: str, *, limit: int = PAGE_LIMIT, cont_token: str | None = None
    ) -> Iterator[SearchPage]:
        """Every page of the file search for `query` (the platform's query language), from
        `cont_token` on, each next page asked for with the token the page before gave.

        A read, retried like any. An answer of another shape than the contract's, or a token
        that comes back again (a walk that would never end), is an ApiError without a status:
        a caller that can do without the search may fall back on it."""
        path = "/files/search"
        what = f"POST {path}"
        seen: set[str] = set()
        token = cont_token
        for _ in range(MAX_PAGES):
            params: dict[str, str | int | list[str]] = {"limit": limit}
            if token is not None:
                params["cont_token"] = token
            answer = self.transport.call(
                "POST",
                path,
                kind="search",
                params=params,
                body={"query": query},
                headers=ADVANCE_ACCESS,
            )
            page = self._one(SearchPage, answer, what)
            yield page
            if not page.cont_token:
                return
            if page.cont_token in seen or page.cont_token == cont_token:
                raise ApiError(
                    f"{what}: the continuation token came back again; stopped",
                    request_id=answer.request_id,
                )
            seen.add(page.cont_token)
            token = page.cont_token
        raise ApiError(f"{what}: more than {MAX_PAGES} pages; stopped")

    def list_files(
        self,
        *,
        project: str | None = None,
        parent: str | None = None,
        names: Sequence[str] = (),
        fields: str | None = FILE_FIELDS,
    ) -> Iterator[File]:
        """The direct children of a project's root (`project=`) or of a folder (`parent=`),
        all pages; with `names`, only children with those exact names."""
        if (project is None) == (parent is None):
            raise ValueError("list_files needs exactly one of project= or parent=")
        params: dict[str, str | int | list[str]] = {"limit": PAGE_LIMIT}
        if project is not None:
            params["project"] = project
        if parent is not None:
            params["parent"] = parent
        if names:
            params["name"] = list(names)
        if fields:
            params["fields"] = fields
        return self._items(File, "/files", kind="list_files", params=params)

    # ---- volumes -------------------------------------------------------------------------

    def get_volume(self, volume_id: str) -> Volume | None:
        return self._get_or_none(
            Volume, f"/storage/volumes/{_ids(volume_id)}", kind="get_volume", what="volume"
        )

    def list_volume_objects(self, volume_id: str, prefix: str = "") -> VolumeListing:
        """One level under `prefix` (a folder: "" or ending in "/"), every page."""
        params: dict[str, str | int | list[str]] = {"limit": PAGE_LIMIT, "fields": "_all"}
        if prefix:
            params["prefix"] = prefix
        objects: list[VolumeObject] = []
        prefixes: list[str] = []
        path = f"/storage/volumes/{_ids(volume_id)}/list"
        for page, request_id in self._pages(
            path, kind="list_objects", params=params, model=ObjectPage
        ):
            for index, item in enumerate(page.items):
                what = f"GET {path} item {index}"
                objects.append(parse(VolumeObject, item, what=what, request_id=request_id))
            prefixes.extend(p.prefix for p in page.prefixes)
        return VolumeListing(objects=tuple(objects), prefixes=tuple(prefixes))

    def get_volume_object(self, volume_id: str, location: str) -> VolumeObject | None:
        path = f"/storage/volumes/{_ids(volume_id)}/object"
        try:
            answer = self._get(path, kind="get_object", params={"location": location})
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return self._one(VolumeObject, answer, f"GET {path}")

    # ---- exports -------------------------------------------------------------------------

    def list_exports(self, volume_id: str | None, state: str) -> Iterator[Export]:
        """The caller's export jobs in `state`, on one volume or (None) on every volume."""
        params: dict[str, str | int | list[str]] = {"state": state, "limit": PAGE_LIMIT}
        if volume_id is not None:
            params["volume"] = volume_id
        return self._items(Export, "/storage/exports", kind="list_exports", params=params)

    def get_export(self, export_id: str) -> Export | None:
        return self._get_or_none(
            Export, f"/storage/exports/{_ids(export_id)}", kind="get_export", what="export"
        )

    def bulk_get_exports(self, export_ids: Sequence[str]) -> list[Export | ItemError]:
        return self._bulk(
            Export, "/bulk/storage/exports/get", "export_ids", export_ids, kind="bulk_get_exports"
        )

    def bulk_create_exports(
        self, items: Sequence[dict[str, Any]], *, copy_only: bool
    ) -> list[Export | ItemError]:
        """Submit at most 100 export items in one call (the caller chunks).

        Never retried except after a 429: any other failure without a readable answer raises
        TransportError, and only re-reading the state can tell what was created.
        """
        if not 0 < len(items) <= BULK_LIMIT:
            raise ValueError(f"bulk_create_exports takes 1 to {BULK_LIMIT} items, not {len(items)}")
        path = "/bulk/storage/exports/create"
        body = {"items": list(items)}
        answer = self._post_export(path, body, kind="bulk_create_exports", copy_only=copy_only)
        entries = _bulk_entries(Export, answer, len(items), what=f"POST {path}", written=True)
        for item, entry in zip(items, entries, strict=True):
            if isinstance(entry, Export) and not _describes(entry, item):
                # Which jobs exist is now unknown: apply re-reads, as for a lost answer.
                raise TransportError(
                    f"POST {path}: the answer for file {item['source']['file']} describes a "
                    f"job for file {entry.source.file} (the call may have taken effect)",
                    request_id=answer.request_id,
                )
        return entries

    def create_export(self, item: dict[str, Any], *, copy_only: bool) -> Export:
        path = "/storage/exports"
        answer = self._post_export(path, item, kind="create_export", copy_only=copy_only)
        return _written(Export, answer, f"POST {path}")

    def _post_export(
        self, path: str, body: dict[str, Any], *, kind: str, copy_only: bool
    ) -> Answer:
        """A create call: never retried (see `bulk_create_exports`), a copy asked for by the
        query (`copy_only=true`), a move by leaving it out."""
        return self.transport.call(
            "POST",
            path,
            kind=kind,
            params={"copy_only": "true"} if copy_only else None,
            body=body,
            idempotent=False,
        )


def _describes(job: Export, item: dict[str, Any]) -> bool:
    """Whether a created job is the one `item` asked for."""
    destination = item.get("destination", {})
    asked = (
        item.get("source", {}).get("file"),
        destination.get("volume"),
        destination.get("location"),
    )
    return (job.source.file, job.destination.volume, job.destination.location) == asked


def _ids(value: str) -> str:
    # owner/name ids keep their slash; anything else that could change the path is escaped.
    return "/".join(quote(part, safe="") for part in value.split("/"))


def _written(model: type[_R], answer: Answer, what: str) -> _R:
    """A write's answer: when it cannot be read, what happened is unknown (TransportError)."""
    try:
        return parse(model, answer.data, what=what, request_id=answer.request_id)
    except ApiError as exc:
        raise TransportError(
            f"{exc.api_message} (the call may have taken effect)", request_id=answer.request_id
        ) from None


def _bulk_entries(
    model: type[_R], answer: Answer, expected: int, *, what: str, written: bool = False
) -> list[_R | ItemError]:
    parse_answer = _written if written else _read
    bulk = parse_answer(BulkAnswer, answer, what)
    if len(bulk.items) != expected:
        message = f"{what}: {len(bulk.items)} entries in the answer for {expected} requested"
        if written:
            raise TransportError(message, request_id=answer.request_id)
        raise ApiError(message, request_id=answer.request_id)
    out: list[_R | ItemError] = []
    for index, entry in enumerate(bulk.items):
        if entry.error is not None:
            out.append(entry.error)
        elif entry.resource is not None:
            item_what = f"{what} entry {index}"
            if written:
                out.append(
                    _written(
                        model,
                        Answer(answer.status, entry.resource, answer.request_id, {}),
                        item_what,
                    )
                )
            else:
                out.append(
                    parse(model, entry.resource, what=item_what, request_id=answer.request_id)
                )
        else:
            out.append(ItemError(message=f"entry {index} has neither resource nor error"))
    return out


def _read(model: type[_R], answer: Answer, what: str) -> _R:
    return parse(model, answer.data, what=what, request_id=answer.request_id)
