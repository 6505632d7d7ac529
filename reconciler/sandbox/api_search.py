"""`POST /v2/files/search[?limit=N&cont_token=T]`, body `{"query": "..."}`: the platform's search
(docs/api.md, "Search"), in the language of search_query.py over the index of search_index.py.

The answer is `{"count", "cont_token", "result_set": [{"id", "name", "type", "metadata",
"tags"}, ...]}`, `cont_token` null on the last page. The sandbox's readings where the contract
is silent, which a client must not rely on beyond them:

- `count` is the number of files and folders the whole query matches, not the page's. It is
  counted for the first page and the token carries it to the next ones (counting a million rows
  per page would make paging them slow); files added while paging can make the pages hold more.
- `type` is `file` or `folder`, as the file resource spells it; `type = "FILE"` in a query
  compares without regard to case. `id AS field` names the key that carries each id.
- Results are ordered by id, ascending unless `ORDER BY id DESC`. The token is URL-safe base64
  of the query's fingerprint, the last id returned and the count: a page starts after that id,
  so a file added while paging repeats or hides nothing (it shows up if its id sorts after the
  page). Another query's token is refused (400); the locations, conditions, order and RECURSIVE
  make a query, LIMIT and OFFSET do not. `TOKEN` in the query and the `cont_token` parameter
  are the same thing (given both, they must agree); `OFFSET` (at most 10,000) applies to the
  first page only. The `limit` parameter wins over `LIMIT`; both are 1 to 100, default 50.
- A location that is no project the caller reaches is a 404 with code 3002, a folder path that
  does not exist a 404 with code 5002 (what `GET /v2/projects/{id}` and `GET /v2/files/{id}`
  answer); a path that names a file is a 400.
- Extensions: a name has every extension it ends with after a dot and at least one character
  (`a.vcf.gz` matches `GZ` and `VCF.GZ`, `.bashrc` matches none), compared without regard to
  ASCII case; folders have none.
- An account without advance access (the seed's `advance_access: false`) gets 403, code 90002,
  before its query is read. The `X-Sbg-Advance-Access` header is neither needed nor checked.
- The fault setting `search_lag` leaves out of every answer (count included) the files and
  folders added to the running sandbox in the last that many seconds, STALE or not: on the
  platform STALE allows a lagging index, but a query without it is promised no fresh one, and
  the switch is there to test clients against the lag.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from . import errors, search_index
from .errors import ApiFailure, bad_request
from .ids import FILE_ID
from .paging import DEFAULT_LIMIT, limit_param
from .protocol import ApiRequest, ApiResponse, Services
from .search_query import SearchQuery, parse

_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_\-]{1,400}")


def search_files(ctx: Services, request: ApiRequest, _: dict[str, str]) -> ApiResponse:
    allowed = ctx.store.scalar(
        "SELECT advance_access FROM users WHERE username = ?", (request.username,)
    )
    if not allowed:
        message = "file search is an advance-access feature, and this account does not have it"
        raise ApiFailure(403, errors.FORBIDDEN, message)
    text = request.json_object().get("query")
    if not isinstance(text, str):
        raise bad_request('the body must carry "query": the search query, as a string')
    query = parse(text)
    limit = limit_param(request) or query.limit or DEFAULT_LIMIT
    fingerprint = query.fingerprint()
    token = _given_token(request, query)
    continued = None if token is None else _read_token(token, fingerprint)
    scopes = search_index.scopes(ctx.store, request.username, query)
    lag = ctx.faults.settings.search_lag
    filters = search_index.Filters(query.conditions, ctx.clock() - lag if lag else None)
    if continued is None:
        after, offset = None, query.offset or 0
        count = search_index.count(ctx.store, scopes, filters)
    else:
        (after, count), offset = continued, 0
    rows: list[dict[str, Any]] = []
    if count:  # else nothing matched: no page to read
        want = offset + limit + 1  # one more than shown: whether another page follows
        rows = search_index.page(ctx.store, scopes, filters, after, query.descending, want, count)
    shown = rows[offset : offset + limit]
    more = len(rows) > offset + limit
    body = {
        "count": count,
        "cont_token": _token(fingerprint, shown[-1]["id"], count) if more else None,
        "result_set": [_result(row, query.id_field) for row in shown],
    }
    return ApiResponse(200, body)


def _result(row: dict[str, Any], id_field: str) -> dict[str, Any]:
    return {
        id_field: row["id"],
        "name": row["name"],
        "type": row["type"],
        "metadata": row["metadata"],
        "tags": row["tags"],
    }


def _given_token(request: ApiRequest, query: SearchQuery) -> str | None:
    given = request.param("cont_token") or None
    if given is not None and query.token is not None and given != query.token:
        raise bad_request("the cont_token parameter and the query's TOKEN differ; give one")
    return given or query.token


def _token(fingerprint: str, after: str, count: int) -> str:
    state = json.dumps({"q": fingerprint, "after": after, "count": count}, separators=(",", ":"))
    return base64.urlsafe_b64encode(state.encode()).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> tuple[str, int]:
    """Where the page starts and the count, from a token this query returned; 400 otherwise."""
    state: Any = None
    if _TOKEN_TEXT.fullmatch(token):
        try:
            state = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except ValueError:
            state = None
    if not (
        isinstance(state, dict)
        and isinstance(state.get("q"), str)
        and isinstance(state.get("after"), str)
        and FILE_ID.match(state["after"])
        and type(state.get("count")) is int
        and state["count"] >= 0
    ):
        shown = token if len(token) <= 40 else f"{token[:40]}..."
        raise bad_request(f"cont_token {shown!r} is not a continuation token of this sandbox")
    if state["q"] != fingerprint:
        raise bad_request(
            "cont_token belongs to another query; a token continues only the query that made it"
        )
    return state["after"], state["count"]
