"""One resource the caller names by id: found where they reach it, or the contract's 404.

Every endpoint that names a project, volume, file, folder or export answers a miss the same way:
404, `<kind> <id> not found` and the kind's published code, whether the call is a get, a bulk
get (one error item per miss), a listing by parent or an export item. The kinds live here once
so that the words and codes of a miss cannot drift apart between those endpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import access, errors
from .errors import ApiFailure, not_found
from .protocol import ApiRequest, ApiResponse, Services
from .resources import (
    export_resource,
    file_resource,
    project_resource,
    select_fields,
    volume_resource,
)
from .store import Row, Store


@dataclass(frozen=True)
class Kind:
    noun: str  # how a miss names it: "volume lab/out not found"
    missing_code: int
    find: Callable[[Store, str, str], Row | None]  # (store, username, id): None if unreachable
    render: Callable[[Row, str], dict[str, Any]]  # (row, base URL): the API's JSON resource

    def missing(self, item_id: str) -> ApiFailure:
        return not_found(f"{self.noun} {item_id} not found", self.missing_code)

    def get(self, store: Store, username: str, item_id: str) -> Row:
        found = self.find(store, username, item_id)
        if found is None:
            raise self.missing(item_id)
        return found

    def respond(self, ctx: Services, request: ApiRequest, item_id: str) -> ApiResponse:
        """The answer to a GET of one: the resource, trimmed to `fields=`, or the 404."""
        found = self.get(ctx.store, request.username, item_id)
        return ApiResponse(
            200, select_fields(self.render(found, ctx.base), request.param("fields"))
        )


PROJECT = Kind("project", errors.PROJECT_NOT_FOUND, access.project_for, project_resource)
VOLUME = Kind("volume", errors.VOLUME_NOT_FOUND, access.volume_for, volume_resource)
FILE = Kind("file", errors.FILE_NOT_FOUND, access.file_for, file_resource)
# A folder is a file row; only a miss names it differently (listing a folder's children).
FOLDER = Kind("folder", errors.FILE_NOT_FOUND, access.file_for, file_resource)
EXPORT = Kind("export", errors.EXPORT_NOT_FOUND, access.export_for, export_resource)
