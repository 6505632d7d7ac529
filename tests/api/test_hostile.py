"""Hostile and broken answers: each becomes one line of ApiError/TransportError, never a
traceback, never the token. Reads get no retries here (max_attempts=1) to see the first error."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.errors import ApiError, TransportError

from .conftest import TOKEN, Reply, Seen, Stub

MakeClient = Callable[..., ApiClient]
ID = "a" * 24
HTML = "<!DOCTYPE html><html><head><title>502</title></head>\n<body>Bad Gateway</body></html>"


def get_file(c: ApiClient) -> Any:
    return c.get_file(ID)


def bulk_files(c: ApiClient) -> Any:
    return c.bulk_get_files([ID, ID])


def list_files(c: ApiClient) -> Any:
    return list(c.list_files(project="o/p"))


def list_objects(c: ApiClient) -> Any:
    return c.list_volume_objects("o/v", "dir/")


def create(c: ApiClient) -> Any:
    item = {"source": {"file": ID}, "destination": {"volume": "o/v", "location": "x"}}
    return c.bulk_create_exports([item], copy_only=False)


def list_exports(c: ApiClient) -> Any:
    return list(c.list_exports("o/v", "PENDING"))


CASES: list[tuple[str, Callable[[ApiClient], Any], Reply, type[ApiError], str]] = [
    ("html 502", get_file, Reply(502, HTML, {"Content-Type": "text/html"}), ApiError,
     "no readable error body (text/html"),
    ("html 200", get_file, Reply(200, HTML, {"Content-Type": "text/html"}), TransportError,
     "unreadable answer (HTTP 200, text/html"),
    ("truncated json", get_file, Reply(200, '{"id": "' + ID), TransportError, "not JSON"),
    ("empty 200", get_file, Reply(200, ""), ApiError, "body: Input should be"),
    ("json list", get_file, Reply(200, [1, 2]), ApiError, "unexpected response: body"),
    ("json string", get_file, Reply(200, '"hello"'), ApiError, "unexpected response"),
    ("missing id", get_file, Reply(200, {"name": "x"}), ApiError, "id: Field required"),
    ("id wrong type", get_file, Reply(200, {"id": {"a": 1}}), ApiError, "id: Input should be"),
    ("size wrong type", get_file, Reply(200, {"id": ID, "size": "big"}), ApiError, "size:"),
    ("tags not a list", get_file, Reply(200, {"id": ID, "tags": 5}), ApiError, "tags:"),
    ("storage string", get_file, Reply(200, {"id": ID, "storage": "x"}), ApiError, "storage"),
    ("binary garbage", get_file, Reply(200, b"\xff\xfe\x00\x81"), TransportError, "not JSON"),
    ("deep json", get_file, Reply(200, "[" * 100_000 + "]" * 100_000), TransportError,
     "not JSON"),
    ("error not json", get_file, Reply(400, "Bad Request"), ApiError, "HTTP 400"),
    ("error wrong shape", get_file, Reply(400, {"message": ["x"], "code": "7"}), ApiError,
     "no readable error body"),
    ("401", get_file, Reply(401, {"status": 401, "code": 401, "message": "Unauthorized"}),
     ApiError, "check the token"),
    ("bulk not envelope", bulk_files, Reply(200, [{"resource": {}}]), ApiError, "body"),
    ("bulk short", bulk_files, Reply(200, {"items": [{"resource": {"id": ID}}]}), ApiError,
     "1 entries in the answer for 2 requested"),
    ("bulk entry garbage", bulk_files, Reply(200, {"items": [7, 8]}), ApiError, "items.0"),
    ("bulk resource bad", bulk_files,
     Reply(200, {"items": [{"resource": {"id": 5}}, {"error": {"message": "nf"}}]}), ApiError,
     "entry 0"),
    ("page without items", list_files, Reply(200, {"links": []}), ApiError, "items: Field"),
    ("page items not list", list_files, Reply(200, {"items": {"a": 1}}), ApiError, "items"),
    ("page bad link", list_files, Reply(200, {"items": [], "links": [5]}), ApiError, "links.0"),
    ("page item bad", list_files, Reply(200, {"items": [{"name": "x"}]}), ApiError, "item 0"),
    ("objects bad prefix", list_objects, Reply(200, {"items": [], "prefixes": [{"p": 1}]}),
     ApiError, "prefixes.0.prefix"),
    ("object without location", list_objects, Reply(200, {"items": [{"volume": "o/v"}]}),
     ApiError, "location"),
    ("export bad state", list_exports, Reply(200, {"items": [{"id": "e", "state": 3}]}),
     ApiError, "state"),
    ("create html 502", create, Reply(502, HTML), TransportError, "may have taken effect"),
    ("create truncated", create, Reply(200, '{"items": ['), TransportError, "not JSON"),
    ("create wrong shape", create, Reply(200, {"items": "no"}), TransportError,
     "may have taken effect"),
    ("create short", create, Reply(200, {"items": []}), TransportError, "0 entries"),
    ("maintenance on create", create, Reply(503, {"code": 0, "message": "m"}), TransportError,
     "maintenance"),
    ("token echoed back", get_file, Reply(400, {"message": f"bad token {TOKEN}"}), ApiError,
     "bad token [redacted]"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "reply", "error", "fragment"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hostile_answer_is_one_line_error(
    stub: Stub,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    call: Callable[[ApiClient], Any],
    reply: Reply,
    error: type[ApiError],
    fragment: str,
) -> None:
    stub.handler = lambda seen: reply
    client = make_client(stub.url, max_attempts=1)
    caplog.set_level(logging.DEBUG, logger="reconciler.api")
    with pytest.raises(error) as caught:
        call(client)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message and len(message) < 500
    # No foreign exception chained in (a traceback would show the server's body).
    chained = caught.value.__cause__ or caught.value.__context__
    assert chained is None or caught.value.__suppress_context__
    assert TOKEN not in message and TOKEN not in repr(caught.value)
    assert TOKEN not in caplog.text and TOKEN not in repr(client)


def test_token_never_in_logs_reprs_or_errors_on_failure(
    stub: Stub, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    def echo(seen: Seen) -> Reply:
        # A hostile server that echoes every header back, in the message and in a header.
        return Reply(500, {"message": str(seen.headers)}, {"X-Request-Id": TOKEN})

    stub.handler = echo
    caplog.set_level(logging.DEBUG)
    client = make_client(stub.url, max_attempts=3)
    with pytest.raises(ApiError) as caught:
        client.get_user()
    texts = [str(caught.value), repr(caught.value), caplog.text, repr(client)]
    texts += [repr(client.transport), repr(client.transport.config), repr(client.stats)]
    assert "[redacted]" in str(caught.value)
    assert all(TOKEN not in text for text in texts)
