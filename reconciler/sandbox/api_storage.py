"""Endpoints for volumes: list, get, object listing (with `/` delimiter) and object info."""

from __future__ import annotations

import base64
import binascii

from . import access, lookups
from .errors import bad_request, not_found
from .objects import location_problem
from .paging import page_of, page_window, with_params
from .protocol import ApiRequest, ApiResponse, Services
from .resources import object_resource, prefix_resource, volume_resource
from .store import Row


def list_volumes(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    volumes = access.reachable_rows(ctx.store, "volumes", request.username)
    return page_of(request, volumes, lambda v: volume_resource(v, ctx.base))


def _volume_id(match: dict[str, str]) -> str:
    return f"{match['owner']}/{match['volume']}"


def _volume(ctx: Services, request: ApiRequest, match: dict[str, str]) -> Row:
    return lookups.VOLUME.get(ctx.store, request.username, _volume_id(match))


def get_volume(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    return lookups.VOLUME.respond(ctx, request, _volume_id(match))


def _token_key(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_request("continuation_token is not one this server gave out") from None


def list_objects(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    volume = _volume(ctx, request, match)
    _, limit = page_window(request)
    query_prefix = request.param("prefix") or ""
    if query_prefix.startswith("/") or ".." in query_prefix.split("/"):
        raise bad_request(f"prefix {query_prefix!r} must be relative to the volume")
    after = _token_key(request.param("continuation_token"))
    service = volume["service"]
    listing = ctx.objects.list(
        service["bucket"], service.get("prefix", ""), query_prefix, limit, after
    )
    links = []
    if listing.last_key is not None:
        token = base64.urlsafe_b64encode(listing.last_key.encode()).decode()
        links.append({"next": with_params(request.url, request.query, continuation_token=token)})
    body = {
        "href": request.url,
        "items": [object_resource(volume["id"], item, ctx.base) for item in listing.items],
        "prefixes": [prefix_resource(volume["id"], p, ctx.base) for p in listing.prefixes],
        "links": links,
    }
    return ApiResponse(200, body)


def get_object(ctx: Services, request: ApiRequest, match: dict[str, str]) -> ApiResponse:
    volume = _volume(ctx, request, match)
    location = request.param("location")
    if problem := location_problem(location):
        raise bad_request(problem)
    assert location is not None
    service = volume["service"]
    # A key over the length limit cannot exist: not found, like any absent object.
    stored = ctx.objects.get(service["bucket"], service.get("prefix", ""), location)
    if stored is None:
        raise not_found(f"object {volume['id']}:{location} not found")
    return ApiResponse(200, object_resource(volume["id"], stored, ctx.base))
