"""HTTP/1.1 plumbing: read one request (body included, even on GET), answer it, log it.

Every answer carries `X-Request-Id` and a Content-Length, so connections stay alive. A body
is read only up to MAX_BODY_BYTES: one announced larger is answered 400 unread. A
response marked `lose` is never written: the connection is shut down instead, after the work
was committed, which is what a client sees when a response is lost on the way.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import control
from .app import App, Outcome
from .errors import bad_request
from .faults import Faults
from .ids import new_request_id
from .requestlog import RequestLog

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 30.0  # seconds a kept-alive connection may sit idle
# A bulk call of 100 items is a few tens of KB: a larger body is refused unread, so no request
# can make the sandbox hold more than this much of it.
MAX_BODY_BYTES = 1024 * 1024


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], app: App, faults: Faults, requests: RequestLog
    ) -> None:
        self.app, self.faults, self.requests = app, faults, requests
        self.control_token = ""  # the sandbox's token, set once the state is open
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SandboxHandler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down kept-alive connections, so their threads end with the server."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sbg-sandbox/1.0"
    timeout = IDLE_TIMEOUT
    # Headers and body go out in separate writes; without TCP_NODELAY a kept-alive client's
    # delayed ACK would add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - " + format, self.address_string(), *args)

    def _serve(self) -> None:
        started = time.monotonic()
        request_id = new_request_id()
        raw_length = (self.headers.get("Content-Length") or "0").strip()
        if not raw_length.isdigit() or len(raw_length) > 12:
            self.close_connection = True
            self._send(Outcome(400, bad_request("bad Content-Length").body()), request_id)
            return
        length = int(raw_length)
        if length > MAX_BODY_BYTES:
            # Not read at all: the connection closes after the answer.
            self.close_connection = True
            message = f"the request body is {length} bytes, over the {MAX_BODY_BYTES} accepted"
            self._send(Outcome(400, bad_request(message).body()), request_id)
            return
        body = self.rfile.read(length) if length > 0 else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        if urlsplit(self.path).path.startswith("/_sandbox/"):
            outcome = control.handle(
                self.server.faults,
                self.server.requests,
                self.command,
                urlsplit(self.path).path,
                body,
                self.client_address[0],
                headers,
                self.server.control_token,
                services=self.server.app.services,
            )
            self._send(outcome, request_id)
            return
        outcome = self.server.app.handle(self.command, self.path, headers, body)
        entry: dict[str, Any] = {
            "time": time.time(),
            "method": self.command,
            "path": self.path,
            "status": None if outcome.lose else outcome.status,
            "request_id": request_id,
        }
        if outcome.lose:
            entry["lost"] = True
        # Logged before answering, so a client that got its answer finds it in the log.
        entry["duration"] = round(time.monotonic() - started, 6)
        self.server.requests.append(entry)
        if outcome.lose:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
        else:
            self._send(outcome, request_id)

    def _send(self, outcome: Outcome, request_id: str) -> None:
        payload = json.dumps(outcome.body).encode()
        try:
            self.send_response(outcome.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("X-Request-Id", request_id)
            for name, value in outcome.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client hung up (a timeout, a killed apply): its loss, not a server error.
            self.close_connection = True
