"""A hostile proxy on loopback: forwards every API call to a real sandbox and answers the calls
one rule matches with something broken instead (a proxy's HTML page, a truncated body, a
field of the wrong type, ...), often built from the real answer.

    with HostileProxy(sandbox.url) as proxy:
        proxy.rule = Rule(r"GET /v2/projects/", lambda up: Reply(502, HTML, HTML_TYPE))
        ... SB_API_ENDPOINT=proxy.url ...

`Upstream` is the sandbox's answer to the same request; the sandbox's own base URL in bodies
is rewritten to the proxy's, so next links lead back through it. Nothing is logged: requests
carry the token.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without a word
    short_by: int = 0  # announce this many more bytes than are sent, then close
    stream: int = 0  # send this many bytes of zeros after `body` (a huge answer)
    hang: float = 0.0  # wait this long before answering (never, for the client's timeout)


@dataclass(frozen=True)
class Upstream:
    status: int
    headers: dict[str, str]
    body: bytes
    base: str  # the proxy's own http://host:port
    target: str  # the path and query string that was asked for

    @property
    def data(self) -> Any:
        return json.loads(self.body)


@dataclass
class Rule:
    route: str  # regex searched in "METHOD /path" (no query string)
    answer: Callable[[Upstream], Reply]

    def matches(self, method: str, path: str) -> bool:
        return re.search(self.route, f"{method} {path}") is not None


class HostileProxy:
    def __init__(self, upstream_url: str, *, tls: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(upstream_url)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.upstream_base = f"{parts.scheme}://{parts.netloc}"
        self.rule: Rule | None = None
        self.hits = 0  # requests the rule answered
        self.seen: list[tuple[str, str]] = []  # method and path of every request
        self._server = _QuietServer(("127.0.0.1", 0), _handler(self))
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.base = f"{scheme}://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.base + "/v2"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Upstream:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            connection.request(method, path, body=body or None, headers=sent)
            response = connection.getresponse()
            data = response.read()
            answer_headers = {k: v for k, v in response.getheaders()}
            status = response.status
        finally:
            connection.close()
        data = data.replace(self.upstream_base.encode(), self.base.encode())
        return Upstream(status, answer_headers, data, self.base, path)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up on a hostile answer is the point, not a problem


def _handler(proxy: HostileProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests carry the token; nothing is logged

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            path = urlsplit(self.path).path
            proxy.seen.append((self.command, path))
            upstream = proxy.forward(self.command, self.path, dict(self.headers), body)
            rule = proxy.rule
            if rule is not None and rule.matches(self.command, path):
                proxy.hits += 1
                self._send(rule.answer(upstream))
            else:
                self._send(
                    Reply(
                        upstream.status,
                        upstream.body,
                        upstream.headers.get("Content-Type", ""),
                        {k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
                    ),
                    passthrough=True,
                )

        def _send(self, reply: Reply, passthrough: bool = False) -> None:
            if reply.hang:
                proxy._stop.wait(reply.hang)
            if reply.drop:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            payload = reply.body
            if not isinstance(payload, bytes | str):
                payload = json.dumps(payload)
            data = payload.encode() if isinstance(payload, str) else payload
            self.send_response(reply.status)
            headers = {} if passthrough else {"X-Request-Id": "proxy-req-1"}
            headers.update(reply.headers)
            if reply.content_type:
                headers["Content-Type"] = reply.content_type
            for name, value in headers.items():
                if name.lower() not in ("server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data) + reply.short_by + reply.stream))
            self.end_headers()
            with contextlib.suppress(OSError):
                self.wfile.write(data)
                zeros = b"0" * (1 << 20)
                left = reply.stream
                while left > 0 and not proxy._stop.is_set():
                    self.wfile.write(zeros[: min(left, len(zeros))])
                    left -= len(zeros)
            if reply.short_by:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

    return Handler


@contextlib.contextmanager
def proxy_for(upstream_url: str) -> Iterator[HostileProxy]:
    with HostileProxy(upstream_url) as proxy:
        yield proxy
