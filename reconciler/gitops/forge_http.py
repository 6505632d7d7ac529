"""HTTP as both code hosts' doors (gitlab.py, github.py) use it: one request, never following a
redirect with the token; an artifact download whose redirects to object storage are followed
over https without any credential; and the https-or-loopback rule for an API address."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from reconciler.api.trust import is_loopback
from reconciler.errors import ApiError, ConfigError, TransportError

TIMEOUT_SECONDS = 30
MAX_DOWNLOAD_REDIRECTS = 3


def send(
    session: requests.Session,
    method: str,
    url: str,
    headers: Mapping[str, str],
    what: str,
    **kwargs: Any,
) -> requests.Response:
    """One request, redirects not followed (requests would send the token on to their host)."""
    try:
        return session.request(
            method,
            url,
            headers=dict(headers),
            timeout=TIMEOUT_SECONDS,
            allow_redirects=False,
            **kwargs,
        )
    except requests.RequestException as exc:
        where = urlsplit(url).path
        raise TransportError(f"{what}: {method} {where}: {type(exc).__name__}") from None


def download(
    session: requests.Session, url: str, headers: Mapping[str, str], what: str, host: str
) -> requests.Response:
    """GET `url` with `headers` (the token); its redirects are followed over https (plain http
    on loopback only), without any credential."""
    response = send(session, "GET", url, headers, what)
    for _ in range(MAX_DOWNLOAD_REDIRECTS):
        if not 300 <= response.status_code < 400:
            return response
        url = urljoin(url, response.headers.get("Location", ""))
        try:
            check_url(url, host)
        except ConfigError:
            raise ApiError(f"{what}: the download redirected to a URL that is not https") from None
        response = send(session, "GET", url, {}, what)
    if 300 <= response.status_code < 400:
        raise ApiError(f"{what}: more than {MAX_DOWNLOAD_REDIRECTS} redirects")
    return response


def check_url(url: str, host: str) -> None:
    """https with a host name, or plain http on loopback; `host` names the API in the error."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme != "http" or not is_loopback(parts.hostname or ""):
        raise ConfigError(f"{url}: {host}'s API must be https (plain http only on loopback)")
