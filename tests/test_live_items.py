"""`live.items`: what applying a saved plan reads, against the sandbox. Destinations are looked
up from the volume's root with every folder listed kept, so reading a plan a chunk at a time
lists each folder once at most, and none below a folder the volume does not have."""

from __future__ import annotations

from collections import Counter
from typing import Any

from reconciler.api.client import ApiClient
from reconciler.api.config import ApiConfig
from reconciler.live.destinations import KnownFolders
from reconciler.sandbox.server import Sandbox

PROJECT = "lab/p"
VOLUME = "lab/out"
TOKEN = "items-test-token-0000000000000"


def seed(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "tokens": [{"token": TOKEN, "username": "lab"}],
        "projects": [{"id": PROJECT, "location": "aws:us-east-1"}],
        "volumes": [
            {
                "id": VOLUME,
                "location": "aws:us-east-1",
                "service": {"type": "s3", "bucket": "out", "prefix": "x/"},
            }
        ],
        "files": [{"project": PROJECT, "path": "a.dat", "size": 1}],
        "objects": objects,
    }


def listings(sandbox: Sandbox, before: int) -> Counter[str]:
    return Counter(
        r["path"].split("?")[0] for r in sandbox.request_log()[before:] if "/list" in r["path"]
    )


def test_an_empty_volume_costs_one_listing_for_every_chunk(make_sandbox: Any) -> None:
    sandbox = make_sandbox(seed=seed([]))
    folders = KnownFolders(ApiClient(ApiConfig(endpoint=sandbox.url, token=TOKEN)))
    before = len(sandbox.request_log())
    for batch in range(20):
        locations = [f"r/b{batch:02d}/s{n}/f.bam" for n in range(50)]
        found = folders.check(VOLUME, locations)
        assert [obj for _, obj in found] == [None] * 50
    assert sum(listings(sandbox, before).values()) == 1


def test_existing_objects_are_found_and_each_folder_listed_once(make_sandbox: Any) -> None:
    objects = [
        {"volume": VOLUME, "location": "r/b01/s1/f.bam", "size": 7},
        {"volume": VOLUME, "location": "r/b01/s2/f.bam", "size": 9},
    ]
    sandbox = make_sandbox(seed=seed(objects))
    folders = KnownFolders(ApiClient(ApiConfig(endpoint=sandbox.url, token=TOKEN)))
    before = len(sandbox.request_log())
    first = dict(folders.check(VOLUME, ["r/b01/s1/f.bam", "r/b01/s1/g.bam", "r/b02/s1/f.bam"]))
    second = dict(folders.check(VOLUME, ["r/b01/s2/f.bam", "r/b01/s3/f.bam", "q/f.bam"]))

    assert first[(VOLUME, "r/b01/s1/f.bam")] is not None
    assert first[(VOLUME, "r/b01/s1/f.bam")].size == 7  # type: ignore[union-attr]
    assert first[(VOLUME, "r/b01/s1/g.bam")] is None and first[(VOLUME, "r/b02/s1/f.bam")] is None
    assert second[(VOLUME, "r/b01/s2/f.bam")].size == 9  # type: ignore[union-attr]
    assert second[(VOLUME, "r/b01/s3/f.bam")] is None and second[(VOLUME, "q/f.bam")] is None
    # the root, r/, r/b01/, r/b01/s1/, r/b01/s2/: five folders, each listed once.
    assert sum(listings(sandbox, before).values()) == 5
