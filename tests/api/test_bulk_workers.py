"""Bulk reads of many chunks go out from several worker threads at once, in order, each
worker on its own session; a failed chunk fails the read."""

from __future__ import annotations

import json
import threading

import pytest

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.api.resources import File, ItemError
from reconciler.errors import ApiError

from .conftest import TOKEN, Reply, Seen, Stub


class BulkFiles:
    """Answers bulk file gets, counting how many are in flight.

    With `together=N`, calls are held until N are in flight at once (then none is held any
    more), or for `hold` seconds at most: a client that sends in parallel shows it whatever the
    machine's speed, one that does not is held once and then served one call at a time."""

    def __init__(
        self, fail_first_id: str | None = None, *, together: int = 0, hold: float = 10.0
    ) -> None:
        self.lock = threading.Condition()
        self.in_flight = 0
        self.most_in_flight = 0
        self.answered = 0
        self.fail_first_id = fail_first_id
        self.together, self.hold = together, hold

    def __call__(self, seen: Seen) -> Reply:
        ids = json.loads(seen.body)["file_ids"]
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.lock.notify_all()
            if not self.lock.wait_for(lambda: self.most_in_flight >= self.together, self.hold):
                self.together = 0  # held once: serve the rest at once
        try:
            if ids[0] == self.fail_first_id:
                return Reply(400, {"status": 400, "code": 9000, "message": "bad chunk"})
            items = [
                {"error": {"status": 404, "code": 5002, "message": "not found"}}
                if file_id.startswith("f")
                else {"resource": {"id": file_id, "name": f"{file_id}.bam", "type": "file"}}
                for file_id in ids
            ]
            return Reply(200, {"items": items})
        finally:
            with self.lock:
                self.in_flight -= 1
                self.answered += 1
                self.lock.notify_all()

    def wait_answered(self, count: int, timeout: float = 30.0) -> bool:
        """Whether `count` calls were answered (and none is in flight) within `timeout`."""
        with self.lock:
            return self.lock.wait_for(
                lambda: self.answered >= count and self.in_flight == 0, timeout
            )


def ids(n: int) -> list[str]:
    return [f"{'f' if i % 7 == 0 else 'a'}{i:023x}" for i in range(n)]


def client(url: str, workers: int) -> ApiClient:
    return ApiClient(ApiConfig(endpoint=url, token=TOKEN), bulk_workers=workers)


def test_chunks_go_out_in_parallel_and_answers_keep_request_order(stub: Stub) -> None:
    server = BulkFiles(together=4)  # 5 chunks: the first 4 are held until all 4 are in flight
    stub.handler = server
    wanted = ids(450)
    with client(stub.url, workers=4) as api:
        got = api.bulk_get_files(wanted)
        sessions = len(api.transport._sessions)
        assert api.stats.snapshot() == {"bulk_get_files": 5}
    assert len(got) == 450
    for file_id, entry in zip(wanted, got, strict=True):
        if file_id.startswith("f"):
            assert isinstance(entry, ItemError) and entry.status == 404
        else:
            assert isinstance(entry, File) and entry.id == file_id
    assert server.most_in_flight == 4  # 4 workers: 4 chunks at once, never more
    assert sessions >= 2  # one session per worker thread, never one shared


def test_one_worker_sends_one_chunk_at_a_time(stub: Stub) -> None:
    server = BulkFiles(together=2, hold=1.0)  # a second call in flight would end the hold
    stub.handler = server
    with client(stub.url, workers=1) as api:
        assert len(api.bulk_get_files(ids(250))) == 250
    assert server.most_in_flight == 1


def test_a_failed_chunk_fails_the_whole_read(stub: Stub) -> None:
    wanted = ids(300)
    stub.handler = BulkFiles(fail_first_id=wanted[100])
    with client(stub.url, workers=3) as api, pytest.raises(ApiError, match="bad chunk"):
        api.bulk_get_files(wanted)
