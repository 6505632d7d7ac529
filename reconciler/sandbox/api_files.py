"""Endpoints for the caller, projects and files: user, projects, files, bulk file get."""

from __future__ import annotations

from typing import Any

from . import access, errors, lookups
from .bulk import bulk_get
from .errors import bad_request
from .paging import page_of, page_window, paged
from .protocol import ApiRequest, ApiResponse, Services
from .resources import file_resource, project_resource, select_fields, user_resource


def get_user(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    user = ctx.store.read_one("SELECT * FROM users WHERE username = ?", (request.username,))
    assert user is not None  # a token always names a seeded user
    return ApiResponse(200, select_fields(user_resource(user, ctx.base), request.param("fields")))


def list_projects(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    projects = access.reachable_rows(ctx.store, "projects", request.username)
    return page_of(request, projects, lambda p: project_resource(p, ctx.base))


def get_project(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    return lookups.PROJECT.respond(ctx, request, f"{match['owner']}/{match['project']}")


def _filters(request: ApiRequest) -> tuple[list[str], list[Any]]:
    """SQL conditions for name= (any of), metadata.<key>= (any value per key), tag= (any)."""
    where: list[str] = []
    params: list[Any] = []
    names = request.query.get("name", [])
    if names:
        where.append(f"name IN ({','.join('?' * len(names))})")
        params += names
    for key, values in request.query.items():
        if key.startswith("metadata.") and len(key) > len("metadata."):
            where.append(
                "EXISTS (SELECT 1 FROM json_each(files.metadata) WHERE key = ?"
                f" AND CAST(value AS TEXT) IN ({','.join('?' * len(values))}))"
            )
            params += [key[len("metadata.") :], *values]
    tags = request.query.get("tag", [])
    if tags:
        marks = ",".join("?" * len(tags))
        where.append(f"EXISTS (SELECT 1 FROM json_each(files.tags) WHERE value IN ({marks}))")
        params += tags
    return where, params


def list_files(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    project_id, parent_id = request.param("project"), request.param("parent")
    if (project_id is None) == (parent_id is None):
        raise bad_request("give exactly one of project= or parent=")
    if project_id is not None:
        parent = _root_folder(ctx, request, project_id)
    else:
        assert parent_id is not None
        parent = _folder(ctx, request, parent_id)
    return _children(ctx, request, parent)


def list_folder(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    """`GET /files/{id}/list`: a folder's direct children (the official `folder.list_files()`)."""
    return _children(ctx, request, _folder(ctx, request, match["id"]))


def _root_folder(ctx: Services, request: ApiRequest, project_id: str) -> str:
    if project_id.count("/") != 1 or "" in project_id.split("/"):
        message = f"project id {project_id!r} is not owner/project"
        raise bad_request(message, errors.PROJECT_ID_MALFORMED)
    project = lookups.PROJECT.get(ctx.store, request.username, project_id)
    return str(project["root_folder"])


def _folder(ctx: Services, request: ApiRequest, folder_id: str) -> str:
    folder = lookups.FOLDER.get(ctx.store, request.username, folder_id)
    if folder["type"] != "folder":
        raise bad_request(f"{folder_id} is a file, not a folder")
    return folder_id


def _children(ctx: Services, request: ApiRequest, parent: str) -> ApiResponse:
    offset, limit = page_window(request)
    where, params = _filters(request)
    condition = " AND ".join(["parent = ?", *where])
    total = int(
        ctx.store.scalar(f"SELECT COUNT(*) FROM files WHERE {condition}", [parent, *params])
    )
    rows = ctx.store.read(
        f"SELECT * FROM files WHERE {condition} ORDER BY name, id LIMIT ? OFFSET ?",
        [parent, *params, limit, offset],
    )
    fields = request.param("fields")
    items = [select_fields(file_resource(row, ctx.base), fields) for row in rows]
    return paged(request, items, total, offset, limit)


def get_file(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    return lookups.FILE.respond(ctx, request, match["id"])


def bulk_get_files(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    return bulk_get(ctx, request, "file_ids", lookups.FILE)
