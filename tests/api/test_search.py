"""The file search and the rate-limit read as the client sends and reads them, against a
loopback stub (shapes the sandbox never answers), and a wait for the rate limit told once."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.ratelimit import epoch_seconds
from reconciler.api.retry import RetryPolicy
from reconciler.api.transport import Transport
from reconciler.errors import ApiError, UnreadableAnswer

from .conftest import TOKEN, FakeClock, Reply, Seen, Stub

MakeClient = Callable[..., ApiClient]
HIT = {"id": "a" * 24, "name": "x.bam", "type": "FILE", "metadata": {}, "tags": []}


def query_of(seen: Seen) -> dict[str, list[str]]:
    return parse_qs(urlsplit(seen.path).query)


def test_search_pages_follow_the_token_and_ask_for_advance_access(
    stub: Stub, make_client: MakeClient
) -> None:
    stub.reply(
        Reply(200, {"count": 3, "cont_token": "t1", "result_set": [HIT, HIT]}),
        Reply(200, {"count": 3, "cont_token": None, "result_set": [HIT]}),
    )
    client = make_client(stub.url)

    pages = list(client.search_files('IN "/Projects/lab/p" RECURSIVE', limit=2))

    assert [len(page.result_set) for page in pages] == [2, 1]
    assert pages[0].count == 3
    first, second = stub.seen
    assert (first.method, urlsplit(first.path).path) == ("POST", "/v2/files/search")
    assert json.loads(first.body) == {"query": 'IN "/Projects/lab/p" RECURSIVE'}
    assert first.headers["X-Sbg-Advance-Access"] == "Advance"
    assert query_of(first) == {"limit": ["2"]}
    assert query_of(second) == {"limit": ["2"], "cont_token": ["t1"]}
    assert client.stats.snapshot() == {"search": 2}


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        ([{"count": 1}], "result_set: Field required"),
        ([{"result_set": [{"name": "no id"}]}], "result_set.0.id"),
        ([["not", "an", "object"]], "unexpected response"),
        (
            [
                {"cont_token": "t1", "result_set": [HIT]},
                {"cont_token": "t2", "result_set": [HIT]},
                {"cont_token": "t1", "result_set": [HIT]},
            ],
            "continuation token came back again",
        ),
    ],
    ids=["no result_set", "a hit without id", "a list", "a token that repeats"],
)
def test_search_answers_of_another_shape_are_errors_without_a_status(
    stub: Stub, make_client: MakeClient, answers: list[object], says: str
) -> None:
    stub.reply(*(Reply(200, answer) for answer in answers))
    with pytest.raises(ApiError, match=says) as raised:
        list(make_client(stub.url).search_files("IN x", limit=1))
    assert raised.value.status is None


def test_a_search_answer_that_is_not_json_stays_an_unreadable_answer(
    stub: Stub, make_client: MakeClient
) -> None:
    stub.handler = lambda seen: Reply(200, "<html>no such page</html>")
    with pytest.raises(UnreadableAnswer):
        list(make_client(stub.url, max_attempts=2).search_files("IN x"))


@pytest.mark.parametrize(
    ("reset", "expected"),
    [
        ("2023-11-14T22:18:20Z", 1_700_000_300.0),  # the sandbox, sevenbridges-python
        ("2023-11-14T22:18:20", 1_700_000_300.0),  # no zone: the platform's UTC
        (1_700_000_300_000, 1_700_000_300.0),  # CAVATICA's example: milliseconds
        (1_700_000_300, 1_700_000_300.0),
        ("1700000300", 1_700_000_300.0),
        ("soon", None),
        (None, None),
        (True, None),
    ],
)
def test_rate_limit_reset_is_read_in_every_spelling(
    stub: Stub, make_client: MakeClient, reset: object, expected: float | None
) -> None:
    stub.reply(Reply(200, {"rate": {"limit": 1000, "remaining": 7, "reset": reset}}))
    client = make_client(stub.url)

    rate = client.get_rate_limit().rate

    assert (rate.limit, rate.remaining, rate.reset) == (1000, 7, expected)
    assert urlsplit(stub.seen[0].path).path == "/v2/rate_limit"
    assert client.stats.snapshot() == {"get_rate_limit": 1}


def test_the_reset_header_in_milliseconds_is_read_as_milliseconds() -> None:
    assert epoch_seconds("1445694506797") == pytest.approx(1_445_694_506.797)


def test_one_spent_budget_is_told_once_to_the_listener_and_not_logged(
    stub: Stub, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Every call that meets the same spent budget waits until the same reset: one line for
    all of them (before, each worker thread logged its own copy)."""
    reset = int(clock.now) + 120
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "1000"}
    spent["X-RateLimit-Reset"] = str(reset)
    stub.handler = lambda seen: Reply(200, HIT, spent)
    config = ApiConfig(endpoint=stub.url, token=TOKEN)
    # The clock stands still: every call meets the same reset, as parallel workers do.
    transport = Transport(config, retry=RetryPolicy(), clock=clock, sleep=lambda seconds: None)
    told: list[tuple[float, str]] = []
    with (
        ApiClient(config, transport=transport) as client,
        caplog.at_level(logging.WARNING, logger="reconciler.api"),
        transport.waits_told_to(lambda wait, sentence: told.append((wait, sentence))),
    ):
        for _ in range(5):
            client.get_file("a" * 24)

    assert [wait for wait, _ in told] == [121.0]
    assert "waiting 121s for the reset" in told[0][1]
    assert caplog.records == []


def test_without_a_listener_the_wait_is_logged_once(
    stub: Stub, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(clock.now) + 60)}
    stub.handler = lambda seen: Reply(200, HIT, spent)
    config = ApiConfig(endpoint=stub.url, token=TOKEN)
    transport = Transport(config, clock=clock, sleep=lambda seconds: None)
    with (
        ApiClient(config, transport=transport) as client,
        caplog.at_level(logging.WARNING, logger="reconciler.api"),
    ):
        for _ in range(4):
            client.get_file("a" * 24)
    assert [r.getMessage() for r in caplog.records] == [
        "rate limit budget spent: waiting 61s for the reset"
    ]
