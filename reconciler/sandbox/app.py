"""The request pipeline, independent of the socket: latency, auth, rate limit, maintenance,
routing, injected 5xx, the endpoint, and the error body for whatever went wrong.

Order matters and follows docs/api.md: a 401 is answered before the rate limit counts (it does
not count); `GET /v2/rate_limit` answers the quota without counting; every other authenticated
call counts, 429s included.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import errors
from .errors import ApiFailure, bad_request, not_found, unexpected
from .ids import iso
from .protocol import ApiRequest, ApiResponse, Services
from .ratelimit import Quota, RateLimiter
from .routes import resolve

log = logging.getLogger(__name__)

TOKEN_HEADER = "x-sbg-auth-token"
RATE_LIMIT_PATH = "/v2/rate_limit"
# No call of the API nests deeper than a few levels (a bulk item's destination is 3 down).
MAX_DEPTH = 32


@dataclass
class Outcome:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    lose: bool = False


def _failure(failure: ApiFailure, headers: dict[str, str] | None = None) -> Outcome:
    return Outcome(failure.status, failure.body(), dict(headers or {}))


class App:
    def __init__(self, services: Services, limiter: RateLimiter) -> None:
        self.services = services
        self.limiter = limiter

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Outcome:
        ctx = self.services
        settings = ctx.faults.settings
        if settings.latency:
            time.sleep(settings.latency)
        now = ctx.clock()
        token = headers.get(TOKEN_HEADER)
        username = ctx.store.username_for(token) if token else None
        if token is None or username is None:
            quota = self.limiter.peek(token, now, settings.rate_limit, settings.rate_window)
            failure = ApiFailure(401, errors.UNAUTHORIZED, "missing or unknown X-SBG-Auth-Token")
            return _failure(failure, quota.headers())
        if urlsplit(target).path.rstrip("/") == RATE_LIMIT_PATH:
            return self._rate_limit(method, token, now)
        quota = self.limiter.hit(token, now, settings.rate_limit, settings.rate_window)
        outcome = self._authenticated(method, target, body, username, quota)
        outcome.headers.update(quota.headers())
        return outcome

    def _rate_limit(self, method: str, token: str, now: float) -> Outcome:
        """The caller's quota, as the official client's `api.rate_limit.get()` reads it."""
        settings = self.services.faults.settings
        quota = self.limiter.peek(token, now, settings.rate_limit, settings.rate_window)
        if method != "GET":
            failure = ApiFailure(405, errors.METHOD_NOT_ALLOWED, f"{method} is not allowed here")
            return _failure(failure, quota.headers())
        # `reset` as sevenbridges-python reads it (a DateTimeField in its models, the client
        # docs/api.md is written from); the X-RateLimit-Reset header keeps Unix seconds.
        rate = {"limit": quota.limit, "remaining": quota.remaining, "reset": iso(quota.reset)}
        # The sandbox runs no tasks: no instance is ever in use.
        body = {"rate": rate, "instance_limit": {"limit": 0, "remaining": 0}}
        return Outcome(200, body, quota.headers())

    def _authenticated(
        self, method: str, target: str, raw_body: bytes, username: str, quota: Quota
    ) -> Outcome:
        ctx = self.services
        settings = ctx.faults.settings
        if quota.exceeded:
            return _failure(
                ApiFailure(429, errors.RATE_LIMITED, "rate limit exceeded; wait for the reset")
            )
        if settings.maintenance:
            return _failure(
                ApiFailure(503, errors.MAINTENANCE, "the platform is under maintenance")
            )
        parts = urlsplit(target)
        resolved = resolve(method, parts.path)
        if resolved is None:
            return _failure(not_found(f"no such resource: {parts.path}"))
        if isinstance(resolved, str):
            message = f"{method} is not allowed on {parts.path}"
            return _failure(ApiFailure(405, errors.METHOD_NOT_ALLOWED, message))
        route, match = resolved
        if ctx.faults.inject_error(route.kind):
            return _failure(unexpected("internal server error (injected by the sandbox)"))
        try:
            body = self._json(method, raw_body)
            request = ApiRequest(
                method=method,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                body=body,
                username=username,
                url=ctx.base.removesuffix("/v2") + target,
            )
            response: ApiResponse = route.endpoint(ctx, request, match)
        except ApiFailure as failure:
            return _failure(failure)
        except Exception:
            log.exception("%s %s failed", method, parts.path)
            return _failure(unexpected("internal sandbox error (a bug in the sandbox)"))
        return Outcome(response.status, response.body, dict(response.headers), response.lose)

    @staticmethod
    def _json(method: str, raw: bytes) -> Any:
        # The official client sends `null` as the body of every GET; only POST bodies matter.
        if method != "POST":
            return None
        try:
            body = json.loads(raw or b"null")
            # JSON's \uD800 decodes to a lone surrogate, which is no text: SQLite (and any
            # UTF-8 writer) would fail on it later. Encoding raises UnicodeEncodeError for it.
            json.dumps(body, ensure_ascii=False).encode()
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            raise bad_request(
                "the request body is not valid JSON", errors.UNDECODABLE_BODY
            ) from None
        if _deeper_than(body, MAX_DEPTH):
            raise bad_request(f"the request body nests deeper than {MAX_DEPTH} levels")
        return body


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON `value` nests more than `limit` arrays and objects (walked without
    recursion, so any depth json.loads took is measured)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            if depth + 1 > limit:
                return True
            stack.extend((child, depth + 1) for child in item)
    return False
