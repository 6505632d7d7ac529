"""A limit on a whole answer, status line and headers included: a server that sends a byte every
few seconds never trips a per-read timeout, so the connection itself is shut once the answer
has taken longer than its limit since the request was written.

requests and urllib3 offer only per-read timeouts. The transport's sessions use the connection
classes below, which arm a timer when they start waiting for the answer (`getresponse`); the
transport disarms it once the body is read. A timer that fires shuts the socket, the blocked
read fails, and the transport, seeing `fired`, says the answer was too slow. (Through an
environment proxy, urllib3's proxy manager makes its own connections: only per-read
timeouts bound those.)
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class AnswerLimit:
    """One attempt's limit: `seconds` after the request is written, the socket is shut."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def arm(self, sock: socket.socket | Any) -> None:
        with self._lock:
            if self._timer is None:
                self._timer = threading.Timer(self.seconds, self._fire, args=(sock,))
                self._timer.daemon = True
                self._timer.start()

    def disarm(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()

    def _fire(self, sock: socket.socket | Any) -> None:
        self.fired = True
        with contextlib.suppress(OSError, AttributeError, ValueError):
            sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def answer_limit(seconds: float) -> Iterator[AnswerLimit]:
    """While inside, this thread's requests through `limited_adapter` sessions are cut off
    `seconds` after each request is written."""
    limit = AnswerLimit(seconds)
    _current.limit = limit
    try:
        yield limit
    finally:
        _current.limit = None
        limit.disarm()


def _arm(connection: HTTPConnection) -> None:
    limit: AnswerLimit | None = getattr(_current, "limit", None)
    if limit is not None and connection.sock is not None:
        limit.arm(connection.sock)


class _LimitedHTTPConnection(HTTPConnection):
    def getresponse(self) -> Any:
        _arm(self)
        return super().getresponse()


class _LimitedHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        _arm(self)
        return super().getresponse()


class _LimitedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _LimitedHTTPConnection


class _LimitedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _LimitedHTTPSConnection


def limited_adapter(pool_maxsize: int) -> HTTPAdapter:
    """An adapter whose connections honour `answer_limit` (and never retry on their own)."""
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {
        "http": _LimitedHTTPPool,
        "https": _LimitedHTTPSPool,
    }
    return adapter
