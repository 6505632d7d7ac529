"""How long the client waits, and that it says so (issue 13, points 3 and 4): 429s wait for the
later of Retry-After and X-RateLimit-Reset, at most 300 s, and odd headers wait 1 s; maintenance
is retried within its own deadline; an endpoint that looks wrong or down (nothing listening, an
answer that is not the API's JSON) fails within seconds, with a hint. Against a loopback stub:
the sandbox never sends such headers or bodies."""

from __future__ import annotations

import email.utils
import logging
from collections.abc import Callable

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.ratelimit import RatePacer, rate_limit_wait
from reconciler.errors import MaintenanceError, TransportError

from .conftest import FakeClock, Reply, Stub

FILE = {"id": "a" * 24, "name": "x.txt", "type": "file", "size": 3}
LIMITED = {"code": 1000, "message": "Rate limit exceeded"}
MakeClient = Callable[..., ApiClient]


def limited_once(stub: Stub, headers: dict[str, str]) -> None:
    stub.reply(Reply(429, LIMITED, headers), Reply(200, FILE))


@pytest.mark.parametrize(
    ("retry_after", "reset_in", "expected"),
    [
        ("30", 10, 31.0),  # Retry-After is the later one
        ("5", 40, 41.0),  # the reset is the later one
        (None, 20, 21.0),
        ("12", None, 13.0),
    ],
)
def test_429_waits_for_the_later_of_retry_after_and_the_reset(
    stub: Stub,
    make_client: MakeClient,
    clock: FakeClock,
    retry_after: str | None,
    reset_in: int | None,
    expected: float,
) -> None:
    headers = {"X-RateLimit-Remaining": "0"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if reset_in is not None:
        headers["X-RateLimit-Reset"] = str(int(clock.now) + reset_in)
    limited_once(stub, headers)

    assert make_client(stub.url).get_file("a" * 24) is not None

    assert clock.sleeps == [expected]


def test_retry_after_as_an_http_date(stub: Stub, make_client: MakeClient, clock: FakeClock) -> None:
    limited_once(stub, {"Retry-After": email.utils.formatdate(clock.now + 60, usegmt=True)})

    assert make_client(stub.url).get_file("a" * 24) is not None

    assert clock.sleeps == [pytest.approx(61.0)]


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e308", "9" * 400, "nan", "-inf"])
def test_infinite_or_huge_headers_never_crash_and_wait_at_most_300s(
    stub: Stub, make_client: MakeClient, clock: FakeClock, value: str
) -> None:
    limited_once(
        stub, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": value, "Retry-After": value}
    )

    assert make_client(stub.url).get_file("a" * 24) is not None

    assert len(clock.sleeps) == 1 and 1.0 <= clock.sleeps[0] <= 300.0


@pytest.mark.parametrize(
    "headers",
    [
        {"X-RateLimit-Reset": "soon", "Retry-After": "later"},
        {"X-RateLimit-Reset": "1000", "Retry-After": "-5"},  # long past
        {},
    ],
)
def test_a_429_with_no_usable_time_waits_one_second(
    stub: Stub, make_client: MakeClient, clock: FakeClock, headers: dict[str, str]
) -> None:
    limited_once(stub, headers)

    assert make_client(stub.url).get_file("a" * 24) is not None

    assert clock.sleeps == [1.0]


def test_an_answer_with_an_infinite_reset_does_not_stall_the_pacer(
    stub: Stub, make_client: MakeClient, clock: FakeClock
) -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf", "X-RateLimit-Limit": "9"}
    stub.reply(Reply(200, FILE, headers), Reply(200, FILE))
    client = make_client(stub.url)

    client.get_file("a" * 24)
    client.get_file("a" * 24)

    assert sum(clock.sleeps) <= 301.0


def test_every_wait_is_announced_with_its_length(
    stub: Stub, make_client: MakeClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    limited_once(stub, {"Retry-After": "42"})

    with caplog.at_level(logging.WARNING, logger="reconciler.api"):
        make_client(stub.url).get_file("a" * 24)

    [line] = [r.getMessage() for r in caplog.records]
    assert "rate limited (HTTP 429); waiting 43s" in line


def test_rate_limit_wait_reads_both_headers() -> None:
    assert rate_limit_wait({"Retry-After": "3", "X-RateLimit-Reset": "110"}, 100.0) == 10.0
    assert rate_limit_wait({"Retry-After": "inf"}, 100.0) is None
    assert rate_limit_wait({"X-RateLimit-Reset": "99"}, 100.0) is None


def test_maintenance_is_retried_within_its_own_deadline(
    stub: Stub, make_client: MakeClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    stub.handler = lambda seen: Reply(503, {"status": 503, "code": 0, "message": "down"})

    with (
        caplog.at_level(logging.WARNING, logger="reconciler.api"),
        pytest.raises(MaintenanceError, match="maintenance: down"),
    ):
        make_client(stub.url, maintenance_deadline=90.0).get_file("a" * 24)

    assert 30.0 < sum(clock.sleeps) <= 90.0
    assert caplog.records and all("retrying in" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, "<html><body>Welcome to nginx!</body></html>", {"Content-Type": "text/html"}),
        Reply(200, b"\xff\xfe\x00garbage\x81"),
    ],
    ids=["html", "undecodable"],
)
def test_an_answer_that_is_not_the_apis_json_fails_fast_with_a_hint(
    stub: Stub,
    make_client: MakeClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
) -> None:
    stub.handler = lambda seen: reply

    with (
        caplog.at_level(logging.WARNING, logger="reconciler.api"),
        pytest.raises(TransportError) as raised,
    ):
        make_client(stub.url).get_user()

    assert sum(clock.sleeps) <= 12.0
    assert "unreadable answer" in str(raised.value)
    assert "SB_API_ENDPOINT" in str(raised.value) and "running" in str(raised.value)
    assert len(caplog.records) == len(stub.seen) - 1 >= 1  # one line per retry


def test_nothing_listening_fails_fast_and_a_write_counts_as_not_sent(
    make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client("http://127.0.0.1:9/v2")

    with pytest.raises(TransportError) as raised:
        client.bulk_create_exports(
            [{"source": {"file": "a" * 24}, "destination": {"volume": "o/v", "location": "x"}}],
            copy_only=False,
        )

    assert raised.value.sent is False
    assert "SB_API_ENDPOINT" in str(raised.value)
    assert sum(clock.sleeps) <= 12.0 and client.stats.snapshot()["bulk_create_exports"] >= 2


def test_a_dropped_connection_is_sent(stub: Stub, make_client: MakeClient) -> None:
    stub.reply(Reply(drop=True))

    with pytest.raises(TransportError) as raised:
        make_client(stub.url).bulk_create_exports(
            [{"source": {"file": "a" * 24}, "destination": {"volume": "o/v", "location": "x"}}],
            copy_only=False,
        )

    assert raised.value.sent is True and len(stub.seen) == 1


def test_a_shorter_hold_does_not_cut_a_longer_one(clock: FakeClock) -> None:
    # Two workers meet 429s: one asks for 60 s, the next one says nothing usable (1 s).
    pacer = RatePacer(clock)
    pacer.hold_until(clock() + 60)
    pacer.hold_until(clock() + 1)
    assert pacer.delay() == pytest.approx(60)
    clock.sleep(60)
    assert pacer.delay() == 0
    pacer.hold_until(clock() + 5)  # a later, longer hold does extend it
    assert pacer.delay() == pytest.approx(5)
