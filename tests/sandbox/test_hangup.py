"""A client that hangs up before its answer (a timeout, a killed apply) is no server error."""

from __future__ import annotations

import socket
import time
from typing import Any
from urllib.parse import urlsplit

import pytest


def test_a_client_hanging_up_prints_no_traceback(
    sandbox: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox.configure(latency=0.3)
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
    time.sleep(1.0)
    assert "Traceback" not in capsys.readouterr().err
    assert len([e for e in sandbox.request_log() if e["path"] == "/v2/user"]) == 3
