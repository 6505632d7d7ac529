"""The control endpoints under `/_sandbox/`, for loopback clients only.

GET  /_sandbox/config     the current settings (faults.Settings) as JSON
POST /_sandbox/config     change some settings: a JSON object of name -> value
GET  /_sandbox/requests   the request log, as a JSON list
POST /_sandbox/files      add one project file to the running sandbox: a JSON object like a
                          seed's `files` entry (project, path, size, optional id, metadata,
                          tags); answers {"id": ...}. For tests of a file that appears after a
                          plan was reviewed.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from .app import Outcome
from .errors import ApiFailure, SeedError, SettingsError, bad_request
from .faults import Faults
from .protocol import Services
from .requestlog import RequestLog
from .seed_files import add_file


def _loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address(client.split("%")[0]).is_loopback
    except ValueError:
        return False


def handle(
    faults: Faults,
    requests: RequestLog,
    method: str,
    path: str,
    body: bytes,
    client: str,
    services: Services | None = None,
) -> Outcome:
    if not _loopback(client):
        return Outcome(403, ApiFailure(403, 403, "control endpoints answer loopback only").body())
    try:
        return Outcome(200, _dispatch(faults, requests, method, path, body, services))
    except ApiFailure as failure:
        return Outcome(failure.status, failure.body())
    except (SettingsError, SeedError) as exc:
        return Outcome(400, bad_request(str(exc)).body())


def _dispatch(
    faults: Faults,
    requests: RequestLog,
    method: str,
    path: str,
    body: bytes,
    services: Services | None,
) -> Any:
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
    if path == "/_sandbox/files" and method == "POST" and services is not None:
        try:
            entry = json.loads(body or b"null")
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            raise bad_request("the body must be a JSON object like a seed's files entry")
        with services.store.transaction() as conn:
            return {"id": add_file(conn, services.objects, entry)}
    raise ApiFailure(404, 404, f"no such control endpoint: {method} {path}")
