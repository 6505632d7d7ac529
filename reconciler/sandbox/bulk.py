"""Bulk calls: the bounded list in the request body, and one answer item per entry.

An answer item is `{"resource": ...}` or `{"error": <the error body>}`, in the order of the
request, and the call itself answers 200 even when every item failed (docs/api.md, "Bulk calls").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .errors import ApiFailure, bad_request
from .lookups import Kind
from .protocol import ApiRequest, ApiResponse, Services
from .store import Row

MAX_BULK = 100


def check_size(key: str, entries: Sequence[Any]) -> None:
    if len(entries) > MAX_BULK:
        raise bad_request(f"{key}: at most {MAX_BULK} entries per call, got {len(entries)}")


def id_list(request: ApiRequest, key: str) -> list[str]:
    ids = request.json_object().get(key)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise bad_request(f"{key} must be a list of ids")
    check_size(key, ids)
    return ids


def answer_item(
    outcome: Row | ApiFailure, render: Callable[[Row], dict[str, Any]]
) -> dict[str, Any]:
    if isinstance(outcome, ApiFailure):
        return {"error": outcome.body()}
    return {"resource": render(outcome)}


def bulk_get(ctx: Services, request: ApiRequest, key: str, kind: Kind) -> ApiResponse:
    """`POST /bulk/.../get`: each id of `key` looked up as `kind`, a miss as its error item."""
    items = []
    for item_id in id_list(request, key):
        found = kind.find(ctx.store, request.username, item_id)
        outcome = kind.missing(item_id) if found is None else found
        items.append(answer_item(outcome, lambda row: kind.render(row, ctx.base)))
    return ApiResponse(200, {"items": items})
