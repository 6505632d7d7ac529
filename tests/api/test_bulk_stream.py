"""`iter_bulk_get_files`: the entries of `bulk_get_files`, chunk by chunk as they arrive, with
only a few chunks sent ahead of the reader."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from reconciler.errors import ApiError

from .conftest import Stub
from .test_bulk_workers import BulkFiles, client, ids


def test_the_same_entries_in_the_same_order_and_calls(stub: Stub) -> None:
    stub.handler = BulkFiles()
    wanted = ids(1250)
    with client(stub.url, workers=3) as api:
        listed = api.bulk_get_files(wanted)
        streamed = list(api.iter_bulk_get_files(wanted))
        assert api.stats.snapshot() == {"bulk_get_files": 2 * 13}
    assert streamed == listed


def test_a_slow_reader_has_only_a_few_chunks_sent_ahead(stub: Stub) -> None:
    server = BulkFiles()
    stub.handler = server
    with client(stub.url, workers=2) as api:
        entries = api.iter_bulk_get_files(ids(3000))  # 30 chunks
        first = next(entries)
        # Two chunks per worker ahead of the one being read, plus the one sent when it was
        # read; the workers are idle once those are answered, however long the reader pauses.
        assert server.wait_answered(2 * 2 + 1), "the chunks ahead were never all answered"
        sent = api.stats.snapshot()["bulk_get_files"]
        assert isinstance(entries, Generator)
        entries.close()
    assert first is not None and sent == 2 * 2 + 1
    # Closing the reader sent nothing more (closing the client waited for calls in flight).
    assert api.stats.snapshot()["bulk_get_files"] == sent


def test_a_failed_chunk_raises_where_the_reader_reaches_it(stub: Stub) -> None:
    wanted = ids(500)
    stub.handler = BulkFiles(fail_first_id=wanted[300])
    with client(stub.url, workers=2) as api:
        entries = api.iter_bulk_get_files(wanted)
        read = [next(entries) for _ in range(300)]
        with pytest.raises(ApiError, match="bad chunk"):
            next(entries)
    assert len(read) == 300
