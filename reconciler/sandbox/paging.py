"""Offset/limit pages: bounds (1..100, default 50, else 400), `links` rel next, total header.

The search pages by token, not offset, but shares the bounds of `limit` (`limit_param`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from .errors import bad_request
from .protocol import ApiRequest, ApiResponse
from .resources import select_fields

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
# The largest offset taken: SQLite's integers are 64-bit, and no listing is longer.
MAX_OFFSET = 2**53


def _shown(raw: str) -> str:
    return repr(raw) if len(raw) <= 24 else repr(raw[:21] + "...")


def _integer(request: ApiRequest, name: str, default: int, low: int, high: int) -> int:
    """The query parameter `name`, from `low` to `high`, else a 400."""
    raw = request.param(name)
    if raw is None:
        return default
    refusal = f"{name} must be an integer from {low} to {high}"
    # Digits beyond what the bound allows are refused before they are converted.
    if len(raw.strip()) > len(str(high)) + 1:
        raise bad_request(f"{refusal}, got {_shown(raw)}")
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{refusal}, got {_shown(raw)}") from None
    if not low <= value <= high:
        raise bad_request(f"{refusal}, got {value}")
    return value


def checked_limit(limit: int, name: str = "limit") -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"{name} must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def limit_param(request: ApiRequest) -> int | None:
    """The `limit` query parameter, 1 to 100, or None when not given."""
    if request.param("limit") is None:
        return None
    return _integer(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def page_window(request: ApiRequest) -> tuple[int, int]:
    offset = _integer(request, "offset", 0, 0, MAX_OFFSET)
    limit = limit_param(request)
    return offset, DEFAULT_LIMIT if limit is None else limit


def with_params(url: str, query: dict[str, list[str]], **changes: str) -> str:
    """`url` with its query rebuilt from `query`, some parameters replaced."""
    pairs = [(k, v) for k, values in query.items() if k not in changes for v in values]
    pairs += list(changes.items())
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), ""))


def paged(
    request: ApiRequest, items: list[dict[str, Any]], total: int, offset: int, limit: int
) -> ApiResponse:
    links = []
    if offset + limit < total:
        next_url = with_params(
            request.url, request.query, offset=str(offset + limit), limit=str(limit)
        )
        links.append({"href": next_url, "rel": "next", "method": "GET"})
    body = {"href": request.url, "items": items, "links": links}
    return ApiResponse(200, body, {"X-Total-Matching-Query": str(total)})


def page_of(
    request: ApiRequest, rows: Sequence[Any], to_resource: Callable[[Any], dict[str, Any]]
) -> ApiResponse:
    """One page of an in-memory list, each row shown through `to_resource` and `fields`."""
    offset, limit = page_window(request)
    fields = request.param("fields")
    page = [select_fields(to_resource(row), fields) for row in rows[offset : offset + limit]]
    return paged(request, page, len(rows), offset, limit)
