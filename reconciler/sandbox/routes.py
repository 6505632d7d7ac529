"""The route table: method, path pattern, endpoint, and whether the call reads or writes.

Bulk *get* calls and the file search are reads (they change nothing); export creates are the
writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import api_exports, api_files, api_search, api_storage
from .faults import CallKind
from .protocol import Endpoint

_SEGMENT = r"[^/]+"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    endpoint: Endpoint
    kind: CallKind


def _route(method: str, template: str, endpoint: Endpoint, kind: CallKind = "read") -> Route:
    regex = re.sub(r"\{(\w+)\}", rf"(?P<\1>{_SEGMENT})", template)
    return Route(method, re.compile(f"^/v2{regex}$"), endpoint, kind)


ROUTES = (
    _route("GET", "/user/?", api_files.get_user),
    _route("GET", "/projects/?", api_files.list_projects),
    _route("GET", "/projects/{owner}/{project}", api_files.get_project),
    _route("GET", "/files", api_files.list_files),
    _route("GET", "/files/{id}", api_files.get_file),
    _route("GET", "/files/{id}/list", api_files.list_folder),
    _route("POST", "/bulk/files/get", api_files.bulk_get_files),
    _route("POST", "/files/search", api_search.search_files),
    _route("GET", "/storage/volumes", api_storage.list_volumes),
    _route("GET", "/storage/volumes/{owner}/{volume}", api_storage.get_volume),
    _route("GET", "/storage/volumes/{owner}/{volume}/list", api_storage.list_objects),
    _route("GET", "/storage/volumes/{owner}/{volume}/object", api_storage.get_object),
    _route("POST", "/storage/exports", api_exports.create_export, "write"),
    _route("POST", "/bulk/storage/exports/create", api_exports.bulk_create_exports, "write"),
    _route("POST", "/bulk/storage/exports/get", api_exports.bulk_get_exports),
    _route("GET", "/storage/exports", api_exports.list_exports),
    _route("GET", "/storage/exports/{id}", api_exports.get_export),
)


def resolve(method: str, path: str) -> tuple[Route, dict[str, str]] | str | None:
    """The route and its path parameters; 'method' when only the method is wrong; None."""
    path_matched = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict()
        path_matched = True
    return "method" if path_matched else None
