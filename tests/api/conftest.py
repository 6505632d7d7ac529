"""A loopback HTTP stub for the edge cases the sandbox cannot produce on demand (hostile
bodies, exact 429 sequences), and a fake clock whose sleep advances it."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.retry import RetryPolicy
from reconciler.api.transport import Transport
from tests.reliability.secret import SECRET_TOKEN

TOKEN = SECRET_TOKEN  # the secret the session-wide guard looks for


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Stub:
    """Answers each request with `handler(seen)`, or the next reply of `replies`."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.replies: list[Reply] = []
        self.handler: Callable[[Seen], Reply] | None = None
        self.url = ""

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def answer(self, seen: Seen) -> Reply:
        self.seen.append(seen)
        if self.handler is not None:
            return self.handler(seen)
        return self.replies.pop(0) if self.replies else Reply(500, {"message": "no reply left"})


def _handler_class(stub: Stub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = stub.answer(Seen(self.command, self.path, dict(self.headers), body))
            if reply.drop:
                self.close_connection = True
                self.connection.close()
                return
            payload = reply.body
            if not isinstance(payload, bytes | str):
                payload = json.dumps(payload)
            data = payload.encode() if isinstance(payload, str) else payload
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", "X-Request-Id": "req-1", **reply.headers}
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            # The client may have given up already (timeout tests).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)

        do_GET = do_POST = _serve

    return Handler


def serve(stub: Stub, server_class: type[ThreadingHTTPServer] = ThreadingHTTPServer) -> Any:
    server = server_class(("127.0.0.1", 0), _handler_class(stub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture
def stub() -> Iterator[Stub]:
    stub = Stub()
    server = serve(stub)
    stub.url = f"http://127.0.0.1:{server.server_address[1]}/v2"
    yield stub
    server.shutdown()
    server.server_close()


class FakeClock:
    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(clock: FakeClock) -> Callable[..., ApiClient]:
    """A client on `url` with the fake clock, full (not random) backoff steps and 2 s timeouts."""

    def make(url: str, **retry: Any) -> ApiClient:
        config = ApiConfig(endpoint=url, token=TOKEN, connect_timeout=2.0, read_timeout=2.0)
        policy = RetryPolicy(random=lambda: 1.0, **retry)
        transport = Transport(config, retry=policy, clock=clock, sleep=clock.sleep)
        return ApiClient(config, transport=transport)

    return make
