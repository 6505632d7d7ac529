"""What the sandbox cannot take is a 400 in the platform's error shape (issue 22, point 4): a
body nested too deep, a body over its size limit (refused unread), a number out of range; and
the control routes match the Host header whole."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from reconciler.sandbox.app import MAX_DEPTH
from reconciler.sandbox.handler import MAX_BODY_BYTES
from reconciler.sandbox.server import Sandbox

from .helpers import OUTPUT, PROJECT, control, session

pytestmark = pytest.mark.timeout(30)
ERROR_SHAPE = {"status", "code", "message", "more_info"}


def refusal(answer: requests.Response) -> str:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert set(body) == ERROR_SHAPE and body["status"] == 400
    assert "internal" not in body["message"]
    return str(body["message"])


@pytest.mark.parametrize("depth", [100_000, MAX_DEPTH + 1])
def test_a_body_nested_too_deep_is_a_400(sandbox: Sandbox, depth: int) -> None:
    body = '{"items": ' + "[" * depth + "]" * depth + "}"
    answer = session(sandbox).post(f"{sandbox.url}/bulk/storage/exports/create", data=body)
    refusal(answer)


def test_a_body_at_the_depth_limit_is_read(sandbox: Sandbox) -> None:
    nested: object = "x"
    for _ in range(MAX_DEPTH - 3):  # the object, the list and the item hold it
        nested = [nested]
    answer = session(sandbox).post(
        f"{sandbox.url}/bulk/storage/exports/create", json={"items": [{"source": nested}]}
    )
    assert answer.status_code == 200, answer.text  # read, and the item refused on its own


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/files", {"project": PROJECT, "offset": "9" * 400}),
        ("/files", {"project": PROJECT, "limit": "9" * 400}),
        ("/storage/exports", {"volume": OUTPUT, "offset": "9" * 400}),
        ("/storage/exports", {"volume": OUTPUT, "offset": str(2**63)}),
        ("/files", {"project": PROJECT, "offset": "-1"}),
    ],
)
def test_a_number_out_of_range_is_a_400(
    sandbox: Sandbox, path: str, params: dict[str, str]
) -> None:
    message = refusal(session(sandbox).get(f"{sandbox.url}{path}", params=params))
    assert "must be an integer from" in message and len(message) < 200, message


def test_a_body_over_the_limit_is_refused_unread(sandbox: Sandbox) -> None:
    # Only the head is sent: the answer comes without the sandbox waiting for the body.
    with socket.create_connection((sandbox.host, sandbox.port), timeout=10) as connection:
        connection.sendall(
            f"POST /v2/bulk/storage/exports/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"X-SBG-Auth-Token: {sandbox.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {100 * MAX_BODY_BYTES}\r\n\r\n".encode()
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    message = json.loads(body)["message"]
    assert f"over the {MAX_BODY_BYTES} accepted" in message


@pytest.mark.parametrize(
    "host", ["evil.example@localhost", "evil.example@127.0.0.1:1", "localhost/evil", "localhost:x"]
)
def test_the_host_header_is_matched_whole(sandbox: Sandbox, host: str) -> None:
    answer = control(sandbox, "config", headers={"Host": host})
    assert answer.status_code == 403
    assert answer.json()["code"] == 90002
