"""`live.read.read` reads from several threads at once: the order rules of the job listings
still hold, and the state it returns is the one a one-by-one reading returns, whichever read
ends first."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.transport import Answer, Transport
from reconciler.errors import ApiError
from reconciler.live.read import read
from reconciler.manifest.models import ExportRule
from reconciler.sandbox.server import Sandbox
from tests.test_live import BAM1, rule

MakeSandbox = Callable[..., Sandbox]  # the make_sandbox fixture of tests/conftest.py

OUTPUT = "rfranklin/output"
ARCHIVE = "rfranklin/archive"
READS = ("bulk_get_files", "list_files", "get_file", "list_objects", "get_object")


@dataclass(frozen=True)
class Event:
    edge: str  # "start" | "end"
    kind: str
    params: dict[str, Any]
    call: int  # which call the edge belongs to


class RecordingTransport(Transport):
    """Logs when each call starts and ends; optionally holds each call back a random while (so
    the calls of one batch end in a shuffled order) or fails the calls `fail` picks."""

    def __init__(self, *args: Any, jitter: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events: list[Event] = []
        self.fail: Any = None
        self._jitter = jitter
        self._random = random.Random(7)
        self._lock = threading.Lock()
        self._calls = 0
        self._in_flight = 0
        self.most_in_flight = 0

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        kind: str = kwargs["kind"]
        params = dict(kwargs.get("params") or {})
        with self._lock:
            self._calls += 1
            number = self._calls
            self._in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
            self.events.append(Event("start", kind, params, number))
            pause = self._random.uniform(0, self._jitter)
        try:
            time.sleep(pause)
            if self.fail is not None and self.fail(kind, params):
                raise ApiError(f"GET /v2/files: {kind} failed on purpose", status=500)
            return super().call(method, path, **kwargs)
        finally:
            with self._lock:
                self._in_flight -= 1
                self.events.append(Event("end", kind, params, number))


def recording_client(sandbox: Sandbox, *, jitter: float = 0.0, bulk_workers: int = 8) -> ApiClient:
    config = ApiConfig(endpoint=sandbox.url, token=sandbox.token)
    return ApiClient(
        config, transport=RecordingTransport(config, jitter=jitter), bulk_workers=bulk_workers
    )


def events_of(client: ApiClient) -> list[Event]:
    transport = client.transport
    assert isinstance(transport, RecordingTransport)
    return transport.events


def rules_over_two_volumes() -> list[ExportRule]:
    return [
        rule("file", BAM1, "bam/{path}"),
        rule("file", "65a1f0c0e4b0d1a2b3c40004", "legacy/old_counts.tsv"),
        rule("path", "results/sample2/counts.tsv", "counts/{name}"),
        rule("glob", "results/*/counts.tsv", "counts/{parent}.tsv"),
        rule("glob", "results/**/*.bam", "bams/{name}", volume=ARCHIVE),
        rule("path", "README.md", "{name}", volume="rfranklin/nope"),
    ]


RULE_SETS = {
    "two volumes": (rules_over_two_volumes(), False),
    "unmanaged": (rules_over_two_volumes(), True),
    # One listing of the volume's root, then object info for the two under legacy/ (one there).
    "destinations": (
        [
            *(
                rule("file", f"65a1f0c0e4b0d1a2b3c400{n:02x}", f"d{n % 3}/{{id}}")
                for n in range(6, 0x33)
            ),
            rule("file", "65a1f0c0e4b0d1a2b3c40004", "legacy/old_counts.tsv"),
            rule("file", "65a1f0c0e4b0d1a2b3c40005", "legacy/{name}"),
        ],
        False,
    ),
}


def test_jobs_are_listed_before_any_read_and_pending_before_running(
    make_sandbox: MakeSandbox,
) -> None:
    sandbox = make_sandbox(latency=0.02)
    client = recording_client(sandbox, jitter=0.02)
    read(client, rules_over_two_volumes())
    events = events_of(client)
    position = {(e.edge, e.call): i for i, e in enumerate(events)}
    listings = [e for e in events if e.kind == "list_exports" and e.edge == "start"]
    # One listing per state, on every volume (a move waits for a job on any volume).
    by_state = {e.params["state"]: e.call for e in listings}
    assert sorted(by_state) == ["PENDING", "RUNNING"] and len(listings) == 2
    assert all("volume" not in e.params for e in listings)
    assert position[("end", by_state["PENDING"])] < position[("start", by_state["RUNNING"])]
    last_listing_end = max(i for i, e in enumerate(events) if e.kind == "list_exports")
    first_read = min(i for i, e in enumerate(events) if e.kind in READS)
    assert last_listing_end < first_read, events
    transport = client.transport
    assert isinstance(transport, RecordingTransport) and transport.most_in_flight >= 2


@pytest.mark.parametrize("name", sorted(RULE_SETS))
def test_the_state_is_the_one_a_sequential_reading_gives(
    make_sandbox: MakeSandbox, name: str
) -> None:
    rules, unmanaged = RULE_SETS[name]
    sandbox = make_sandbox()
    one_by_one = recording_client(sandbox, bulk_workers=1)
    expected = read(one_by_one, rules, unmanaged=unmanaged, workers=1).live
    shuffled = recording_client(sandbox, jitter=0.02)
    got = read(shuffled, rules, unmanaged=unmanaged).live
    assert got == expected
    assert repr(got) == repr(expected)  # the maps in the same order too
    assert shuffled.stats.snapshot() == one_by_one.stats.snapshot()


@pytest.mark.parametrize("kind", ["list_files", "list_objects", "list_exports", "get_volume"])
def test_a_failed_read_in_a_worker_raises_as_it_would_one_by_one(
    sandbox: Sandbox, kind: str
) -> None:
    failures: list[str] = []
    for workers in (1, 8):
        client = recording_client(sandbox, jitter=0.01)
        transport = client.transport
        assert isinstance(transport, RecordingTransport)
        transport.fail = lambda failing, _params: failing == kind
        with pytest.raises(ApiError) as raised:
            read(client, rules_over_two_volumes(), workers=workers)
        assert type(raised.value) is ApiError
        failures.append(str(raised.value))
    assert failures == [f"GET /v2/files: {kind} failed on purpose | HTTP 500"] * 2
    assert not [t for t in threading.enumerate() if t.name.startswith("reconciler-live")]
