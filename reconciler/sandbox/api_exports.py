"""Endpoints for exports: single and bulk create, bulk get, get, and list by volume and state."""

from __future__ import annotations

from . import lookups
from .bulk import answer_item, bulk_get, check_size
from .errors import ApiFailure, bad_request
from .exports import create_exports
from .paging import page_window, paged
from .protocol import ApiRequest, ApiResponse, Services
from .resources import export_resource, select_fields

STATES = ("PENDING", "RUNNING", "COMPLETED", "FAILED")
MAX_STATES = 4  # `state` may be repeated, up to 4 times, and matches any of them


def _copy_only(request: ApiRequest) -> bool:
    raw = request.param("copy_only")
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise bad_request(f"copy_only must be true or false, got {raw!r}")
    return raw.lower() == "true"


def create_export(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    copy_only = _copy_only(request)
    item = request.json_object()
    settings = ctx.faults.settings
    [outcome] = create_exports(
        ctx.store, ctx.objects, request.username, [item], copy_only, settings, ctx.clock()
    )
    if isinstance(outcome, ApiFailure):
        raise outcome
    ctx.wake_jobs()
    return ApiResponse(201, export_resource(outcome, ctx.base))


def bulk_create_exports(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    copy_only = _copy_only(request)
    items = request.json_object().get("items")
    if not isinstance(items, list):
        raise bad_request("items must be a list of export items")
    check_size("items", items)
    settings = ctx.faults.settings
    outcomes = create_exports(
        ctx.store, ctx.objects, request.username, items, copy_only, settings, ctx.clock()
    )
    ctx.wake_jobs()
    entries = [
        answer_item(outcome, lambda job: export_resource(job, ctx.base)) for outcome in outcomes
    ]
    return ApiResponse(200, {"items": entries}, lose=ctx.faults.take_lost_response())


def bulk_get_exports(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    return bulk_get(ctx, request, "export_ids", lookups.EXPORT)


def get_export(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    return lookups.EXPORT.respond(ctx, request, match["id"])


def list_exports(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    offset, limit = page_window(request)
    where, params = ["owner = ?"], [request.username]
    volume = request.param("volume")
    states = [state for state in request.query.get("state", []) if state]
    if volume:
        where.append("volume = ?")
        params.append(volume)
    if len(states) > MAX_STATES:
        raise bad_request(f"state: at most {MAX_STATES} states, got {len(states)}")
    for state in states:
        if state not in STATES:
            raise bad_request(f"state must be one of {', '.join(STATES)}, got {state!r}")
    if states:
        where.append(f"state IN ({','.join('?' * len(states))})")
        params += states
    condition = " AND ".join(where)
    total = int(ctx.store.scalar(f"SELECT COUNT(*) FROM exports WHERE {condition}", params))
    jobs = ctx.store.read(
        f"SELECT * FROM exports WHERE {condition} ORDER BY seq LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    fields = request.param("fields")
    items = [select_fields(export_resource(job, ctx.base), fields) for job in jobs]
    return paged(request, items, total, offset, limit)
