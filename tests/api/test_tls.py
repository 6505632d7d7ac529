"""TLS is always verified: a loopback HTTPS server with a self-signed certificate is refused
without its CA bundle and accepted with it."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.transport import Transport
from reconciler.errors import TransportError
from tests.tls import self_signed_context

from .conftest import TOKEN, Reply, Stub, serve


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    context, cert = self_signed_context(tmp_path)
    stub = Stub()
    stub.handler = lambda seen: Reply(200, {"username": "tls-user"})

    class TlsServer(ThreadingHTTPServer):
        def get_request(self):  # type: ignore[no-untyped-def]
            sock, address = super().get_request()
            return context.wrap_socket(sock, server_side=True), address

    server = serve(stub, TlsServer)
    yield f"https://127.0.0.1:{server.server_address[1]}/v2", cert
    server.shutdown()
    server.server_close()


def test_self_signed_refused_without_bundle(
    tls_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    url, _ = tls_server
    client = ApiClient(ApiConfig(endpoint=url, token=TOKEN))
    with pytest.raises(TransportError, match=r"TLS verification failed.*--ca-bundle"):
        client.get_user()
    assert client.stats.snapshot() == {"get_user": 1}  # not retried: it would never succeed


def test_self_signed_accepted_with_bundle(tls_server: tuple[str, Path]) -> None:
    url, cert = tls_server
    client = ApiClient(ApiConfig(endpoint=url, token=TOKEN, ca_bundle=str(cert)))
    assert client.get_user().username == "tls-user"


def test_sessions_never_disable_verification() -> None:
    transport = Transport(ApiConfig(endpoint="https://example.org/v2", token=TOKEN))
    assert transport.session().verify is True
