"""Endpoints for the caller, projects and files: user, projects, files, bulk file get."""

from __future__ import annotations

from typing import Any

from . import access, errors
from .errors import bad_request, not_found
from .ids import FILE_ID
from .paging import page_of, page_window, paged
from .protocol import ApiRequest, ApiResponse, Services
from .resources import file_resource, project_resource, select_fields, user_resource

MAX_BULK = 100


def get_user(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    user = ctx.store.read_one("SELECT * FROM users WHERE username = ?", (request.username,))
    assert user is not None  # a token always names a seeded user
    return ApiResponse(200, select_fields(user_resource(user, ctx.base), request.param("fields")))


def list_projects(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    projects = access.reachable_projects(ctx.store, request.username)
    return page_of(request, projects, lambda p: project_resource(p, ctx.base))


def get_project(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    project_id = f"{match['owner']}/{match['project']}"
    project = access.project_for(ctx.store, request.username, project_id)
    if project is None:
        raise not_found(f"project {project_id} not found", errors.PROJECT_NOT_FOUND)
    return ApiResponse(
        200, select_fields(project_resource(project, ctx.base), request.param("fields"))
    )


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
    project = access.project_for(ctx.store, request.username, project_id)
    if project is None:
        raise not_found(f"project {project_id} not found", errors.PROJECT_NOT_FOUND)
    return str(project["root_folder"])


def _folder(ctx: Services, request: ApiRequest, folder_id: str) -> str:
    folder = access.file_for(ctx.store, request.username, folder_id)
    if folder is None:
        raise not_found(f"folder {folder_id} not found", errors.FILE_NOT_FOUND)
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
    found = access.file_for(ctx.store, request.username, match["id"])
    if found is None:
        raise not_found(f"file {match['id']} not found", errors.FILE_NOT_FOUND)
    return ApiResponse(200, select_fields(file_resource(found, ctx.base), request.param("fields")))


def id_list(request: ApiRequest, key: str) -> list[str]:
    ids = request.json_object().get(key)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_request(f"{key} must be a list of ids")
    if len(ids) > MAX_BULK:
        raise bad_request(f"{key}: at most {MAX_BULK} entries per call, got {len(ids)}")
    return ids


def bulk_get_files(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    items: list[dict[str, Any]] = []
    for file_id in id_list(request, "file_ids"):
        found = (
            access.file_for(ctx.store, request.username, file_id)
            if FILE_ID.match(file_id)
            else None
        )
        if found is None:
            missing = not_found(f"file {file_id} not found", errors.FILE_NOT_FOUND)
            items.append({"error": missing.body()})
        else:
            items.append({"resource": file_resource(found, ctx.base)})
    return ApiResponse(200, {"items": items})
