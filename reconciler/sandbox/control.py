"""The control endpoints under `/_sandbox/`, for loopback clients only.

GET  /_sandbox/config     the current settings (faults.Settings) as JSON
POST /_sandbox/config     change some settings: a JSON object of name -> value
GET  /_sandbox/requests   the request log, as a JSON list
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from .app import Outcome
from .errors import ApiFailure, SettingsError, bad_request
from .faults import Faults
from .requestlog import RequestLog


def _loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address(client.split("%")[0]).is_loopback
    except ValueError:
        return False


def handle(
    faults: Faults, requests: RequestLog, method: str, path: str, body: bytes, client: str
) -> Outcome:
    if not _loopback(client):
        return Outcome(403, ApiFailure(403, 403, "control endpoints answer loopback only").body())
    try:
        return Outcome(200, _dispatch(faults, requests, method, path, body))
    except ApiFailure as failure:
        return Outcome(failure.status, failure.body())
    except SettingsError as exc:
        return Outcome(400, bad_request(str(exc)).body())


def _dispatch(faults: Faults, requests: RequestLog, method: str, path: str, body: bytes) -> Any:
    if path == "/_sandbox/config" and method == "GET":
        return faults.settings.to_dict()
    if path == "/_sandbox/config" and method == "POST":
        try:
            changes = json.loads(body or b"{}")
        except ValueError:
            raise bad_request("the body must be a JSON object of settings") from None
        if not isinstance(changes, dict):
            raise bad_request("the body must be a JSON object of settings")
        return faults.update(changes).to_dict()
    if path == "/_sandbox/requests" and method == "GET":
        return requests.entries()
    raise ApiFailure(404, 404, f"no such control endpoint: {method} {path}")
