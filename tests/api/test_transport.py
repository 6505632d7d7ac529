"""Retries, pacing, 429s and write safety of the transport, against a loopback stub."""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Callable

import pytest

from reconciler.api.client import ApiClient
from reconciler.errors import ApiError, MaintenanceError, RateLimitError, TransportError

from .conftest import TOKEN, FakeClock, Reply, Seen, Stub

FILE = {"id": "a" * 24, "name": "x.txt", "type": "file", "size": 3}
EXPORT_ITEM = {"source": {"file": "a" * 24}, "destination": {"volume": "o/v", "location": "x"}}

MakeClient = Callable[..., ApiClient]


def test_sends_token_header_and_timeout_bound_calls(stub: Stub, make_client: MakeClient) -> None:
    stub.reply(Reply(200, FILE))
    assert make_client(stub.url).get_file("a" * 24) is not None
    assert stub.seen[0].headers["X-SBG-Auth-Token"] == TOKEN
    assert stub.seen[0].path == "/v2/files/" + "a" * 24


def test_read_retried_on_5xx_then_succeeds(
    stub: Stub, make_client: MakeClient, clock: FakeClock
) -> None:
    stub.reply(Reply(502, "<html>bad gateway</html>"), Reply(500, {"message": "oops"}))
    stub.reply(Reply(200, FILE))
    client = make_client(stub.url)
    file = client.get_file("a" * 24)
    assert file is not None and file.name == "x.txt"
    assert client.stats.snapshot() == {"get_file": 3, "retries": 2}
    assert clock.sleeps == [0.5, 1.0]  # exponential steps (jitter pinned to the full step)


def test_read_gives_up_after_deadline_with_one_line_error(
    stub: Stub, make_client: MakeClient
) -> None:
    stub.handler = lambda seen: Reply(502, "<html><body>\n<h1>Bad Gateway</h1></body></html>")
    with pytest.raises(ApiError) as caught:
        make_client(stub.url, deadline=10.0).get_file("a" * 24)
    message = str(caught.value)
    assert "\n" not in message and "<html" not in message
    assert "HTTP 502" in message and "request id req-1" in message
    assert "text/html" not in message or "no readable error body" in message


def test_maintenance_is_retried_then_reported(stub: Stub, make_client: MakeClient) -> None:
    stub.handler = lambda seen: Reply(503, {"status": 503, "code": 0, "message": "down"})
    with pytest.raises(MaintenanceError, match="maintenance: down"):
        make_client(stub.url, deadline=20.0).get_file("a" * 24)
    assert len(stub.seen) > 2


def test_429_waits_until_reset(stub: Stub, make_client: MakeClient, clock: FakeClock) -> None:
    reset = str(int(clock.now) + 42)
    limited = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset, "X-RateLimit-Limit": "5"}
    stub.reply(Reply(429, {"code": 1000, "message": "slow down"}, limited), Reply(200, FILE))
    client = make_client(stub.url)
    assert client.get_file("a" * 24) is not None
    assert sum(clock.sleeps) == pytest.approx(43.0)  # to the reset, plus a second of margin
    assert client.stats.snapshot() == {"get_file": 2, "rate_limited": 1}


@pytest.mark.parametrize(
    ("ahead", "waited"),
    [
        (500, 300.0),  # a skewed clock: believed, waited for at most 300 s
        (9999, 1.0),  # further than two windows: not believed, as a time in the past
        (10**20, 1.0),
    ],
)
def test_429_with_reset_too_far_waits_at_most_300s(
    stub: Stub, make_client: MakeClient, clock: FakeClock, ahead: int, waited: float
) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.now) + ahead)}
    stub.reply(Reply(429, {"code": 1000, "message": "Rate limit exceeded"}, headers))
    stub.reply(Reply(200, FILE))
    assert make_client(stub.url).get_file("a" * 24) is not None
    assert clock.sleeps == [waited]


def test_429_again_and_again_is_an_error(
    stub: Stub, make_client: MakeClient, clock: FakeClock
) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.now) + 9999)}
    stub.handler = lambda seen: Reply(
        429, {"code": 1000, "message": "Rate limit exceeded"}, headers
    )
    with pytest.raises(RateLimitError, match="Rate limit exceeded"):
        make_client(stub.url, max_rate_limited=2).get_file("a" * 24)
    assert len(stub.seen) == 3


def test_pacing_avoids_429_when_budget_runs_low(
    stub: Stub, make_client: MakeClient, clock: FakeClock
) -> None:
    """A server with 3 calls left in a 30 s window: the client sends them and then waits
    for the reset instead of running into a 429."""
    window_end = clock.now + 30
    state = {"remaining": 3}

    def handler(seen: Seen) -> Reply:
        if clock.now >= window_end:
            state["remaining"] = 100
        if state["remaining"] <= 0:
            return Reply(429, {"code": 1000, "message": "limit"})
        state["remaining"] -= 1
        reset = window_end if clock.now < window_end else window_end + 300
        headers = {
            "X-RateLimit-Remaining": str(state["remaining"]),
            "X-RateLimit-Reset": str(int(reset)),
            "X-RateLimit-Limit": "100",
        }
        return Reply(200, FILE, headers)

    stub.handler = handler
    client = make_client(stub.url)
    for _ in range(6):
        client.get_file("a" * 24)
    assert client.stats.snapshot().get("rate_limited", 0) == 0
    assert clock.now >= window_end


def test_write_is_not_retried_on_5xx(stub: Stub, make_client: MakeClient) -> None:
    stub.reply(Reply(500, {"message": "internal"}), Reply(200, {"items": []}))
    with pytest.raises(TransportError, match="may have taken effect"):
        make_client(stub.url).bulk_create_exports([EXPORT_ITEM], copy_only=False)
    assert len(stub.seen) == 1


def test_write_with_lost_connection_is_transport_error(stub: Stub, make_client: MakeClient) -> None:
    stub.reply(Reply(drop=True))
    with pytest.raises(TransportError, match="connection failed"):
        make_client(stub.url).bulk_create_exports([EXPORT_ITEM], copy_only=True)
    assert len(stub.seen) == 1
    assert stub.seen[0].path == "/v2/bulk/storage/exports/create?copy_only=true"


def test_write_with_garbage_answer_is_transport_error(stub: Stub, make_client: MakeClient) -> None:
    stub.reply(Reply(200, '{"items": [{"resource": {"id": 1'))
    with pytest.raises(TransportError, match=r"unreadable answer \(HTTP 200"):
        make_client(stub.url).bulk_create_exports([EXPORT_ITEM], copy_only=False)
    assert len(stub.seen) == 1


def test_write_retried_after_429_only(
    stub: Stub, make_client: MakeClient, clock: FakeClock
) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.now) + 5)}
    export = {
        "id": "e1",
        "state": "PENDING",
        "source": {"file": "a" * 24},
        "destination": {"volume": "o/v", "location": "x"},
    }
    stub.reply(Reply(429, {"code": 1000, "message": "limit"}, headers))
    stub.reply(Reply(200, {"items": [{"resource": export}]}))
    created = make_client(stub.url).bulk_create_exports([EXPORT_ITEM], copy_only=False)
    assert [getattr(e, "id", None) for e in created] == ["e1"]
    assert "copy_only" not in stub.seen[1].path
    assert json.loads(stub.seen[1].body) == {"items": [EXPORT_ITEM]}


def test_connection_refused_is_transport_error(make_client: MakeClient) -> None:
    client = make_client("http://127.0.0.1:9/v2", deadline=3.0)
    with pytest.raises(TransportError, match="connection failed"):
        client.get_user()
    assert client.stats.snapshot()["get_user"] >= 2


def test_each_retry_is_one_short_line_with_the_true_time_left(
    make_client: MakeClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listening: every retry says so in one line with no urllib3 wrapping, and the
    time it says is left is the time the call then takes to give up (the fake clock moves
    only by the waits; a refused connection takes no time)."""
    client = make_client("http://127.0.0.1:9/v2", unreachable_deadline=12.0)
    with caplog.at_level("WARNING", logger="reconciler.api"), pytest.raises(TransportError):
        client.get_user()

    gave_up_at = clock.now
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == len(clock.sleeps) >= 3  # 0.5, 1, 2, 4 s: the next (8 s) is past 12 s
    for line, waited_before in zip(lines, itertools.accumulate([0.0, *clock.sleeps]), strict=False):
        assert "\n" not in line and len(line) < 160, line
        assert "NewConnectionError" not in line and "HTTPConnection" not in line, line
        assert line.startswith("GET /v2/user: connection failed (Connection refused)")
        said = float(re.search(r"giving up in (\d+)s", line).group(1))  # type: ignore[union-attr]
        true = gave_up_at - (clock.now - sum(clock.sleeps) + waited_before)
        assert abs(said - true) <= 0.5, (line, true)
    assert lines[-1].endswith(f"(try {len(lines) + 1} of {len(lines) + 1}, giving up in 4s)")


def test_redirects_are_not_followed(stub: Stub, make_client: MakeClient) -> None:
    stub.reply(Reply(302, "", {"Location": "http://example.com/steal"}))
    with pytest.raises(ApiError, match="redirect, not followed"):
        make_client(stub.url).get_user()
    assert len(stub.seen) == 1


def test_next_link_to_another_host_is_refused(stub: Stub, make_client: MakeClient) -> None:
    page = {"items": [FILE], "links": [{"rel": "next", "href": "http://10.0.0.1/v2/files?x=1"}]}
    stub.reply(Reply(200, page))
    with pytest.raises(ApiError, match="another host"):
        list(make_client(stub.url).list_files(project="o/p"))


def test_read_timeout_is_bounded(stub: Stub, make_client: MakeClient) -> None:
    # The server answers only when released (after 60 s at the latest): the call ends only if
    # its read timeout (2 s) ends it.
    release = threading.Event()

    def never(seen: Seen) -> Reply:
        release.wait(timeout=60)
        return Reply(200, FILE)

    stub.handler = never
    client = make_client(stub.url, max_attempts=1)
    started = time.monotonic()
    try:
        with pytest.raises(TransportError, match="no answer within 2s"):
            client.get_file("a" * 24)
    finally:
        release.set()
    # Given up after about the read timeout, well before the server would answer (60 s): the
    # bound is loose so that a loaded machine cannot fail it.
    assert time.monotonic() - started < 30
    assert len(stub.seen) == 1  # one attempt, given up on
