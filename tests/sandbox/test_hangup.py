"""A client that hangs up before its answer (a timeout, a killed apply) is no server error."""

from __future__ import annotations

import socket
import threading
from typing import Any
from urllib.parse import urlsplit

import pytest

from reconciler.sandbox.handler import SandboxHTTPServer


def test_a_client_hanging_up_prints_no_traceback(
    sandbox: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A connection is shut down after its handler ended, a traceback included: once three are,
    # whatever the failed writes printed is on stderr.
    closed = threading.Semaphore(0)
    shutdown_request = SandboxHTTPServer.shutdown_request

    def counted(server: SandboxHTTPServer, request: Any) -> None:
        shutdown_request(server, request)
        closed.release()

    monkeypatch.setattr(SandboxHTTPServer, "shutdown_request", counted)
    sandbox.configure(latency=0.3)  # the answer comes after the client is gone
    url = urlsplit(sandbox.url)
    for _ in range(3):
        with socket.create_connection((url.hostname, url.port)) as conn:
            conn.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            request = (
                f"GET /v2/user HTTP/1.1\r\nHost: x\r\nX-SBG-Auth-Token: {sandbox.token}\r\n\r\n"
            )
            conn.sendall(request.encode())
        # closed with RST before the answer: the server's write fails
    for number in range(3):
        assert closed.acquire(timeout=30), f"{number} of 3 connections were closed"
    assert "Traceback" not in capsys.readouterr().err
    assert len([e for e in sandbox.request_log() if e["path"] == "/v2/user"]) == 3
