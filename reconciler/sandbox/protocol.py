"""What an endpoint sees and returns, and the services it may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import bad_request
from .faults import Faults
from .objects import ObjectStore
from .store import Store


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    username: str
    url: str  # this request's absolute URL, for `href`

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise bad_request("the request body must be a JSON object")
        return self.body


@dataclass
class ApiResponse:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    lose: bool = False  # commit done; drop the connection instead of answering


@dataclass(frozen=True)
class Services:
    store: Store
    objects: ObjectStore
    faults: Faults
    base: str  # http://127.0.0.1:PORT/v2
    wake_jobs: Callable[[], None]
    clock: Callable[[], float]


Endpoint = Callable[[Services, ApiRequest, dict[str, str]], ApiResponse]
