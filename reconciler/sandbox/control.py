"""The control endpoints under `/_sandbox/`: loopback clients with the sandbox's token only.

GET  /_sandbox/config     the current settings (faults.Settings) as JSON
POST /_sandbox/config     change some settings: a JSON object of name -> value
GET  /_sandbox/requests   the request log, as a JSON list
POST /_sandbox/files      add one project file to the running sandbox: a JSON object like a
                          seed's `files` entry (project, path, size, optional id, metadata,
                          tags); answers {"id": ...}. For tests of a file that appears after a
                          plan was reviewed.

Every route, whatever its method, is checked here before it is dispatched: the client must be
on loopback, the `Host` header (and `Origin`, when sent) must name a loopback host, and the
sandbox's token must be in the `X-SBG-Auth-Token` header (never the query). The token alone is
not enough, since the demo token is public; the Host check is what stops a web page in the
user's browser from reaching the control port through DNS rebinding.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from . import errors
from .app import TOKEN_HEADER, Outcome
from .errors import (
    ApiFailure,
    SandboxError,
    SeedError,
    SettingsError,
    bad_request,
    not_found,
    unexpected,
)
from .faults import Faults
from .protocol import Services
from .requestlog import RequestLog
from .seed_files import add_file


def _loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address(client.split("%")[0]).is_loopback
    except ValueError:
        return False


# A Host header is host[:port] and nothing else (RFC 9110): no user part, no path. Parsing it
# as a URL would read `evil.example@localhost` as the host localhost.
_HOST = re.compile(r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")


def _loopback_host(value: str | None, *, with_scheme: bool) -> bool:
    """True for `127.0.0.1:PORT`, `[::1]:PORT`, `localhost` (or, for Origin, with an http(s)
    scheme), matched whole."""
    if not value:
        return False
    if with_scheme:
        scheme, separator, value = value.partition("://")
        if not separator or scheme.lower() not in ("http", "https"):
            return False
    found = _HOST.fullmatch(value)
    if found is None:
        return False
    host = found["host"].lower()
    return host == "localhost" or _loopback(host.strip("[]"))


def refusal(client: str, headers: Mapping[str, str], token: str) -> ApiFailure | None:
    """Why a control request may not be served, or None. `headers` have lower-case names."""
    if not _loopback(client):
        return ApiFailure(403, errors.FORBIDDEN, "control endpoints answer loopback only")
    if not _loopback_host(headers.get("host"), with_scheme=False):
        return ApiFailure(403, errors.FORBIDDEN, "control endpoints need a loopback Host header")
    origin = headers.get("origin")
    if origin is not None and not _loopback_host(origin, with_scheme=True):
        return ApiFailure(403, errors.FORBIDDEN, "control endpoints refuse foreign origins")
    given = headers.get(TOKEN_HEADER, "")
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        message = "control endpoints need the sandbox's token in the X-SBG-Auth-Token header"
        return ApiFailure(401, errors.UNAUTHORIZED, message)
    return None


def handle(
    faults: Faults,
    requests: RequestLog,
    method: str,
    path: str,
    body: bytes,
    client: str,
    headers: Mapping[str, str],
    token: str,
    services: Services | None = None,
) -> Outcome:
    if failure := refusal(client, headers, token):
        return Outcome(failure.status, failure.body())
    try:
        return Outcome(200, _dispatch(faults, requests, method, path, body, services))
    except ApiFailure as failure:
        return Outcome(failure.status, failure.body())
    except (SettingsError, SeedError) as exc:
        return Outcome(400, bad_request(str(exc)).body())
    except SandboxError as exc:  # its own data folder: a file it will not open
        return Outcome(500, unexpected(str(exc)).body())


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
            return {"id": add_file(conn, services.objects, entry, services.clock())}
    raise not_found(f"no such control endpoint: {method} {path}")
