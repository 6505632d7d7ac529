"""Hostile servers on a real loopback port, below HTTP: each accepted connection is handed to a
behaviour (close it at once, hold it silent, trickle bytes, send canned bytes), so the client
meets what no well-behaved HTTP server would send.

    with RawServer(canned(b"HTTP/1.1 600 Odd\\r\\nContent-Length: 0\\r\\n\\r\\n")) as server:
        ... SB_API_ENDPOINT=server.url ...
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType

Behaviour = Callable[[socket.socket, threading.Event], None]


class RawServer:
    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stop = threading.Event()
        self.accepted = 0
        self._held: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v2"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop.set()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self.listener.close()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._held.append(connection)
            threading.Thread(target=self._run, args=(connection,), daemon=True).start()

    def _run(self, connection: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.behaviour(connection, self.stop)


def read_request(connection: socket.socket) -> bytes:
    """The request's head (what arrived within a second), so the client is done writing."""
    connection.settimeout(1.0)
    data = b""
    with contextlib.suppress(TimeoutError):
        while b"\r\n\r\n" not in data:
            chunk = connection.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def closing(connection: socket.socket, stop: threading.Event) -> None:
    """Accept, then close at once without a word."""
    connection.close()


def silent(connection: socket.socket, stop: threading.Event) -> None:
    """Accept, read the request, and never answer (until the server stops)."""
    read_request(connection)
    stop.wait()


def trickling(every: float) -> Behaviour:
    """Read the request, then send the status line and headers a byte every `every` seconds:
    each read gets its byte long before any read timeout."""

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        read_request(connection)
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Pad: " * 10_000
        for byte in head:
            if stop.wait(every):
                return
            connection.sendall(bytes([byte]))

    return behave


def canned(answer: bytes) -> Behaviour:
    """Read the request, send `answer`, close."""

    def behave(connection: socket.socket, stop: threading.Event) -> None:
        read_request(connection)
        connection.sendall(answer)
        connection.close()

    return behave
